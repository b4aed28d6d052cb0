"""What needs action this week: every alert of the week and of the week before, grouped new /
ongoing / resolved with how many weeks it has been ongoing, what people did about it
(acknowledged, snoozed for N weeks, a new drift reference accepted) and why it still needs
someone (new, worsened, unowned, unacknowledged, overdue).

An alert *series* is one metric and dimension values across weeks (its alert key without the
week). A snooze or an accepted reference keeps a series from paging (it leaves "needs
action" and the digest) but never hides it: it stays in its group, marked as handled.

>>> series_of("psi|2026-01-05|feature=x")
'psi|feature=x'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import SupportsFloat

import duckdb
import pandas as pd

from outcomes.app.markup import md_text
from outcomes.app.views.metric_definitions import metric_catalog
from outcomes.app.views.snapshot_cells import dims, dims_label
from outcomes.app.views.weekly_review.alerts import LEVEL_RANK, alerts
from outcomes.core.formats import format_value
from outcomes.store.state_alerts import Acknowledgement, alert_key

QUERIES = ("review_alerts", "review_metric_definitions")
GROUPS = ("new", "ongoing", "resolved")
# the order of "needs action": the first reason of an alert decides its place
REASONS = ("new", "worsened", "unowned", "unacknowledged", "overdue")
REASON_TEXT = {
    "new": "new this week",
    "worsened": "worse than last week",
    "unowned": "no owner",
    "unacknowledged": "not acknowledged",
    "overdue": "ongoing and unacknowledged too long",
}
# the page's "needs action" table and group tables: column -> label, in this order
TODO_LABELS = {
    "level": "Level",
    "title": "Metric",
    "dimension": "Where",
    "value_text": "Value",
    "weeks_ongoing": "Weeks ongoing",
    "owner": "Owner",
    "why": "Why it needs action",
}
GROUP_LABELS = {
    "level": "Level",
    "title": "Metric",
    "dimension": "Where",
    "value": "Value",
    "threshold": "Threshold",
    "weeks_ongoing": "Weeks ongoing",
    "since": "Since",
    "owner": "Owner",
    "status": "Status",
}
TRIAGE_COLUMNS = [
    "series",
    "alert_key",
    "metric",
    "title",
    "dimension",
    "group",
    "level",
    "previous_level",
    "value",
    "previous_value",
    "threshold",
    "unit",
    "owner",
    "weeks_ongoing",
    "worsened",
    "since",
]


def series_of(key: str) -> str:
    """The series of an alert key: the key without its week."""
    metric, _week, *rest = key.split("|")
    return "|".join([metric, *rest])


def _worse(direction: object, value: SupportsFloat | None, previous: SupportsFloat | None) -> bool:
    if value is None or previous is None or value != value or previous != previous:
        return False
    if direction == "higher_is_better":
        return float(value) < float(previous)
    # lower is better, and drift (neutral direction, scored by distance from the reference)
    return float(value) > float(previous)


def triage(
    con: duckdb.DuckDBPyConnection, week: dt.date, system: str | None = None
) -> pd.DataFrame:
    """The alerts of ``week`` and of the week before, one row a series: :data:`TRIAGE_COLUMNS`.

    ``group`` is new (alerting this week, not the week before), ongoing (both) or resolved
    (the week before only); ``weeks_ongoing`` counts the weeks in a row up to ``week`` (0 for
    resolved), ``since`` is the first of them; ``worsened`` is an ongoing alert whose level
    rose or whose value moved further the wrong way. ``system``: only the alerts whose
    dimensions name that AI system (their keys unchanged)."""
    frame = alerts(con)
    if system is not None and len(frame):
        frame = frame[[dims(d).get("system") == system for d in frame["dimensions"]]]
    if frame.empty:
        return pd.DataFrame(columns=TRIAGE_COLUMNS)
    previous_week = week - dt.timedelta(days=7)
    frame = frame[frame["week_start"] <= week].copy()
    frame["series"] = [
        series_of(alert_key(m, w, dims(d)))
        for m, w, d in zip(frame["metric"], frame["week_start"], frame["dimensions"], strict=True)
    ]
    alerting = set(zip(frame["series"], frame["week_start"], strict=True))
    now = frame[frame["week_start"] == week].drop_duplicates("series").set_index("series")
    before = frame[frame["week_start"] == previous_week].drop_duplicates("series")
    before = before.set_index("series")
    catalog = metric_catalog(con).set_index("name")
    records = []
    for series in list(now.index) + [s for s in before.index if s not in now.index]:
        this = now.loc[series] if series in now.index else None
        last = before.loc[series] if series in before.index else None
        row = this if this is not None else last
        assert row is not None  # every series is in now.index or in before.index
        metric = row["metric"]
        info = catalog.loc[metric] if metric in catalog.index else None
        run, start = 0, week
        while this is not None and (series, start) in alerting:
            run += 1
            start -= dt.timedelta(days=7)
        group = "resolved" if this is None else ("ongoing" if last is not None else "new")
        level = None if this is None else this["level"]
        previous_level = None if last is None else last["level"]
        worsened = (
            this is not None  # this and last both there: the "ongoing" group
            and last is not None
            and (
                LEVEL_RANK.get(this["level"], 0) > LEVEL_RANK.get(last["level"], 0)
                or _worse(
                    None if info is None else info["direction"],
                    this["value"],
                    last["value"],
                )
            )
        )
        owner = row.get("owner")
        if not isinstance(owner, str) or not owner.strip():
            owner = info["owner"] if info is not None and isinstance(info["owner"], str) else None
        records.append(
            {
                "series": series,
                "alert_key": alert_key(metric, row["week_start"], dims(row["dimensions"])),
                "metric": metric,
                "title": metric if info is None else info["title"],
                "dimension": dims_label(row["dimensions"]),
                "group": group,
                "level": level,
                "previous_level": previous_level,
                "value": None if this is None else this["value"],
                "previous_value": None if last is None else last["value"],
                "threshold": row["threshold"],
                "unit": None if info is None or not isinstance(info["unit"], str) else info["unit"],
                "owner": owner or None,
                "weeks_ongoing": run,
                "worsened": bool(worsened),
                "since": start + dt.timedelta(days=7) if run else None,
            }
        )
    out = pd.DataFrame(records, columns=TRIAGE_COLUMNS)
    out["group_rank"] = out["group"].map({g: i for i, g in enumerate(GROUPS)})
    out["level_rank"] = out["level"].map(LEVEL_RANK).fillna(0)
    out = out.sort_values(["group_rank", "level_rank", "title"], ascending=[True, False, True])
    return out.drop(columns=["group_rank", "level_rank"]).reset_index(drop=True)


def _handled_by(
    ack: Acknowledgement, series_run_start: dt.date | None, week: dt.date
) -> tuple[str, str] | None:
    """``(state, text)`` when ``ack`` (of an earlier or this week) still covers ``week``."""
    ack_week = dt.date.fromisoformat(ack.alert_key.split("|")[1])
    if ack_week > week:
        return None
    if ack.action == "snooze" and ack.snooze_weeks:
        until = ack_week + dt.timedelta(days=7 * ack.snooze_weeks)
        if week <= until:
            return "snoozed", f"snoozed by {ack.author} until the week of {until}"
        return None
    if ack.action == "accept_reference":
        # accepted for the run it was accepted in: a new run (it resolved, then came back) pages
        if series_run_start is not None and series_run_start <= ack_week:
            return "accepted", (
                f"new reference {ack.reference_start} to {ack.reference_end} accepted by "
                f"{ack.author}"
            )
        return None
    if ack_week == week:
        return "acknowledged", f"acknowledged by {ack.author}"
    return None


def with_state(
    triaged: pd.DataFrame,
    acks: Iterable[Acknowledgement],
    week: dt.date,
    overdue_weeks: int = 2,
) -> pd.DataFrame:
    """``triaged`` with what people did: ``handled`` (acknowledged / snoozed / accepted, or
    None), ``handled_text``, ``ack_note``, ``reasons`` (why it needs action, in
    :data:`REASONS` order; empty for a resolved or handled alert) and ``needs_action``.

    A worsened alert pages again even while snoozed; acknowledging it this week handles it.
    """
    out = triaged.copy()
    by_series: dict[str, list[Acknowledgement]] = {}
    for ack in sorted(acks, key=lambda a: a.id):
        by_series.setdefault(series_of(ack.alert_key), []).append(ack)
    handled, texts, notes, reasons = [], [], [], []
    for row in out.itertuples():
        state = None
        note = None
        for ack in reversed(by_series.get(row.series, [])):
            found = _handled_by(ack, row.since, week)
            if found:
                state, text = found
                note = ack.note or None
                break
        if state == "snoozed" and row.worsened:
            state = None  # worse than when it was snoozed: it pages again
        why: list[str] = []
        if row.group != "resolved" and state is None:
            why = [
                r
                for r, applies in (
                    ("new", row.group == "new"),
                    ("worsened", row.worsened),
                    ("unowned", not row.owner),
                    ("unacknowledged", True),
                    ("overdue", row.weeks_ongoing > overdue_weeks),
                )
                if applies
            ]
        handled.append(state)
        texts.append(text if state else None)
        notes.append(note)
        reasons.append(why)
    out["handled"] = pd.Series(handled, dtype=object, index=out.index)
    out["handled_text"] = pd.Series(texts, dtype=object, index=out.index)
    out["ack_note"] = pd.Series(notes, dtype=object, index=out.index)
    out["reasons"] = pd.Series(reasons, dtype=object, index=out.index)
    out["needs_action"] = [bool(r) for r in reasons]
    return out


def needs_action(state: pd.DataFrame) -> pd.DataFrame:
    """The alerts that need someone, in :data:`REASONS` order (by their first reason), worst
    level first; with ``why`` as text and ``value_text`` from the metric's unit."""
    todo = state[state["needs_action"]].copy()
    if todo.empty:
        return todo.assign(why=pd.Series(dtype=object), value_text=pd.Series(dtype=object))
    todo["reason_rank"] = [REASONS.index(r[0]) for r in todo["reasons"]]
    todo["level_rank"] = todo["level"].map(LEVEL_RANK).fillna(0)
    todo = todo.sort_values(["reason_rank", "level_rank", "title"], ascending=[True, False, True])
    todo["why"] = [", ".join(REASON_TEXT[r] for r in rs) for rs in todo["reasons"]]
    todo["value_text"] = [
        format_value(v, u) for v, u in zip(todo["value"], todo["unit"], strict=True)
    ]
    return todo.drop(columns=["reason_rank", "level_rank"]).reset_index(drop=True)


