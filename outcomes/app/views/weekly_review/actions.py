"""What people do on the review page: acknowledge an alert, add a note, judge an output, sign
the week off. Each is authorised for the acting identity (:func:`outcomes.core.authz.authorise`,
here on the server, whatever the page shows), writes to the state store under the identity's
subject and returns the message to flash, ``("success", text)`` or ``("error", text)`` with
what was refused (the page stays up).

>>> NOTE_KINDS["business_event"]
'Business event'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from outcomes.core.authz import Action, Identity, NotAllowed, authorise
from outcomes.store.state import StateStore
from outcomes.store.state_annotations import AnnotationKind
from outcomes.store.state_file import StateError

NOTE_KINDS = {k.value: k.value.replace("_", " ").capitalize() for k in AnnotationKind}
WHOLE_WEEK = "(whole week)"  # the note's metric picker: a note on no one metric

Flash = tuple[str, str]


def _attempt(write: Callable[[], object], done: str, refused: str) -> Flash:
    try:
        write()
    except (StateError, NotAllowed) as exc:
        return "error", f"{refused}: {exc}"
    return "success", done


ACK_CHOICES = {
    "acknowledge": "Acknowledge (this week)",
    "snooze": "Snooze for N weeks",
    "accept_reference": "Accept a new drift reference",
}


def acknowledge(
    store: StateStore,
    alert_key: str,
    author: Identity | None,
    note: str,
    *,
    label: str = "the alert",
    action: str = "acknowledge",
    snooze_weeks: int | None = None,
    reference: tuple[dt.date, dt.date] | None = None,
) -> Flash:
    """Acknowledge the alert ``alert_key`` (named ``label`` in the message), snooze it for
    ``snooze_weeks`` or accept a new drift ``reference`` window for it."""
    done = {
        "acknowledge": f"Acknowledged: {label}.",
        "snooze": f"Snoozed for {snooze_weeks} weeks: {label}. It stays listed, marked snoozed.",
        "accept_reference": f"New reference accepted for {label}; it stays listed, marked accepted.",
    }.get(action, f"Acknowledged: {label}.")
    return _attempt(
        lambda: store.acknowledge_alert(
            alert_key,
            authorise(author, Action.acknowledge).subject,
            note,
            action=action,
            snooze_weeks=snooze_weeks if action == "snooze" else None,
            reference=reference if action == "accept_reference" else None,
        ),
        done,
        "Not acknowledged",
    )


def add_note(
    store: StateStore,
    week: dt.date,
    text: str,
    kind: str,
    author: Identity | None,
    metric: str | None,
) -> Flash:
    """Note ``text`` on the week, on one metric unless ``metric`` is :data:`WHOLE_WEEK`."""
    on = None if metric in (None, WHOLE_WEEK) else metric
    return _attempt(
        lambda: store.add_annotation(
            week, text, kind, authorise(author, Action.annotate).subject, metric=on
        ),
        "Note added; it shows on every trend chart of that week.",
        "Note not added",
    )


def record_verdict(
    store: StateStore,
    event_id: str,
    week: dt.date,
    verdict: str,
    author: Identity | None,
    comment: str,
) -> Flash:
    """Judge one sampled output correct or incorrect."""
    return _attempt(
        lambda: store.record_verdict(
            event_id, week, verdict, authorise(author, Action.review).subject, comment
        ),
        f"Verdict on {event_id} saved.",
        "Verdict not saved",
    )


def sign_off(
    store: StateStore,
    week: dt.date,
    author: Identity | None,
    comment: str,
    open_items: Sequence[str] = (),
    reason: str = "",
    system: str | None = None,
) -> Flash:
    """Sign the week's review off (of the company, or of AI ``system``), once per person and
    system; over ``open_items`` only with a ``reason``. Authorised here, on the server."""
    over = f" over {len(open_items)} open items" if open_items else ""
    of = f" ({system})" if system else ""
    return _attempt(
        lambda: store.sign_off(
            week,
            authorise(author, Action.sign_off).subject,
            comment,
            open_items=open_items,
            reason=reason,
            system=system,
        ),
        f"Week of {week}{of} signed off by {author.subject if author else ''}{over}.",
        "Not signed off",
    )
