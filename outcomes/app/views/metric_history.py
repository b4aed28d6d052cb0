"""A metric's history of changes: who saved it from the app (audit log, with the diff) and,
when the SQL folder is in a git work tree, the commits of its file."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd

from outcomes.config import Settings
from outcomes.core.blueprints import metric_file
from outcomes.store.state import StateStore

HISTORY_COLUMNS = ["at", "who", "source", "what", "detail"]


def history(settings: Settings, name: str, *, git: bool = True) -> pd.DataFrame:
    """Changes to metric ``name``, newest first: the app's audit log (who saved what, with the
    diff in ``detail``) and, when the SQL folder is in a git work tree, ``git log --follow``
    of its file (local only, no network)."""
    rows = []
    for entry in StateStore(settings.state_path).audit_log(entity="metric", entity_key=name):
        detail = entry.detail if isinstance(entry.detail, dict) else {}
        rows.append(
            {
                "at": _naive_utc(entry.at),
                "who": entry.actor,
                "source": "app",
                "what": entry.action + (f": {detail['summary']}" if detail.get("summary") else ""),
                "detail": detail.get("diff", ""),
            }
        )
    if git:
        # a metric of a family file has that file's history (outcomes.core.blueprints)
        found = metric_file(Path(settings.sql_dir) / "metrics", name)
        path = found.path if found else Path(settings.sql_dir) / "metrics" / f"{name}.sql"
        rows.extend(git_history(path))
    frame = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    if len(frame):
        frame = frame.sort_values("at", ascending=False, kind="stable").reset_index(drop=True)
    return frame


_GIT_SEP = "\x1f"


def git_history(path: Path, limit: int = 50) -> list[dict[str, object]]:
    """Commits that touched ``path`` (following renames), newest first; [] without git."""
    git = shutil.which("git")
    if git is None or not path.parent.exists():
        return []
    try:
        out = subprocess.run(
            [
                git,
                "-C",
                str(path.parent),
                "log",
                "--follow",
                f"-n{limit}",
                f"--format=%H{_GIT_SEP}%an{_GIT_SEP}%aI{_GIT_SEP}%s",
                "--",
                path.name,
            ],
            capture_output=True,
            text=True,
            timeout=10,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    if out.returncode != 0:
        return []
    rows: list[dict[str, object]] = []
    for line in out.stdout.splitlines():
        parts = line.split(_GIT_SEP)
        if len(parts) != 4:
            continue
        sha, author, when, subject = parts
        rows.append(
            {
                "at": _naive_utc(dt.datetime.fromisoformat(when)),
                "who": author,
                "source": "git",
                "what": f"commit {sha[:10]}: {subject}",
                "detail": "",
            }
        )
    return rows


def _naive_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value
