"""Reading a CSV file record by record with our own count of every physical line.

DuckDB's CSV sniffer may take a later header line as the header and drop every line above it
without an error, so CSV is read here with Python's ``csv`` module (strict quoting, UTF-8):
the first non-blank line is the header; a line that repeats it is skipped with that reason; a
header line with other columns (two exports appended) is skipped and the lines below it are read
with its columns; a record that cannot be parsed, has another number of fields than its header
or is not UTF-8 is kept as a faulty record (quarantined with its line number).
A header naming a column twice (case-insensitive) refuses the file.

>>> import tempfile, pathlib, duckdb
>>> from outcomes.core.contracts import load_contract
>>> p = pathlib.Path(tempfile.mkdtemp()) / "u.csv"
>>> _ = p.write_text("user_id,team\\nu1,a\\n\\nuser_id,team\\nu2,b,x\\n")
>>> con = duckdb.connect()
>>> columns, tally = read_csv_records(con, p, load_contract("users"))
>>> columns, tally.records, tally.lines, tally.describe_skipped()
(['user_id', 'team'], 4, 4, '1 blank line (lines 3); 1 repeated header line (lines 4)')
>>> con.sql("select _line, _fault is not null from _ingest_src0 order by _rn").fetchall()
[(2, False), (5, True)]
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb

from outcomes.core.contracts import Contract
from outcomes.ingest.load_ledger import IngestError
from outcomes.ingest.record_sink import RecordSink, Tally

FIELD_LIMIT = 64 << 20  # one field; beyond it the record is quarantined, the rest still loads
_RECORD_SHOWN = 2000  # characters of a faulty record kept in raw.quarantine
_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}

csv.field_size_limit(FIELD_LIMIT)


def header_key(name: str) -> str:
    """How column names compare: trimmed, case-insensitive."""
    return name.strip().lower()


def check_unique(f: Path, names: list[str], where: str) -> None:
    """Refuse the file when two column names are equal ignoring case and surrounding blanks."""
    seen: dict[str, str] = {}
    for name in names:
        key = header_key(name)
        if key in seen:
            raise IngestError(
                f"Cannot ingest {f}: column {key} appears twice ({seen[key]!r} and {name!r}) in "
                f"{where}. Keep one of them and send the file again.",
                path=f,
                hint="remove the duplicate column",
            )
        seen[key] = name


def _refuse_encoding(f: Path) -> None:
    with f.open("rb") as fh:
        head = fh.read(4)
    for bom, name in _BOMS.items():
        if head.startswith(bom):
            raise IngestError(
                f"Cannot ingest {f}: it is encoded as {name} (line 1 starts with its byte order "
                "mark). Export it as UTF-8 and send it again.",
                path=f,
                hint="export as UTF-8",
            )


def _is_utf8(values: list[str]) -> bool:
    try:
        for v in values:
            v.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: a byte that was not UTF-8
        return False
    return True


def _record_text(values: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(values)
    text = out.getvalue().encode("utf-8", "backslashreplace").decode("utf-8")
    return text[:_RECORD_SHOWN]


def _names(values: list[str]) -> list[str]:
    return [v.strip() or f"column{i + 1}" for i, v in enumerate(values)]


def read_csv_records(
    con: duckdb.DuckDBPyConnection, f: Path, contract: Contract
) -> tuple[list[str], Tally]:
    """Fill ``SOURCE_TABLE`` from CSV file `f`; return its columns and the tally of its lines."""
    _refuse_encoding(f)
    tally = Tally()
    required = {header_key(c) for c in contract.required_columns}
    with f.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        reader = csv.reader(fh, strict=True)
        header: list[str] | None = None
        header_line = 0
        last = 0
        while header is None:
            try:
                rec = next(reader)
            except StopIteration:
                return [], tally
            except csv.Error as exc:
                raise IngestError(
                    f"Cannot ingest {f}: its header (line {last + 1}) cannot be read as CSV "
                    f"({exc}). Check the quoting of the header line and send the file again.",
                    path=f,
                    hint="fix the header line",
                ) from None
            last = reader.line_num
            if rec and any(v.strip() for v in rec):
                header, header_line = _names(rec), last
                if not _is_utf8(header):
                    raise IngestError(
                        f"Cannot ingest {f}: its header (line {header_line}) is not UTF-8. "
                        "Export the file as UTF-8 and send it again.",
                        path=f,
                        hint="export as UTF-8",
                    )
                check_unique(f, header, f"the header (line {header_line})")
        sink = RecordSink(con, header)
        by_key = {header_key(n): i for i, n in enumerate(header)}
        current = list(range(len(header)))  # field position -> sink column, for this section
        current_keys = [header_key(n) for n in header]
        current_line = header_line
        header_words = set(current_keys) | set(contract.names)
        identity = True  # field i is column i of the sink: the fast path
        while True:
            start = last + 1
            try:
                rec = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                last = reader.line_num
                tally.records += 1
                span = f"line {start}" if last <= start else f"lines {start}-{last}"
                sink.add(
                    start,
                    None,
                    fault=f"{span[0].upper()}{span[1:]} cannot be read as CSV ({exc}); "
                    "check its quotes. Correct it at the source and send the row again.",
                    record="",
                )
                continue
            last = reader.line_num
            tally.records += 1
            if not rec or (len(rec) == 1 and not rec[0].strip()):
                tally.skip("blank line", start)
                continue
            # only a record starting with a column name can be a header line (cheap test first)
            keys = [header_key(v) for v in rec] if header_key(rec[0]) in header_words else None
            if keys is None:
                pass
            elif keys == current_keys:
                tally.skip("repeated header line", start)
                continue
            elif required <= set(keys) and len(set(keys)) == len(keys) and all(keys):
                # the header line of a second export appended to the first
                names = _names(rec)
                current = []
                for name in names:
                    k = header_key(name)
                    if k not in by_key:
                        by_key[k] = sink.add_column(name)
                    current.append(by_key[k])
                current_keys, current_line = keys, start
                header_words.update(keys)
                identity = current == list(range(len(sink.columns)))
                tally.skip("header line of an appended export", start)
                continue
            if len(rec) != len(current):
                sink.add(
                    start,
                    None,
                    fault=f"Line {start} has {len(rec)} fields but its header (line "
                    f"{current_line}) has {len(current)}; check the delimiter and quotes. Correct "
                    "it at the source and send the row again.",
                    record=_record_text(rec),
                )
                continue
            if not "".join(rec).isascii() and not _is_utf8(rec):
                sink.add(
                    start,
                    None,
                    fault=f"Line {start} is not valid UTF-8; export the file as UTF-8 and send "
                    "the row again.",
                    record=_record_text(rec),
                )
                continue
            if identity:
                sink.add_fields(start, rec)
                continue
            values: list[str | None] = [None] * len(sink.columns)
            for pos, v in zip(current, rec, strict=True):
                values[pos] = v or None  # an empty field is null, as DuckDB's reader had it
            sink.add(start, values)
        sink.flush()
        tally.lines = reader.line_num - header_line
    return sink.columns, tally
