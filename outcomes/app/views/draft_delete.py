"""Deleting a metric from the workbench (analyst or admin): the file goes, its history stays.

:func:`delete_metric` refuses while another definition reads the metric (it names them: a ROI
line or metric would fail), removes ``sql/metrics/<name>.sql``, records in the audit log who
deleted it, when, and the whole text of the file (so it can be restored, and every earlier
edit stays in the log), then rebuilds the snapshot. Values of earlier snapshots are not kept
by the snapshot (it is rebuilt whole); the audit pack of a closed period keeps the SQL it used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from outcomes.app.registry_cache import current_registry
from outcomes.app.views.draft_save import SaveRefused
from outcomes.app.views.workbench import current_text, family_refusal, metric_path
from outcomes.config import Settings
from outcomes.core.authz import Action, Identity, NotAllowed, authorise
from outcomes.store.manifest_file import BuildRecord
from outcomes.store.rebuild import rebuild_or_error
from outcomes.store.state import StateStore


@dataclass(frozen=True)
class DeleteResult:
    """A deleted metric: its file, the audit entry that keeps its text, the rebuild."""

    path: Path
    audit_id: int
    build: BuildRecord | None
    build_error: str | None


def dependents(settings: Settings, name: str) -> list[str]:
    """The definitions that read ``metrics.<name>`` (qualified names, sorted)."""
    registry = current_registry(settings.sql_dir)
    target = f"metrics.{name}"
    return sorted(q for q, d in registry.definitions.items() if q != target and target in d.reads)


def delete_metric(
    name: str, settings: Settings, *, who: Identity | None, why: str, rebuild: bool = True
) -> DeleteResult:
    """Remove metric ``name``'s file, keep its text and ``why`` in the audit log, rebuild.

    :class:`~outcomes.app.views.draft_save.SaveRefused` when ``who`` may not save SQL, no
    reason is given, the metric does not exist, or other definitions read it.
    """
    try:
        actor = authorise(who, Action.save_sql).subject
    except NotAllowed as exc:
        raise SaveRefused(str(exc)) from exc
    if not why.strip():
        raise SaveRefused("Say why the metric is deleted (kept in the audit log).")
    refusal = family_refusal(settings, name)
    if refusal is not None:
        raise SaveRefused(refusal)
    text = current_text(settings, name)
    if text is None:
        raise SaveRefused(f"There is no saved metric {name!r} to delete.")
    readers = dependents(settings, name)
    if readers:
        raise SaveRefused(
            f"{', '.join(readers)} read metrics.{name}: change them first, or they fail in "
            "the next build"
        )
    path = metric_path(settings, name)
    audit_id = StateStore(settings.state_path).log(
        actor,
        "delete_sql",
        "metric",
        name,
        {
            "path": str(path),
            "why": why.strip(),
            "sha256_before": hashlib.sha256(text.encode()).hexdigest(),
            "text": text,  # the whole file: history kept, restorable
            "deleted_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        },
    )
    path.unlink()
    build, build_error = rebuild_or_error(settings) if rebuild else (None, None)
    return DeleteResult(path, audit_id, build, build_error)
