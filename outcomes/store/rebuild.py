"""Rebuild the snapshot from the app: ``outcomes build`` in a child process, then its manifest.

The app never imports the build (its layers sit below the build's); it asks for a build the way
a person does, through the CLI, with the app's settings passed in the environment, and reads
what was built from ``<warehouse>.manifest.json`` (:mod:`outcomes.store.manifest_file`).

>>> from outcomes.config import Settings
>>> env = settings_environment(Settings(currency="EUR", build_as_of="2026-11-19T12:00:00"))
>>> env["OUTCOMES_CURRENCY"], env["OUTCOMES_BUILD_AS_OF"], env["OUTCOMES_AUTH"][:11]
('EUR', '2026-11-19T12:00:00', '{"provider"')
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pydantic import SecretStr

from outcomes.config import Settings
from outcomes.errors import OutcomesError
from outcomes.store.manifest_file import BuildRecord, read_manifest_json

ENV_PREFIX = "OUTCOMES_"
KEPT = {"OUTCOMES_HOME"}  # where the project lives, not a setting
# the folder that holds the outcomes package, so the child imports this same code
PACKAGE_PARENT = Path(__file__).resolve().parent.parent.parent


class RebuildFailed(OutcomesError, RuntimeError):
    """The build could not run (nothing was swapped in); the message is the build's own."""


def settings_environment(settings: Settings) -> dict[str, str]:
    """``OUTCOMES_*`` variables that give a child process exactly ``settings``."""
    env = {}
    for key, value in settings.model_dump(mode="json").items():
        if value is None:
            continue
        secret = getattr(settings, key)
        if isinstance(secret, SecretStr):  # model_dump masks it as '**********'
            value = secret.get_secret_value()
        env[f"{ENV_PREFIX}{key.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    return env


def rebuild_snapshot(settings: Settings) -> BuildRecord:
    """Run ``outcomes build`` with ``settings`` and return the build it recorded.

    A build whose objects fail still returns (``status == "failed"``); a build that could not
    run (no raw store, an unreadable SQL folder, an invalid register) raises
    :class:`RebuildFailed` with the build's message.
    """
    before = read_manifest_json(settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX) or k in KEPT}
    env.update(settings_environment(settings))
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(PACKAGE_PARENT), env.get("PYTHONPATH")) if p
    )
    done = subprocess.run(
        [sys.executable, "-m", "outcomes", "build"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    after = read_manifest_json(settings)
    if after is None or (before is not None and after.build_id == before.build_id):
        raise RebuildFailed(failure_message(done.stderr) or f"exit code {done.returncode}")
    return after


def rebuild_or_error(settings: Settings) -> tuple[BuildRecord | None, str | None]:
    """:func:`rebuild_snapshot` for a page that reports rather than raises: ``(build, None)``,
    or ``(None, the build's message)`` when the build could not run."""
    try:
        return rebuild_snapshot(settings), None
    except RebuildFailed as exc:
        return None, str(exc)


def failure_message(stderr: str) -> str:
    """The CLI's ``error: ...`` (with the lines after it), else a traceback's last line's
    message; progress lines before them are left out.

    >>> failure_message("raw: 3 tables\\nerror: no raw store at x\\n  fix it\\n")
    'no raw store at x\\n  fix it'
    >>> failure_message("Traceback (most recent call last):\\n  ...\\nBuildError: bad sql\\n")
    'bad sql'
    """
    lines = [line for line in stderr.splitlines() if line.strip()]
    starts = [i for i, line in enumerate(lines) if line.startswith("error: ")]
    if starts:
        return "\n".join(lines[starts[-1] :]).removeprefix("error: ")
    if lines and any(line.startswith("Traceback") for line in lines):
        return lines[-1].split(": ", 1)[-1]
    return lines[-1] if lines else ""
