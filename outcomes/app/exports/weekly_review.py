"""The weekly review as a document: Markdown and self-contained HTML.

Both take a :class:`ReviewPack` (what the page shows for one week) and return text; nothing
here reads a database, so the export of a pack is reproducible and testable by itself.

>>> import datetime as dt, pandas as pd
>>> pack = ReviewPack(week=dt.date(2026, 11, 9), build_id="B1",
...     scorecard=pd.DataFrame([{"kind": "model", "title": "Accuracy", "value_text": "91.0%",
...         "change_text": "+1.0 pp", "status": "ok", "owner": "ml@x", "flag": None}]))
>>> print(review_markdown(pack).splitlines()[0])
# Weekly review — week of 2026-11-09
>>> "<td>Accuracy</td>" in review_html(pack)
True
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from outcomes.app.markup import md_text

STATUS_LABEL = {
    "ok": "ok",
    "warn": "WARN",
    "alert": "ALERT",
    "no_threshold": "no threshold",
    "insufficient": "insufficient",
    "error": "ERROR",
}
SCORECARD_COLUMNS = [
    ("title", "Metric"),
    ("value_text", "Value"),
    ("change_text", "Change vs last week"),
    ("status", "Status"),
    ("owner", "Owner"),
    ("flag", "Flag"),
]
ALERT_COLUMNS = [
    ("level", "Level"),
    ("title", "Metric"),
    ("dimension", "Dimensions"),
    ("value", "Value"),
    ("threshold", "Threshold"),
    ("owner", "Owner"),
    ("ack_by", "Acknowledged by"),
    ("ack_at", "At"),
    ("ack_note", "Note"),
]
NOTE_COLUMNS = [
    ("week_start", "Week"),
    ("kind", "Type"),
    ("metric", "Metric"),
    ("text", "Note"),
    ("author", "By"),
    ("created_at", "At"),
]
VERDICT_COLUMNS = [
    ("event_id", "Event"),
    ("prediction", "Prediction"),
    ("verdict", "Verdict"),
    ("comment", "Comment"),
    ("judged_by", "By"),
]


@dataclass
class ReviewPack:
    """Everything one week's review shows; frames may be empty."""

    week: dt.date
    build_id: str | None = None
    is_partial: bool = False
    generated_at: dt.datetime | None = None
    generated_by: str | None = None
    scorecard: pd.DataFrame = field(default_factory=pd.DataFrame)
    alerts: pd.DataFrame = field(default_factory=pd.DataFrame)
    unowned: list[str] = field(default_factory=list)
    notes: pd.DataFrame = field(default_factory=pd.DataFrame)
    sample: pd.DataFrame = field(default_factory=pd.DataFrame)
    verdicts: dict[str, Any] = field(default_factory=dict)
    signoff: dict[str, Any] | None = None
    data_quality: dict[str, pd.DataFrame] = field(default_factory=dict)
    system: str | None = None  # the AI system reviewed (None: the company's review)

    @property
    def heading(self) -> str:
        """``Weekly review — week of 2026-11-09`` (with `` — <system>`` for a system)."""
        of = f" — {self.system}" if self.system else ""
        return f"Weekly review{of} — week of {self.week.isoformat()}"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if value != value else f"{value:.4g}"
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC") if value == value else ""
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def _cells(
    frame: pd.DataFrame, columns: list[tuple[str, str]]
) -> tuple[list[str], list[list[str]]]:
    present = [(c, label) for c, label in columns if c in frame.columns]
    headers = [label for _, label in present]
    rows = []
    for record in frame.to_dict("records"):
        row = []
        for c, _ in present:
            value = record[c]
            if c == "status":
                value = STATUS_LABEL.get(str(value), value)
            row.append(_text(value))
        rows.append(row)
    return headers, rows


def _md_table(frame: pd.DataFrame, columns: list[tuple[str, str]]) -> str:
    headers, rows = _cells(frame, columns)
    if not rows:
        return "_None._"

    def esc(cell: str) -> str:  # typed text: no live image or link (outcomes.app.markup)
        return md_text(cell).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _header_lines(pack: ReviewPack, text: Callable[[object], str] = str) -> list[str]:
    """The lines above the scorecard; ``text`` escapes what people typed (names, comments)."""
    lines = []
    if pack.is_partial:
        lines.append("**Partial week**: the week had not ended when the snapshot was built.")
    lines.append(f"Snapshot build: `{pack.build_id or 'unknown'}`")
    if pack.generated_at:
        by = f" by {text(pack.generated_by)}" if pack.generated_by else ""
        lines.append(f"Exported {_text(pack.generated_at)}{by}")
    if pack.signoff:
        lines.append(
            f"Signed off by **{text(pack.signoff.get('author'))}** at {_text(pack.signoff.get('created_at'))}"
            + (f": {text(pack.signoff.get('comment'))}" if pack.signoff.get("comment") else "")
        )
    else:
        lines.append("Not signed off.")
    return lines


