"""The load ledger ``raw.loads``: one :class:`LoadResult` per file, loaded, skipped or refused.

A loaded file's records are accounted for: ``rows_in`` (records our own reader found) =
``rows_accepted + rows_quarantined + rows_skipped`` (``skipped_reasons`` says why, with lines).

A file that cannot be used raises :class:`IngestError` while it is loaded; the load records it
as ``refused`` in the ledger, so the ledger holds every file ever offered.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, NotRequired, TypedDict

import duckdb
import pandas as pd
from pydantic import BaseModel, ConfigDict

from outcomes.config import Settings
from outcomes.errors import OutcomesError
from outcomes.store.raw import LOADS_COLUMNS, open_raw_store


class LoadStart(TypedDict):
    """The `LoadResult` fields known before a file is read, shared by every outcome."""

    load_id: str
    table_name: str
    source_file: str
    file_format: str | None
    started_at: datetime
    loaded_by: str | None
    file_size: NotRequired[int | None]


class IngestError(OutcomesError):
    """A file (or a whole request) that cannot be used; nothing of it was loaded.

    `path` is the file, `hint` says what to do; `results` holds the results of every file
    of the request when raised by `ingest_path` after refusals.
    """

    def __init__(
        self,
        message: str,
        path: Path | str | None = None,
        hint: str | None = None,
        results: list[LoadResult] | None = None,
    ) -> None:
        super().__init__(message)
        self.path = Path(path) if path is not None else None
        self.hint = hint
        self.results = results or []


class LoadResult(BaseModel):
    """One row of the load ledger (`raw.loads`), as returned by `ingest_path`."""

    model_config = ConfigDict(frozen=True)

    load_id: str
    table_name: str
    source_file: str
    file_sha256: str | None
    file_format: str | None
    rows_in: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    rows_corrected: int = 0
    extra_columns: tuple[str, ...] = ()
    started_at: datetime
    finished_at: datetime
    loaded_by: str | None
    status: Literal[
        "loaded", "skipped_duplicate_file", "skipped_unsettled", "skipped_changed", "refused"
    ]
    message: str = ""
    rows_skipped: int = 0  # records skipped on purpose, each with its reason
    skipped_reasons: str = ""  # e.g. '1 repeated header line (lines 52)'
    lines_in: int | None = None  # physical lines after the header (CSV, JSON lines)
    file_size: int | None = None

    @property
    def seconds(self) -> float:
        """How long the load took."""
        return (self.finished_at - self.started_at).total_seconds()

    def accounting_line(self) -> str:
        """One line for `outcomes ingest`: status, table, file, where every row went."""
        line = (
            f"{self.status:<22} {self.table_name:<12} {Path(self.source_file).name}: rows in "
            f"{self.rows_in:,} = accepted {self.rows_accepted:,} + quarantined "
            f"{self.rows_quarantined:,}"
        )
        if self.rows_corrected:
            line += f" (corrections {self.rows_corrected:,})"
        if self.rows_skipped:
            line += f" + skipped {self.rows_skipped:,} ({self.skipped_reasons})"
        if self.extra_columns:
            line += f"; extra columns reported: {', '.join(self.extra_columns)}"
        if self.status in ("skipped_unsettled", "skipped_changed"):
            line += f": {self.message}"
        return line

    def summary(self) -> str:
        """One line for the terminal: file, counts, rows/s, message."""
        name = Path(self.source_file).name
        if self.status != "loaded":
            return f"{name}: {self.status}: {self.message}"
        rate = self.rows_in / self.seconds if self.seconds > 0 else float(self.rows_in)
        return f"{name}: {self.message} [{self.load_id}, {self.seconds:.1f} s, {rate:,.0f} rows/s]"


def utc_now() -> datetime:
    """Now, as the naive UTC timestamp the ledger stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def write_ledger(con: duckdb.DuckDBPyConnection, r: LoadResult) -> None:
    """Append ``r`` to ``raw.loads``."""
    names = [n for n, _ in LOADS_COLUMNS]
    values = [list(v) if isinstance(v := getattr(r, n), tuple) else v for n in names]
    marks = ", ".join("?" for _ in names)
    con.execute(f"insert into raw.loads ({', '.join(names)}) values ({marks})", values)


def ingest_status(settings: Settings) -> pd.DataFrame:
    """The load ledger, oldest first (for `outcomes status`); empty if nothing was loaded.

    >>> import tempfile, pathlib
    >>> from outcomes.config import Settings
    >>> s = Settings(raw_path=pathlib.Path(tempfile.mkdtemp()) / "raw.duckdb")
    >>> list(ingest_status(s).columns)[:3], len(ingest_status(s))
    (['load_id', 'table_name', 'source_file'], 0)
    """
    with open_raw_store(settings, write=False) as con:
        return con.sql("select * from raw.loads order by started_at, load_id").df()
