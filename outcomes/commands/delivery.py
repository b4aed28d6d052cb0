"""Commands that take the review to people: the weekly digest and the dashboard itself."""

from __future__ import annotations

import argparse
import os
import sys

from outcomes.commands.protocol import FAILED, OK, UsageError
from outcomes.config import Settings


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    from outcomes.app.digest.delivery import send_and_report

    try:
        text, ok = send_and_report(settings, args.week, dry_run=args.dry_run, show=args.print)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    print(text)
    return OK if ok else FAILED


def app_command(host: str, port: int) -> list[str]:
    """The ``streamlit run`` command line of the app that ships with this copy of Outcomes.

    >>> app_command("127.0.0.1", 8501)[1:4]
    ['-m', 'streamlit', 'run']
    """
    from outcomes.config import SHIPPED_DIR

    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(SHIPPED_DIR / "app.py"),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        # .streamlit/config.toml is read from the working directory, which an installed copy
        # does not have: its settings are passed here
        "--client.toolbarMode",
        "minimal",
        "--theme.base",
        "light",
    ]


def cmd_app(args: argparse.Namespace, settings: Settings) -> int:
    command = app_command(args.host, args.port)
    os.execv(command[0], command)  # replaces this process: Streamlit owns the terminal now
    return OK  # pragma: no cover