def _verdict_sentence(v: dict[str, Any]) -> str:
    """How many sampled outputs were judged, how, and the reviewed accuracy.

    >>> _verdict_sentence({"judged": 2, "sampled": 3, "correct": 1, "incorrect": 1,
    ...                    "accuracy": 0.5})
    '2 of 3 sampled outputs judged: 1 correct, 1 incorrect (reviewed accuracy 50.0%).'
    """
    acc = v.get("accuracy")
    return (
        f"{v.get('judged', 0)} of {v.get('sampled', 0)} sampled outputs judged: "
        f"{v.get('correct', 0)} correct, {v.get('incorrect', 0)} incorrect"
        + (f" (reviewed accuracy {acc:.1%})" if acc is not None else "")
        + "."
    )


def review_markdown(pack: ReviewPack) -> str:
    """The review as Markdown: header, scorecard by kind (pipe tables), alerts, unowned
    metrics, notes, output review and data quality."""
    out = [f"# {md_text(pack.heading)}", ""]
    out += [line + "  " for line in _header_lines(pack, md_text)]
    out += ["", "## Scorecard", ""]
    if pack.scorecard.empty:
        out.append("_No metrics in this snapshot._")
    else:
        for kind, group in pack.scorecard.groupby("kind", sort=False):
            out += [f"### {str(kind).capitalize()}", "", _md_table(group, SCORECARD_COLUMNS), ""]
    out += ["## Alerts", "", _md_table(pack.alerts, ALERT_COLUMNS), ""]
    out += ["## Unowned metrics", ""]
    out += [", ".join(f"`{m}`" for m in pack.unowned) if pack.unowned else "_None._", ""]
    out += ["## Notes", "", _md_table(pack.notes, NOTE_COLUMNS), ""]
    out += ["## Output review", ""]
    if pack.verdicts:
        out.append(_verdict_sentence(pack.verdicts))
        out.append("")
    judged = (
        pack.sample[pack.sample["verdict"].notna()]
        if "verdict" in pack.sample
        else pack.sample.iloc[0:0]
    )
    out += [_md_table(judged, VERDICT_COLUMNS), ""]
    out += ["## Data quality", ""]
    for name, frame in pack.data_quality.items():
        out += [f"### {name.replace('_', ' ').capitalize()}", ""]
        out += [_md_table(frame, [(c, c) for c in frame.columns]), ""]
    return "\n".join(out).rstrip() + "\n"


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; }
th { background: #f3f3f3; }
td.status-alert { background: #fbd5d5; } td.status-warn { background: #fde9c8; }
td.status-ok { background: #dcf1dc; } td.status-error { background: #f4b6b6; }
"""


def _html_table(frame: pd.DataFrame, columns: list[tuple[str, str]]) -> str:
    headers, rows = _cells(frame, columns)
    if not rows:
        return "<p><em>None.</em></p>"
    keys = [c for c, _ in columns if c in frame.columns]
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for record, row in zip(frame.to_dict("records"), rows, strict=True):
        cells = []
        for key, cell in zip(keys, row, strict=True):
            css = f' class="status-{html.escape(str(record[key]))}"' if key == "status" else ""
            cells.append(f"<td{css}>{html.escape(cell)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def review_html(pack: ReviewPack) -> str:
    """The review as one self-contained HTML page (inline CSS, no scripts)."""
    heading = html.escape(pack.heading)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{heading}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{heading}</h1>",
    ]
    for line in _header_lines(pack):
        plain = line.replace("**", "").replace("`", "")
        parts.append(f"<p>{html.escape(plain)}</p>")
    parts.append("<h2>Scorecard</h2>")
    if pack.scorecard.empty:
        parts.append("<p><em>No metrics in this snapshot.</em></p>")
    else:
        for kind, group in pack.scorecard.groupby("kind", sort=False):
            parts.append(f"<h3>{html.escape(str(kind).capitalize())}</h3>")
            parts.append(_html_table(group, SCORECARD_COLUMNS))
    parts += ["<h2>Alerts</h2>", _html_table(pack.alerts, ALERT_COLUMNS)]
    parts.append("<h2>Unowned metrics</h2>")
    parts.append(
        "<ul>" + "".join(f"<li>{html.escape(m)}</li>" for m in pack.unowned) + "</ul>"
        if pack.unowned
        else "<p><em>None.</em></p>"
    )
    parts += ["<h2>Notes</h2>", _html_table(pack.notes, NOTE_COLUMNS)]
    parts.append("<h2>Output review</h2>")
    if pack.verdicts:
        parts.append(f"<p>{_verdict_sentence(pack.verdicts)}</p>")
    judged = (
        pack.sample[pack.sample["verdict"].notna()]
        if "verdict" in pack.sample
        else pack.sample.iloc[0:0]
    )
    parts.append(_html_table(judged, VERDICT_COLUMNS))
    parts.append("<h2>Data quality</h2>")
    for name, frame in pack.data_quality.items():
        parts.append(f"<h3>{html.escape(name.replace('_', ' ').capitalize())}</h3>")
        parts.append(_html_table(frame, [(c, c) for c in frame.columns]))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
