"""Writing the demo's files: one CSV per table, or Parquet part files (a quarter each) for the
big tables, every column as text; moved into place when all are written.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from outcomes.ingest.demo_scenario import COLUMNS, WEEKS, WEEKS_PER_PART


class Sink:
    """One table's output: a single CSV file, or Parquet part files (one per quarter, one row
    group per week). Every column is text, so dirty values survive; ingest reads text."""

    def __init__(self, root: Path, table: str, fmt: str) -> None:
        self.root, self.table, self.fmt = root, table, fmt
        self.rows, self.part = 0, -1
        self.schema = pa.schema([(c, pa.string()) for c in COLUMNS[table]])
        self.handle = None
        self.writer: pa_csv.CSVWriter | pq.ParquetWriter | None = None
        if fmt == "csv":
            self.path = root / f"{table}.csv"
            self.handle = open(self.path, "wb")  # noqa: SIM115 - closed in close()
            self.handle.write((",".join(COLUMNS[table]) + "\n").encode())
            options = pa_csv.WriteOptions(include_header=False, quoting_style="none")
            self.writer = pa_csv.CSVWriter(self.handle, self.schema, write_options=options)
        else:
            self.path = root / table
            self.path.mkdir()

    def write(self, week: int, t: pa.Table) -> None:
        """Append week ``week``'s rows (a new part file at each quarter)."""
        t = t.select(list(COLUMNS[self.table])).cast(self.schema)
        if self.fmt == "parquet":
            part = min(week // WEEKS_PER_PART, WEEKS // WEEKS_PER_PART - 1)
            if part != self.part:
                if self.writer is not None:
                    self.writer.close()
                self.part = part
                self.writer = pq.ParquetWriter(
                    self.path / f"part-{part:03d}.parquet", self.schema, compression="zstd"
                )
        assert self.writer is not None
        if t.num_rows:
            self.writer.write_table(t)
        self.rows += t.num_rows

    def close(self) -> tuple[Path, int]:
        """Close the files; return the path to ingest and the rows written."""
        if self.writer is not None:
            self.writer.close()
        if self.handle is not None:
            self.handle.close()
        return self.path, self.rows


def write_small_csv(path: Path, table: str, rows: list[list[str]]) -> tuple[Path, int]:
    """Write ``rows`` of ``table`` as one CSV with its header; return the path and rows."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS[table])
        writer.writerows(rows)
    return path, len(rows)


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> tuple[Path, int]:
    """Write ``rows`` as JSON lines; return the path and rows."""
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(row) + "\n" for row in rows)
    return path, len(rows)


def move_into_place(tmp_path: Path, out_dir: Path) -> Path:
    """Replace any earlier demo output of the same table (file or part folder) by ``tmp_path``."""
    table = tmp_path.name.split(".")[0]
    for ext in ("csv", "parquet", "jsonl"):
        (out_dir / f"{table}.{ext}").unlink(missing_ok=True)
    if (out_dir / table).is_dir():
        shutil.rmtree(out_dir / table)
    target = out_dir / tmp_path.name
    os.replace(tmp_path, target)
    return target
