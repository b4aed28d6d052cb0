"""Records read in Python (CSV, JSON) appended to ``SOURCE_TABLE`` in batches, and the tally of
what became of every physical line or record of the file.

``SOURCE_TABLE`` holds ``_rn`` (record number), ``_line`` (physical line the record starts on),
``_fault`` (why the record cannot be used, or null), ``_record`` (the record's text when it
could not be split into values) and ``s<i>`` (text of source column ``i``).

>>> t = Tally()
>>> t.skip("blank line", 4); t.skip("blank line", 9); t.describe_skipped()
'2 blank line (lines 4, 9)'
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from outcomes.core.quoting import quote_ident
from outcomes.ingest.scratch_tables import SOURCE_TABLE

BATCH_ROWS = 50_000
_BATCH_VIEW = "_ingest_batch"
_LINES_SHOWN = 5


@dataclass
class Tally:
    """Physical accounting of one file: records found, lines spanned, records skipped (why)."""

    records: int = 0  # data records found by our own reader (blank lines and header lines too)
    lines: int | None = None  # physical lines after the header (None: Parquet, JSON array)
    skipped: Counter[str] = field(default_factory=Counter)
    skipped_at: dict[str, list[int]] = field(default_factory=dict)

    def skip(self, reason: str, line: int) -> None:
        """Count one record skipped for `reason`, found at `line`."""
        self.skipped[reason] += 1
        self.skipped_at.setdefault(reason, []).append(line)

    @property
    def rows_skipped(self) -> int:
        """Records skipped on purpose (each with its reason)."""
        return sum(self.skipped.values())

    def describe_skipped(self) -> str:
        """'N reason (lines a, b, …)' per reason, '; '-separated."""
        parts = []
        for reason, n in self.skipped.items():
            at = self.skipped_at.get(reason, [])
            shown = ", ".join(str(x) for x in at[:_LINES_SHOWN]) + (", …" if len(at) > 5 else "")
            parts.append(f"{n} {reason}" + (f" (lines {shown})" if shown else ""))
        return "; ".join(parts)


class RecordSink:
    """Appends records to ``SOURCE_TABLE`` (created empty), adding columns as they appear."""

    def __init__(self, con: duckdb.DuckDBPyConnection, columns: list[str]) -> None:
        self.con = con
        self.columns: list[str] = list(columns)
        self.rows: list[tuple[object, ...]] = []
        self.count = 0
        texts = "".join(f", s{i} varchar" for i in range(len(columns)))
        con.execute(
            f"create temp table {SOURCE_TABLE} "
            f"(_rn bigint, _line bigint, _fault varchar, _record varchar{texts})"
        )

    def add_column(self, name: str) -> int:
        """Add source column `name` (earlier records hold null in it); return its index."""
        self.flush()
        i = len(self.columns)
        self.columns.append(name)
        self.con.execute(f"alter table {SOURCE_TABLE} add column s{i} varchar")
        return i

    def add(
        self,
        line: int,
        values: list[str | None] | None,
        fault: str | None = None,
        record: str | None = None,
    ) -> None:
        """Append one record: its values by column index (None: the record could not be split)."""
        self.count += 1
        width = len(self.columns)
        vals = list(values or [])
        vals += [None] * (width - len(vals))
        self.rows.append((self.count, line, fault, record, *vals))
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def add_fields(self, line: int, fields: list[str]) -> None:
        """Append one record whose fields are the columns in order (empty fields: null)."""
        self.count += 1
        self.rows.append((self.count, line, None, None, *[v or None for v in fields]))
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Insert the pending records."""
        if not self.rows:
            return
        names = ["_rn", "_line", "_fault", "_record"] + [f"s{i}" for i in range(len(self.columns))]
        types = [pa.int64(), pa.int64(), pa.string(), pa.string()] + [pa.string()] * len(
            self.columns
        )
        cols = list(zip(*self.rows, strict=True))
        batch = pa.table({n: pa.array(c, t) for n, c, t in zip(names, cols, types, strict=True)})
        self.rows = []
        self.con.register(_BATCH_VIEW, batch)
        try:
            listed = ", ".join(quote_ident(n) for n in names)
            self.con.execute(
                f"insert into {SOURCE_TABLE} ({listed}) select {listed} from {_BATCH_VIEW}"
            )
        finally:
            self.con.unregister(_BATCH_VIEW)
