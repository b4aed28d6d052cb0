"""Progress lines for long work: what is being done, rows, and rows per second.

>>> line = ProgressLine("ingest ai_events", out=None)
>>> line.rate_text(1_000, 0.5)
'1,000 rows in 0.50 s (2,000 rows/s)'
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

Progress = Callable[[str], None]  # called with one message per step of long work


class ProgressLine:
    """Reports ``rows`` done so far for one piece of work, with the rate."""

    def __init__(self, label: str, out: TextIO | None = sys.stderr) -> None:
        self.label = label
        self.out = out
        self.started = time.perf_counter()

    @staticmethod
    def rate_text(rows: int, seconds: float) -> str:
        rate = rows / seconds if seconds > 0 else float(rows)
        return f"{rows:,} rows in {seconds:.2f} s ({rate:,.0f} rows/s)"

    def done(self, rows: int, extra: str = "") -> str:
        text = f"{self.label}: {self.rate_text(rows, time.perf_counter() - self.started)}"
        if extra:
            text += f" {extra}"
        if self.out is not None:
            print(text, file=self.out, flush=True)
        return text


def printer(out: TextIO | None = sys.stderr) -> Progress:
    """A progress callback that prints each message on its own line (None: silent)."""

    def emit(message: str) -> None:
        if out is not None:
            print(message, file=out, flush=True)

    return emit
