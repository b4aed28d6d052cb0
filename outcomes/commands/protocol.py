"""What every command shares: exit codes, the usage error, who is acting, argument types.

Exit codes: 0 ok; 1 checks failed or metrics failed; 2 bad usage or unreadable input.

>>> _date("2026-03-02")
datetime.date(2026, 3, 2)
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os

from outcomes.errors import OutcomesError

OK, FAILED, BAD_INPUT = 0, 1, 2


class UsageError(OutcomesError):
    """Bad usage or unreadable input: exit code 2."""


def _who() -> str:
    return os.environ.get("OUTCOMES_USER") or getpass.getuser()


def _one_line(exc: BaseException) -> str:
    """The first line of an error's message (a store's error can run to many lines).

    >>> _one_line(OSError(28, "No space left on device"))
    '[Errno 28] No space left on device'
    """
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    return lines[0]


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from exc