def group_table(state: pd.DataFrame, group: str) -> pd.DataFrame:
    """One group's alerts as the page shows them: level, metric, dimension, value and
    threshold in the metric's unit, weeks ongoing, since, owner, what was done."""
    rows = state[state["group"] == group]
    return pd.DataFrame(
        {
            "level": [
                (lvl if isinstance(lvl, str) else prev if isinstance(prev, str) else "").upper()
                for lvl, prev in zip(rows["level"], rows["previous_level"], strict=True)
            ],
            "title": rows["title"],
            "dimension": rows["dimension"],
            "value": [
                format_value(v if group != "resolved" else p, u)
                for v, p, u in zip(rows["value"], rows["previous_value"], rows["unit"], strict=True)
            ],
            "threshold": [
                format_value(t, u) for t, u in zip(rows["threshold"], rows["unit"], strict=True)
            ],
            "weeks_ongoing": rows["weeks_ongoing"],
            "since": [s.isoformat() if s else "" for s in rows["since"]],
            "owner": [o or "no owner" for o in rows["owner"]],
            "status": [
                h_text or ("needs action: " + ", ".join(REASON_TEXT[r] for r in rs) if rs else "")
                for h_text, rs in zip(rows["handled_text"], rows["reasons"], strict=True)
            ],
        }
    ).reset_index(drop=True)


