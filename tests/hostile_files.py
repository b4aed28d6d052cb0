"""A corpus of hostile source files, written in code (no checked-in binaries), each with what
its writer knows about it: how many data records it holds and what ingest must do with them.

Every case is a :class:`Hostile`: ``write(folder)`` writes the file and returns its path.
``records`` is the count of data records after the header, known from how the file was made
(not from any reader): blank lines, repeated header lines and broken records included. Where
the outcome is certain, ``accepted`` / ``quarantined`` / ``skipped`` give it; ``refused``
gives a fragment of the refusal (file-level faults), ``None`` when the file must load.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

EVENT = {
    "event_id": "E1",
    "occurred_at": "2026-03-02 14:05:00",
    "system": "triage",
    "model_version": "v1",
    "segment": "smb",
    "action_tier": "suggest",
    "prediction": "billing",
    "confidence": "0.8",
    "latency_ms": "120.5",
    "tokens_in": "300",
    "tokens_out": "40",
    "cost_usd": "0.0012",
    "user_id": "U1",
    "work_item_id": "W1",
    "customer_id": "C1",
}
COLUMNS = list(EVENT)


def event(i: int, **changes: str) -> dict[str, str]:
    """A valid ai_events row with event id ``E<i>``, changed as given."""
    return {**EVENT, "event_id": f"E{i}", **changes}


def csv_text(rows: list[dict[str, str]], columns: list[str] | None = None, eol: str = "\n") -> str:
    """Rows as CSV text with a header line (quoted only where needed)."""
    cols = columns or COLUMNS
    out = io.StringIO()
    w = csv.writer(out, lineterminator=eol)
    w.writerow(cols)
    for r in rows:
        w.writerow([r.get(c, "") for c in cols])
    return out.getvalue()


def data_lines(text: str) -> list[str]:
    """CSV text as lines, one per row (only for rows without quoted line breaks)."""
    return text.splitlines(keepends=True)


@dataclass(frozen=True)
class Hostile:
    name: str
    suffix: str
    make: Callable[[], bytes | pa.Table]
    records: int
    accepted: int | None = None
    quarantined: int | None = None
    skipped: int | None = None
    refused: str | None = None
    table: str = "ai_events"

    def write(self, folder: Path) -> Path:
        """Write the file into `folder`; return its path."""
        path = folder / f"{self.name}{self.suffix}"
        content = self.make()
        if isinstance(content, pa.Table):
            pq.write_table(content, path)
        else:
            path.write_bytes(content)
        return path


def _csv(rows: list[dict[str, str]], **kw: object) -> Callable[[], bytes]:
    return lambda: csv_text(rows, **kw).encode()  # type: ignore[arg-type]


def _rows(n: int, start: int = 1, **changes: str) -> list[dict[str, str]]:
    return [event(i, **changes) for i in range(start, start + n)]


def _each(column: str, *values: str, start: int = 1) -> list[dict[str, str]]:
    """One event per value, ``column`` set to it, ids from ``E<start>`` on."""
    return [event(i, **{column: v}) for i, v in enumerate(values, start)]


def _appended_exports() -> bytes:
    first = csv_text(_rows(50))
    second = csv_text(
        [dict(r, channel="email") for r in _rows(3, start=51)], columns=[*COLUMNS, "channel"]
    )
    return (first + second).encode()


def _repeated_header() -> bytes:
    return (csv_text(_rows(10)) + csv_text(_rows(10, start=11))).encode()


def _blank_lines() -> bytes:
    lines = data_lines(csv_text(_rows(6)))
    return "".join(
        [lines[0], lines[1], "\n", lines[2], lines[3], "\n", lines[4], "\r\n", *lines[5:]]
    ).encode()


def _latin1() -> bytes:
    rows = _rows(3) + [event(4, prediction="résumé"), event(5, system="café")]
    return csv_text(rows).encode("latin-1")


def _quoted_newlines() -> bytes:
    rows = _rows(7) + [event(i, prediction=f"line one\nline two {i}") for i in range(8, 11)]
    return csv_text(rows).encode()


def _broken_quote() -> bytes:
    lines = data_lines(csv_text(_rows(5)))
    bad = lines[3].replace("billing", '"bill"ing', 1)
    return "".join([*lines[:3], bad, *lines[4:]]).encode()


def _unterminated_quote() -> bytes:
    lines = data_lines(csv_text(_rows(8)))
    bad = lines[4].replace("billing", '"billing', 1)  # never closed: runs to the end
    return "".join([*lines[:4], bad, *lines[5:]]).encode()


def _ragged(short: bool) -> Callable[[], bytes]:
    def make() -> bytes:
        lines = data_lines(csv_text(_rows(6)))
        i = 2 if short else len(lines) - 1
        fixed = lines[i].rstrip("\n")
        fixed = fixed.rsplit(",", 2)[0] if short else fixed + ",extra,more"
        lines[i] = fixed + "\n"
        return "".join(lines).encode()

    return make


def _wide() -> bytes:
    extra = [f"x{i}" for i in range(10_000 - len(COLUMNS))]
    rows = [dict(r, **{c: "1" for c in extra}) for r in _rows(4)]
    return csv_text(rows, columns=COLUMNS + extra).encode()


def _header_twice(other: str) -> bytes:
    return csv_text(_rows(3), columns=[*COLUMNS, other]).encode()


def _jsonl(objs: list[object], eol: str = "\n") -> bytes:
    return "".join(json.dumps(o) + eol for o in objs).encode()


def _jsonl_with(lines: dict[int, bytes], n: int) -> Callable[[], bytes]:
    """``n`` valid JSON lines with line ``k`` replaced by ``lines[k]`` (1-based)."""

    def make() -> bytes:
        out = [json.dumps(r).encode() + b"\n" for r in _rows(n)]
        for k, raw in lines.items():
            out[k - 1] = raw
        return b"".join(out)

    return make


def _table(n: int, **columns: pa.Array) -> pa.Table:
    data = {c: pa.array([r[c] for r in _rows(n)]) for c in COLUMNS}
    data.update(columns)
    return pa.table(data)


def _truncated_parquet() -> bytes:
    buf = io.BytesIO()
    pq.write_table(_table(20), buf)
    return buf.getvalue()[:-40]


def _rowwise(
    name: str, suffix: str, make: Callable[[], bytes | pa.Table], records: int, accepted: int
) -> Hostile:
    """A file whose every record is read, none skipped: ``accepted`` load, the rest quarantined."""
    return Hostile(name, suffix, make, records, accepted, records - accepted, 0)


def _csv_rowwise(name: str, rows: list[dict[str, str]], accepted: int) -> Hostile:
    """``rows`` as a CSV file, one line each: ``accepted`` load, the rest are quarantined."""
    return _rowwise(name, ".csv", _csv(rows), len(rows), accepted)


CASES: tuple[Hostile, ...] = (
    # -- CSV: structure ------------------------------------------------------------------
    Hostile("appended_exports", ".csv", _appended_exports, 54, 53, 0, 1),
    Hostile("repeated_header", ".csv", _repeated_header, 21, 20, 0, 1),
    Hostile("blank_lines", ".csv", _blank_lines, 9, 6, 0, 3),
    _rowwise("crlf", ".csv", lambda: csv_text(_rows(20), eol="\r\n").encode(), 20, 20),
    _rowwise("cr_only", ".csv", lambda: csv_text(_rows(7), eol="\r").encode(), 7, 7),
    _rowwise("bom", ".csv", lambda: b"\xef\xbb\xbf" + csv_text(_rows(5)).encode(), 5, 5),
    _rowwise("latin1", ".csv", _latin1, 5, 3),
    Hostile("utf16", ".csv", lambda: csv_text(_rows(3)).encode("utf-16"), 3, refused="UTF-16"),
    _rowwise("quoted_newlines", ".csv", _quoted_newlines, 10, 10),
    _rowwise("broken_quote", ".csv", _broken_quote, 5, 4),
    _rowwise("unterminated_quote", ".csv", _unterminated_quote, 4, 3),
    _rowwise("ragged_short", ".csv", _ragged(True), 6, 5),
    _rowwise("ragged_last_long", ".csv", _ragged(False), 6, 5),
    _csv_rowwise("long_field", _rows(2) + [event(3, prediction="x" * 3_000_000)], 3),
    _rowwise("ten_thousand_columns", ".csv", _wide, 4, 4),
    Hostile("header_twice", ".csv", lambda: _header_twice("event_id"), 3, refused="appears twice"),
    Hostile("header_twice_case", ".csv", lambda: _header_twice("EVENT_ID"), 3, refused="twice"),
    Hostile("header_only", ".csv", lambda: csv_text([]).encode(), 0, refused="no data rows"),
    Hostile("empty", ".csv", lambda: b"", 0, refused="no data rows"),
    Hostile(
        "semicolons",
        ".csv",
        lambda: csv_text(_rows(3)).replace(",", ";").encode(),
        3,
        refused="missing",
    ),
    Hostile("only_blank_rows", ".csv", lambda: (csv_text([]) + "\n\n\n").encode(), 3, 0, 0, 3),
    _rowwise(
        "trailing_delimiter",
        ".csv",
        lambda: "".join(
            line.rstrip("\n") + ",\n" if i else line
            for i, line in enumerate(data_lines(csv_text(_rows(4))))
        ).encode(),
        4,
        0,
    ),
    Hostile(
        "garbage_bytes",
        ".csv",
        lambda: bytes(range(256)) * 40,
        0,
        refused="missing",
    ),
    _csv_rowwise(
        "many_rows_some_bad",
        [event(i, confidence="2" if i % 97 == 0 else "0.5") for i in range(1, 20_001)],
        20_000 - 206,
    ),
    # -- CSV: strict values ----------------------------------------------------------------
    _csv_rowwise("nul_byte", _rows(3) + [event(4, prediction="bil\x00ling")], 3),
    _csv_rowwise(
        "zone_names",
        _rows(2)
        + _each(
            "occurred_at", "2026-03-02T10:00:00 Europe/Berlin", "2026-03-02 10:00:00 EST", start=3
        ),
        2,
    ),
    _csv_rowwise(
        "time_garbage",
        _rows(1) + _each("occurred_at", "2026-03-02 14:05:00abc", "2026-03-02 14:05:00 ", start=2),
        2,
    ),
    _csv_rowwise(
        "offsets",
        _each(
            "occurred_at",
            "2026-03-02T10:00:00+25:00",
            "2026-03-02T10:00:00+14:00",
            "2026-03-02T10:00:00-03:30",
            "2026-03-02T10:00:00+05:60",
        ),
        2,
    ),
    _csv_rowwise(
        "lenient_integers",
        _each("tokens_in", "0x10", "0b101", "1_000", "1e3", "12.0", "+7"),
        2,
    ),
    _csv_rowwise(
        "money_precision",
        _each("cost_usd", "1e-7", "0.12345678", "0.1200000", "1.5e-3", "0x1"),
        2,
    ),
    _csv_rowwise(
        "first_key_invalid",
        [event(1, occurred_at="yesterday"), event(1), event(1, prediction="again")],
        1,
    ),
    # -- JSON lines --------------------------------------------------------------------------
    _rowwise(
        "jsonl_broken_line", ".jsonl", _jsonl_with({3: b'{"event_id": "E3", oops\n'}, 6), 6, 5
    ),
    _rowwise("jsonl_array_line", ".jsonl", _jsonl_with({2: b"[1, 2]\n"}, 4), 4, 3),
    _rowwise(
        "jsonl_nested",
        ".jsonl",
        lambda: _jsonl(
            [
                event(1),
                dict(event(2), prediction={"a": 1}),
                dict(event(3), tokens_in=[1, 2]),
                dict(event(4), meta={"x": [1]}),
            ]
        ),
        4,
        2,
    ),
    Hostile(
        "jsonl_blank_lines",
        ".jsonl",
        lambda: _jsonl(_rows(3)) + b"\n  \n" + _jsonl(_rows(2, start=4)),
        7,
        5,
        0,
        2,
    ),
    _rowwise(
        "jsonl_bom_crlf", ".jsonl", lambda: b"\xef\xbb\xbf" + _jsonl(_rows(4), eol="\r\n"), 4, 4
    ),
    Hostile(
        "jsonl_key_twice",
        ".jsonl",
        lambda: _jsonl(_rows(1)) + b'{"event_id": "E2", "EVENT_ID": "E3"}\n',
        2,
        refused="appears twice",
    ),
    _rowwise(
        "jsonl_not_utf8",
        ".jsonl",
        _jsonl_with(
            {
                2: json.dumps(event(2, system="caf\u00e9"), ensure_ascii=False).encode("latin-1")
                + b"\n"
            },
            3,
        ),
        3,
        2,
    ),
    _rowwise(
        "jsonl_cut_off", ".jsonl", lambda: _jsonl(_rows(3)) + b'{"event_id": "E4", "occ', 4, 3
    ),
    _rowwise(
        "jsonl_nul", ".jsonl", lambda: _jsonl(_rows(2) + [event(3, prediction="a\x00b")]), 3, 2
    ),
    _rowwise(
        "jsonl_numbers",
        ".jsonl",
        lambda: (
            _jsonl(
                [
                    dict(event(2), cost_usd=1e-7),
                    dict(event(3), tokens_in=300, cost_usd=0.5, confidence=0.25),
                ]
            )
            + json.dumps(event(1)).replace('"tokens_in": "300"', '"tokens_in": 1e3').encode()
            + b"\n"
        ),
        3,
        1,
    ),
    Hostile(
        "json_array_invalid",
        ".json",
        lambda: b'[{"event_id": "E1"},\n {oops}]',
        2,
        refused="line 2",
    ),
    _rowwise(
        "json_array_scalar", ".json", lambda: json.dumps([event(1), 5, event(3)]).encode(), 3, 2
    ),
    # -- Parquet -----------------------------------------------------------------------------
    _rowwise(
        "parquet_int_timestamps",
        ".parquet",
        lambda: _table(5, occurred_at=pa.array([1_700_000_000] * 5)),
        5,
        0,
    ),
    _rowwise(
        "parquet_list",
        ".parquet",
        lambda: _table(4, work_item_id=pa.array([["a"], None, ["b", "c"], None])),
        4,
        2,
    ),
    _rowwise(
        "parquet_struct",
        ".parquet",
        lambda: _table(3, tokens_in=pa.array([{"n": 1}, {"n": 2}, None])),
        3,
        0,
    ),
    _rowwise(
        "parquet_double_money",
        ".parquet",
        lambda: _table(3, cost_usd=pa.array([1e-7, 0.5, 0.123456789])),
        3,
        1,
    ),
    Hostile("parquet_truncated", ".parquet", _truncated_parquet, 20, refused="cannot be read"),
    Hostile(
        "parquet_name_twice",
        ".parquet",
        lambda: pa.Table.from_arrays(
            [pa.array(["E1"]), pa.array(["E2"])], names=["event_id", "EVENT_ID"]
        ),
        1,
        refused="appears twice",
    ),
)
