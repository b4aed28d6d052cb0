"""Saving a metric draft from the workbench: ``sql/metrics/<name>.sql`` written atomically
(only by a role allowed to save SQL, authorised here: analyst or admin), who and the diff
recorded in the audit log, then a rebuild.

A rebuild is a *full* build: ``build_snapshot(only=[name])`` builds only the named
definitions and what they read into a new snapshot that replaces the current one, so every
other metric would vanish from the app until the next full build.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from outcomes.app.views.draft_validation import validate_draft
from outcomes.app.views.workbench import current_text, family_refusal, metric_path, sql_diff
from outcomes.config import Settings
from outcomes.core.authz import Action, Identity, NotAllowed, authorise, may
from outcomes.errors import OutcomesError
from outcomes.store.manifest_file import BuildRecord
from outcomes.store.rebuild import rebuild_or_error
from outcomes.store.state import StateStore


class SaveRefused(OutcomesError, PermissionError):
    """The identity may not save SQL, or the draft is invalid (``reason``)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def can_save(who: Identity | None) -> tuple[bool, str]:
    """Whether ``who`` may write a draft to ``sql/`` (else why not), to show or hide the button;
    :func:`save_draft` authorises again.

    >>> from outcomes.config import Role
    >>> can_save(Identity("otto", Role.operator))[0], can_save(Identity("ana", Role.analyst))
    (False, (True, ''))
    """
    if may(who, Action.save_sql):
        return True, ""
    role = who.role.value if who else "none (not signed in)"
    return False, (
        f"Saving metric SQL needs the analyst or admin role; your role is {role}. "
        "Download the file instead."
    )


@dataclass(frozen=True)
class SaveResult:
    path: Path
    created: bool  # a new metric file
    audit_id: int
    diff: str
    build: BuildRecord | None  # None when the build could not run
    build_error: str | None
    message: str = field(default="")


def save_draft(
    text: str,
    name: str,
    settings: Settings,
    *,
    who: Identity | None,
    rebuild: bool = True,
) -> SaveResult:
    """Write the draft to ``sql/metrics/<name>.sql``, log it (who, when, the diff), then
    rebuild the snapshot (full build, see the module docstring).

    Raises :class:`SaveRefused` when ``who`` may not save SQL
    (:func:`outcomes.core.authz.authorise`) or the draft does not validate. The file is written
    atomically.
    """
    try:
        actor = authorise(who, Action.save_sql).subject
    except NotAllowed as exc:
        raise SaveRefused(str(exc)) from exc
    refusal = family_refusal(settings, name)
    if refusal is not None:
        raise SaveRefused(refusal)
    validation = validate_draft(text, name, settings)
    if not validation.ok:
        raise SaveRefused(
            "The draft does not validate; fix these first: "
            + "; ".join(str(e) for e in validation.errors)
        )
    path = metric_path(settings, name)
    current = current_text(settings, name)
    diff = sql_diff(current, text, name)
    if current == text:
        raise SaveRefused("Nothing to save: the draft is the same as the saved file.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    audit_id = StateStore(settings.state_path).log(
        actor,
        "edit_sql",
        "metric",
        name,
        {
            "path": str(path),
            "created": current is None,
            "summary": "new metric" if current is None else "definition changed",
            "sha256_before": hashlib.sha256(current.encode()).hexdigest() if current else None,
            "sha256_after": hashlib.sha256(text.encode()).hexdigest(),
            "diff": diff,
            "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        },
    )
    build, build_error = rebuild_or_error(settings) if rebuild else (None, None)
    return SaveResult(path, current is None, audit_id, diff, build, build_error)