def alert_choices(state: pd.DataFrame) -> dict[str, str]:
    """``{alert_key: "ALERT · title · dimension"}`` of this week's alerts (new and ongoing),
    for the acknowledge picker: those needing action first, in the order of
    :func:`needs_action`, then the handled ones."""
    todo = needs_action(state)
    rest = state[(state["group"] != "resolved") & ~state["needs_action"]]
    return {
        r.alert_key: f"{str(r.level).upper()} · {r.title} · {r.dimension}"
        + (f" ({r.handled_text})" if r.handled_text else "")
        for frame in (todo, rest)
        for r in frame.itertuples()
    }


def new_text(state: pd.DataFrame, limit: int = 8) -> str:
    """The alerts new this week, by name, in one Markdown line ("" when none).

    >>> new_text(pd.DataFrame({"group": ["new", "ongoing"], "title": ["Accuracy", "Cost"],
    ...                        "dimension": ["segment=smb", "all"]}))
    '🆕 **New this week (1)**: Accuracy (segment=smb)'
    """
    new = state[state["group"] == "new"]
    names = [
        md_text(t) if d in ("all", "", None) else f"{md_text(t)} ({md_text(d)})"
        for t, d in zip(new["title"], new["dimension"], strict=True)
    ]
    if not names:
        return ""
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"🆕 **New this week ({len(names)})**: " + " · ".join(names[:limit]) + more


def counts_text(state: pd.DataFrame) -> str:
    """The groups' sizes in one line.

    >>> counts_text(pd.DataFrame({"group": ["new"], "needs_action": [True]}))
    'Alerts this week: 1 new · 0 ongoing · 0 resolved since last week · 1 need action'
    """
    c = group_counts(state)
    return (
        f"Alerts this week: {c['new']} new · {c['ongoing']} ongoing · "
        f"{c['resolved']} resolved since last week · {c['needs_action']} need action"
    )


def group_counts(state: pd.DataFrame) -> dict[str, int]:
    """How many alerts each group holds, and how many need action.

    >>> group_counts(pd.DataFrame({"group": ["new", "ongoing", "ongoing"],
    ...                            "needs_action": [True, False, True]}))
    {'new': 1, 'ongoing': 2, 'resolved': 0, 'needs_action': 2}
    """
    counts = {g: int((state["group"] == g).sum()) for g in GROUPS}
    counts["needs_action"] = int(state["needs_action"].sum()) if len(state) else 0
    return counts
