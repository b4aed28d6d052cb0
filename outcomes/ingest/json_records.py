"""Reading JSON lines (or a JSON array of objects) record by record, line numbers kept.

Each line holds one object; a blank line is skipped with that reason; a line that is not valid
JSON, not an object or not UTF-8 is kept as a faulty record (quarantined with its line number)
while the rest loads. Numbers keep their text (``1e-7`` is not rewritten); an object or array
as the value of a contract column is a fault of that row. A key repeated in one object
(case-insensitive) refuses the file. A ``.json`` file starting with ``[`` is one JSON array.

>>> import tempfile, pathlib, duckdb
>>> from outcomes.core.contracts import load_contract
>>> p = pathlib.Path(tempfile.mkdtemp()) / "f.jsonl"
>>> _ = p.write_text('{"event_id": "E1", "x": 1e-7}\\n{oops\\n\\n{"event_id": {"a": 1}}\\n')
>>> con = duckdb.connect()
>>> columns, tally = read_json_records(con, p, load_contract("feedback"))
>>> columns, tally.records, tally.lines, tally.describe_skipped()
(['event_id', 'x'], 4, 4, '1 blank line (lines 3)')
>>> con.sql("select s1, _fault is null from _ingest_src0 order by _rn").fetchall()
[('1e-7', True), (None, False), (None, False)]
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from outcomes.core.contracts import Contract
from outcomes.ingest.csv_records import header_key
from outcomes.ingest.load_ledger import IngestError
from outcomes.ingest.record_sink import RecordSink, Tally

_RECORD_SHOWN = 2000


class _Int(int):
    """A JSON integer that keeps the text it was written with."""

    text = ""


class _Float(float):
    """A JSON number with a fraction or exponent that keeps the text it was written with."""

    text = ""


def _int(text: str) -> _Int:
    n = _Int(text)
    n.text = text
    return n


def _float(text: str) -> _Float:
    x = _Float(text)
    x.text = text
    return x


class _Object(dict):  # type: ignore[type-arg]
    """A JSON object that remembers a key it saw twice (case-insensitive)."""

    repeated: str | None = None


def _pairs(pairs: list[tuple[str, object]]) -> _Object:
    obj = _Object(pairs)
    if len(obj) != len(pairs) or len({header_key(k) for k in obj}) != len(obj):
        seen: set[str] = set()
        for k, _ in pairs:
            if header_key(k) in seen:
                obj.repeated = k
                break
            seen.add(header_key(k))
    return obj


def _loads(text: str) -> object:
    return json.loads(
        text,
        object_pairs_hook=_pairs,
        parse_float=_float,
        parse_int=_int,
        parse_constant=_float,
    )


def _text(v: object) -> str | None:
    if v is None:
        return None
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, _Int | _Float):
        return v.text
    if isinstance(v, str):
        return v
    return json.dumps(v)


class _Records:
    def __init__(self, con: duckdb.DuckDBPyConnection, f: Path, contract: Contract) -> None:
        self.f = f
        self.wanted = set(contract.names)
        self.sink = RecordSink(con, [])
        self.by_key: dict[str, int] = {}  # trimmed lower-case name -> column
        self.by_raw: dict[str, int] = {}  # name as written -> column

    def add(self, where: int, label: str, obj: object, raw: str) -> None:
        if not isinstance(obj, dict):
            kind = "an array" if isinstance(obj, list) else "a single value"
            self.sink.add(
                where,
                None,
                fault=f"{label} holds {kind}, not a JSON object; send one object per line.",
                record=raw[:_RECORD_SHOWN],
            )
            return
        if isinstance(obj, _Object) and obj.repeated is not None:
            raise IngestError(
                f"Cannot ingest {self.f}: key {header_key(obj.repeated)} appears twice in the "
                f"object of {label.lower()}. Keep one of them and send the file again.",
                path=self.f,
                hint="remove the duplicate key",
            )
        row: list[str | None] = [None] * len(self.sink.columns)
        faults = []
        for k, v in obj.items():
            i = self.by_raw.get(k)
            if i is None:
                i = self._column(k)
                row += [None] * (len(self.sink.columns) - len(row))
            if type(v) is str:  # the common case first
                row[i] = v
                continue
            row[i] = _text(v)
            if isinstance(v, dict | list) and header_key(k) in self.wanted:
                kind = "object" if isinstance(v, dict) else "array"
                faults.append(
                    f'Column "{header_key(k)}" holds a nested JSON {kind}; expected a single value.'
                )
        self.sink.add(where, row, fault=" ".join(faults) or None)

    def _column(self, k: str) -> int:
        key = header_key(k)
        if key not in self.by_key:
            self.by_key[key] = self.sink.add_column(k)
        self.by_raw[k] = self.by_key[key]
        return self.by_key[key]


def read_json_records(
    con: duckdb.DuckDBPyConnection, f: Path, contract: Contract
) -> tuple[list[str], Tally]:
    """Fill ``SOURCE_TABLE`` from JSON file `f`; return its columns and the tally."""
    tally = Tally()
    records = _Records(con, f, contract)
    with f.open("rb") as fh:
        head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if f.suffix.lower() == ".json" and head.startswith(b"["):
        _read_array(f, records, tally)
    else:
        _read_lines(f, records, tally)
    records.sink.flush()
    return records.sink.columns, tally


def _read_array(f: Path, records: _Records, tally: Tally) -> None:
    try:
        data = _loads(f.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"Cannot ingest {f}: it is not UTF-8 (byte {exc.start}). Export it as UTF-8.",
            path=f,
            hint="export as UTF-8",
        ) from None
    except json.JSONDecodeError as exc:
        raise IngestError(
            f"Cannot ingest {f}: it is not valid JSON ({exc.msg} at line {exc.lineno}, column "
            f"{exc.colno}). Fix it, or send JSON lines (one object per line) so that one bad "
            "line does not stop the file.",
            path=f,
            hint="send valid JSON",
        ) from None
    assert isinstance(data, list)
    for i, obj in enumerate(data, start=1):
        tally.records += 1
        records.add(i, f"Element {i} of the array", obj, json.dumps(obj)[:_RECORD_SHOWN])


def _read_lines(f: Path, records: _Records, tally: Tally) -> None:
    n = 0
    with f.open("rb") as fh:
        for n, raw in enumerate(fh, start=1):  # noqa: B007 - n is the line count afterwards
            tally.records += 1
            if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                tally.skip("blank line", n)
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                records.sink.add(
                    n,
                    None,
                    fault=f"Line {n} is not valid UTF-8; export the file as UTF-8 and send the "
                    "row again.",
                    record=raw.decode("utf-8", "backslashreplace")[:_RECORD_SHOWN],
                )
                continue
            try:
                obj = _loads(text)
            except json.JSONDecodeError as exc:
                records.sink.add(
                    n,
                    None,
                    fault=f"Line {n} is not valid JSON ({exc.msg} at column {exc.colno}). "
                    "Correct it at the source and send the row again.",
                    record=text.strip()[:_RECORD_SHOWN],
                )
                continue
            records.add(n, f"Line {n}", obj, text.strip())
    tally.lines = n
