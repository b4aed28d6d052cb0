"""Ingest: every contract rule, quarantine accounting, idempotency, corrections, refusals."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

import outcomes.ingest.load as ingest_module
from outcomes.config import Settings
from outcomes.ingest.load import ingest_path
from outcomes.ingest.load_ledger import IngestError, LoadResult, ingest_status
from outcomes.ingest.quarantine import quarantine_rows
from outcomes.store.raw import RawStoreBusy, open_raw_store, raw_lock
from tests.hostile_files import EVENT

GOOD = {
    "ai_events": dict(EVENT),  # the valid event the hostile corpus starts from
    "ai_features": {
        "event_id": "E1",
        "feature": "ticket_len",
        "value_num": "12.5",
        "value_cat": "",
    },
    "feedback": {
        "event_id": "E1",
        "labeled_at": "2026-03-03 09:00:00",
        "correct": "true",
        "accepted": "yes",
        "overridden": "0",
        "reviewer": "ana",
    },
    "work_items": {
        "item_id": "W1",
        "opened_at": "2026-03-02 10:00:00",
        "closed_at": "2026-03-02 12:00:00",
        "team": "support",
        "customer_id": "C1",
        "ai_assisted": "true",
        "handle_minutes": "30",
        "outcome": "resolved",
    },
    "users": {"user_id": "U1", "team": "support", "eligible_from": "2026-01-05", "eligible_to": ""},
    "costs": {
        "cost_id": "K1",
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
        "category": "inference",
        "amount": "1234.50",
        "currency": "USD",
        "vendor": "acme",
        "invoice_ref": "INV-1",
    },
    "incidents": {
        "incident_id": "I1",
        "started_at": "2026-03-02 10:00:00",
        "detected_at": "2026-03-02 10:30:00",
        "resolved_at": "2026-03-02 12:00:00",
        "severity": "sev2",
        "cause": "outage",
    },
    "assumptions": {
        "key": "analyst_hourly_cost",
        "effective_from": "2026-01-01",
        "value": "55",
        "unit": "usd/hour",
        "owner": "finance",
        "source": "HR 2026 rates",
        "note": "",
        "low": "45",
        "high": "70",
    },
}

KEYS = {
    "ai_events": "event_id",
    "ai_features": "feature",
    "feedback": "event_id",
    "work_items": "item_id",
    "users": "user_id",
    "costs": "cost_id",
    "incidents": "incident_id",
    "assumptions": "key",
}


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    columns = columns or list(rows[0])
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns)
        w.writeheader()
        w.writerows(rows)
    return path


def good(table: str, **changes: str) -> dict[str, str]:
    row = dict(GOOD[table])
    row.update(changes)
    return row


def fetch(settings: Settings, sql: str, params: list | None = None) -> list[tuple]:
    with open_raw_store(settings, write=False) as con:
        return con.execute(sql, params or []).fetchall()


def count(settings: Settings, table: str) -> int:
    return fetch(settings, f"select count(*) from raw.{table}")[0][0]


def quarantine(settings: Settings, load_id: str) -> list[dict]:
    rows = fetch(
        settings,
        "select row_number, column_name, rule, reason, raw_values, failures, table_name, "
        "source_file from raw.quarantine where load_id = ? order by row_number",
        [load_id],
    )
    keys = ("row_number", "column", "rule", "reason", "raw", "failures", "table", "file")
    out = [dict(zip(keys, r, strict=True)) for r in rows]
    for r in out:
        r["raw"] = json.loads(r["raw"])
        r["failures"] = json.loads(r["failures"])
    return out


def assert_ledger_invariant(settings: Settings) -> None:
    """Every loaded file's records are accepted, quarantined or skipped (as duplicates)."""
    bad = fetch(
        settings,
        "select load_id from raw.loads where status = 'loaded' "
        "and rows_in <> rows_accepted + rows_quarantined + rows_skipped",
    )
    assert bad == []


# --- every rule, one small bad file each --------------------------------------------------

FUTURE = (datetime.now(UTC) + timedelta(days=400)).strftime("%Y-%m-%d %H:%M:%S")

RULE_CASES = [
    # (table, changes to the good row, column, rule, text the reason must contain)
    ("ai_events", {"customer_id": ""}, "customer_id", "required", "required"),
    ("ai_events", {"event_id": "   "}, "event_id", "required", "required"),
    (
        "ai_events",
        {"occurred_at": "2026-13-45 99:00:00"},
        "occurred_at",
        "type",
        "'2026-13-45 99:00:00'",
    ),
    ("ai_events", {"occurred_at": "02/03/2026 14:05"}, "occurred_at", "type", "timestamp"),
    ("ai_events", {"occurred_at": "2026-03-02"}, "occurred_at", "type", "'2026-03-02'"),
    ("ai_events", {"confidence": "high"}, "confidence", "type", "finite number"),
    ("ai_events", {"confidence": "NaN"}, "confidence", "type", "finite number"),
    ("ai_events", {"tokens_in": "1.5"}, "tokens_in", "type", "whole number"),
    ("ai_events", {"cost_usd": "12,50"}, "cost_usd", "type", "decimal"),
    ("feedback", {"accepted": "maybe"}, "accepted", "type", "true/false"),
    ("users", {"eligible_from": "05/01/2026"}, "eligible_from", "type", "YYYY-MM-DD"),
    (
        "ai_events",
        {"action_tier": "manual"},
        "action_tier",
        "allowed_values",
        "suggest, approve, auto",
    ),
    ("work_items", {"outcome": "closed"}, "outcome", "allowed_values", "'closed'"),
    ("costs", {"category": "travel"}, "category", "allowed_values", "licence"),
    ("costs", {"currency": "usd"}, "currency", "allowed_values", "3 upper-case letters"),
    ("incidents", {"severity": "p1"}, "severity", "allowed_values", "sev1"),
    ("incidents", {"cause": "aliens"}, "cause", "allowed_values", "'aliens'"),
    ("ai_events", {"confidence": "1.5"}, "confidence", "range", "<= 1"),
    ("ai_events", {"cost_usd": "-0.01"}, "cost_usd", "range", ">= 0"),
    ("ai_events", {"latency_ms": "-5"}, "latency_ms", "range", "'-5'"),
    ("ai_events", {"tokens_out": "-1"}, "tokens_out", "range", ">= 0"),
    ("work_items", {"handle_minutes": "-3"}, "handle_minutes", "range", ">= 0"),
    ("costs", {"amount": "-100"}, "amount", "range", ">= 0"),
    ("ai_events", {"occurred_at": FUTURE}, "occurred_at", "not_future", "future"),
    ("feedback", {"labeled_at": FUTURE}, "labeled_at", "not_future", "future"),
    ("work_items", {"opened_at": FUTURE, "closed_at": ""}, "opened_at", "not_future", "future"),
    (
        "incidents",
        {"detected_at": FUTURE, "resolved_at": ""},
        "detected_at",
        "not_future",
        "future",
    ),
    ("work_items", {"closed_at": "2026-03-01 09:00:00"}, "closed_at", "order", "opened_at"),
    ("users", {"eligible_to": "2025-12-31"}, "eligible_to", "order", "eligible_from"),
    ("costs", {"period_end": "2026-02-28"}, "period_end", "order", "period_start"),
    ("incidents", {"detected_at": "2026-03-02 09:00:00"}, "detected_at", "order", "started_at"),
    ("incidents", {"resolved_at": "2026-03-02 10:00:00"}, "resolved_at", "order", "detected_at"),
    ("assumptions", {"value": "40"}, "value", "order", "low"),
    ("assumptions", {"value": "80"}, "high", "order", "value"),
    ("ai_features", {"value_num": "1", "value_cat": "x"}, "value_num, value_cat", "one_of", "both"),
    (
        "ai_features",
        {"value_num": "", "value_cat": ""},
        "value_num, value_cat",
        "one_of",
        "neither",
    ),
]


@pytest.mark.parametrize(
    ("table", "changes", "column", "rule", "needle"),
    RULE_CASES,
    ids=[f"{c[0]}-{c[3]}-{c[2]}-{i}" for i, c in enumerate(RULE_CASES)],
)
def test_each_rule_quarantines_the_bad_row(
    settings, tmp_path, table, changes, column, rule, needle
):
    key = KEYS[table]
    rows = [good(table), good(table, **{key: "second", **changes})]
    path = write_csv(tmp_path / f"{table}.csv", rows)
    [r] = ingest_path(path, table, settings)
    assert (r.status, r.rows_in, r.rows_accepted, r.rows_quarantined) == ("loaded", 2, 1, 1)
    assert count(settings, table) == 1
    [q] = quarantine(settings, r.load_id)
    assert (q["row_number"], q["column"], q["rule"]) == (2, column, rule)
    assert needle in q["reason"], q["reason"]
    assert q["reason"].endswith("."), "reasons are sentences"
    assert q["table"] == table and q["file"] == str(path)
    assert q["failures"][0] == {"column": column, "rule": rule, "reason": q["reason"]}
    # every source column as text (text columns trimmed, blanks as null)
    assert q["raw"] == {k: (v.strip() or None) for k, v in rows[1].items()}
    assert_ledger_invariant(settings)


def test_reason_names_column_found_value_expected_and_what_to_do(settings, tmp_path):
    path = write_csv(tmp_path / "e.csv", [good("ai_events", cost_usd="-2.5")])
    [r] = ingest_path(path, "ai_events", settings)
    [q] = quarantine(settings, r.load_id)
    assert q["reason"] == (
        "Column \"cost_usd\" has '-2.5'; expected a value >= 0. "
        "Correct it at the source and send the row again."
    )


def test_all_failures_of_a_row_are_listed(settings, tmp_path):
    bad = good(
        "ai_events", occurred_at="yesterday", action_tier="auto!", confidence="7", user_id=""
    )
    path = write_csv(tmp_path / "e.csv", [bad])
    [r] = ingest_path(path, "ai_events", settings)
    [q] = quarantine(settings, r.load_id)
    assert [(f["column"], f["rule"]) for f in q["failures"]] == [
        ("occurred_at", "type"),
        ("action_tier", "allowed_values"),
        ("confidence", "range"),
        ("user_id", "required"),
    ]
    assert (q["column"], q["rule"]) == ("occurred_at", "type")


def test_not_future_respects_the_tolerance(tmp_path):
    soon = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S")
    path = write_csv(tmp_path / "e.csv", [good("ai_events", occurred_at=soon)])
    lenient = Settings(raw_path=tmp_path / "a.duckdb", future_tolerance_hours=24)
    strict = Settings(raw_path=tmp_path / "b.duckdb", future_tolerance_hours=1)
    assert ingest_path(path, "ai_events", lenient)[0].rows_accepted == 1
    [r] = ingest_path(path, "ai_events", strict)
    assert r.rows_quarantined == 1
    assert quarantine(strict, r.load_id)[0]["rule"] == "not_future"


def test_duplicate_key_in_file_first_occurrence_wins(settings, tmp_path):
    rows = [
        good("ai_events", event_id="E1", prediction="first"),
        good("ai_events", event_id="E2"),
        good("ai_events", event_id="E1", prediction="second"),
        good("ai_events", event_id="E1", prediction="third"),
    ]
    [r] = ingest_path(write_csv(tmp_path / "e.csv", rows), "ai_events", settings)
    assert (r.rows_in, r.rows_accepted, r.rows_quarantined) == (4, 2, 2)
    assert fetch(settings, "select prediction from raw.ai_events where event_id = 'E1'") == [
        ("first",)
    ]
    qs = quarantine(settings, r.load_id)
    assert [(q["row_number"], q["rule"], q["column"]) for q in qs] == [
        (3, "duplicate_key", "event_id"),
        (4, "duplicate_key", "event_id"),
    ]
    assert "(row 1, line 2), which was valid and loaded" in qs[0]["reason"]
    assert "event_id = 'E1'" in qs[0]["reason"]


def test_duplicate_key_uses_the_whole_composite_key(settings, tmp_path):
    rows = [
        good("ai_features", feature="a"),
        good("ai_features", feature="b"),
        good("ai_features", feature="a", value_num="99"),
    ]
    [r] = ingest_path(write_csv(tmp_path / "f.csv", rows), "ai_features", settings)
    assert (r.rows_accepted, r.rows_quarantined) == (2, 1)
    [q] = quarantine(settings, r.load_id)
    assert q["column"] == "event_id, feature" and q["rule"] == "duplicate_key"
    assert "event_id = 'E1', feature = 'a'" in q["reason"]


def test_a_row_already_loaded_is_skipped_not_quarantined(settings, tmp_path):
    first = write_csv(tmp_path / "a.csv", [good("ai_events", event_id="E1")])
    second = write_csv(
        tmp_path / "b.csv",
        [
            good("ai_events", event_id="E2"),
            # the same row, formatted differently: still the same row
            good("ai_events", event_id="E1", occurred_at="2026-03-02T14:05:00Z", tokens_in="300.0"),
        ],
    )
    [a] = ingest_path(first, "ai_events", settings)
    [b] = ingest_path(second, "ai_events", settings)
    assert (b.rows_in, b.rows_accepted, b.rows_quarantined, b.rows_corrected) == (2, 1, 0, 0)
    assert b.rows_skipped == 1 and b.skipped_reasons == "1 already loaded (same values)"
    assert quarantine(settings, b.load_id) == []
    assert a.rows_skipped == 0
    assert count(settings, "ai_events") == 2


def test_correction_keeps_both_versions_and_counts(settings, tmp_path):
    first = write_csv(tmp_path / "a.csv", [good("ai_events", prediction="billing")])
    second = write_csv(tmp_path / "b.csv", [good("ai_events", prediction="refund")])
    [a] = ingest_path(first, "ai_events", settings)
    [b] = ingest_path(second, "ai_events", settings)
    assert (b.rows_accepted, b.rows_quarantined, b.rows_corrected) == (1, 0, 1)
    assert "1 corrections" in b.message
    versions = fetch(
        settings,
        "select e.prediction, e._load_id from raw.ai_events e "
        "join raw.loads l on l.load_id = e._load_id order by l.started_at",
    )
    assert versions == [("billing", a.load_id), ("refund", b.load_id)]
    # sending the first version again is a correction back to it (newest wins)
    third = write_csv(
        tmp_path / "c.csv",
        [good("ai_events", prediction="billing"), good("ai_events", event_id="E9")],
    )
    [c] = ingest_path(third, "ai_events", settings)
    assert (c.rows_accepted, c.rows_corrected, c.rows_quarantined) == (2, 1, 0)
    assert count(settings, "ai_events") == 4


def test_same_file_again_adds_nothing(settings, tmp_path):
    path = write_csv(
        tmp_path / "e.csv", [good("ai_events"), good("ai_events", event_id="E2", cost_usd="-1")]
    )
    [a] = ingest_path(path, "ai_events", settings)
    [b] = ingest_path(path, "ai_events", settings)
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(path.read_bytes())
    [c] = ingest_path(copy, "ai_events", settings)
    assert a.status == "loaded"
    assert b.status == c.status == "skipped_duplicate_file"
    assert b.file_sha256 == a.file_sha256 and a.load_id in b.message
    assert count(settings, "ai_events") == 1
    assert fetch(settings, "select count(*) from raw.quarantine")[0][0] == 1
    ledger = ingest_status(settings)
    assert list(ledger["status"]) == ["loaded", "skipped_duplicate_file", "skipped_duplicate_file"]
    assert list(ledger["rows_in"]) == [2, 0, 0]


# --- value parsing --------------------------------------------------------------------------


def test_timestamps_with_t_z_offsets_and_fractions_become_utc(settings, tmp_path):
    stamps = {
        "E1": ("2026-03-02 14:05:00", datetime(2026, 3, 2, 14, 5)),
        "E2": ("2026-03-02T14:05:00", datetime(2026, 3, 2, 14, 5)),
        "E3": ("2026-03-02T14:05:00Z", datetime(2026, 3, 2, 14, 5)),
        "E4": ("2026-03-02T14:05:00+02:00", datetime(2026, 3, 2, 12, 5)),
        "E5": ("2026-03-02 14:05:00.250-05:00", datetime(2026, 3, 2, 19, 5, 0, 250000)),
        "E6": ("2026-03-02 14:05:00.123", datetime(2026, 3, 2, 14, 5, 0, 123000)),
    }
    rows = [good("ai_events", event_id=k, occurred_at=v[0]) for k, v in stamps.items()]
    [r] = ingest_path(write_csv(tmp_path / "e.csv", rows), "ai_events", settings)
    assert r.rows_accepted == len(stamps)
    got = dict(fetch(settings, "select event_id, occurred_at from raw.ai_events"))
    assert got == {k: v[1] for k, v in stamps.items()}


def test_booleans_numbers_and_blanks(settings, tmp_path):
    rows = [
        good("feedback", event_id="A", correct="TRUE", accepted="Yes", overridden="no"),
        good("feedback", event_id="B", correct="", accepted="1", overridden="False"),
        good("feedback", event_id="C", correct="0", accepted="false", overridden="YES"),
    ]
    ingest_path(write_csv(tmp_path / "f.csv", rows), "feedback", settings)
    got = fetch(
        settings, "select event_id, correct, accepted, overridden from raw.feedback order by 1"
    )
    assert got == [("A", True, True, False), ("B", None, True, False), ("C", False, False, True)]
    rows = [good("ai_events", tokens_in="12.0", cost_usd=" 1.5 ", confidence="1e-1")]
    ingest_path(write_csv(tmp_path / "e.csv", rows), "ai_events", settings)
    assert fetch(settings, "select tokens_in, cost_usd, confidence from raw.ai_events") == [
        (12, Decimal("1.500000"), 0.1)
    ]


# --- formats --------------------------------------------------------------------------------


def _expected_events(settings: Settings) -> list[tuple]:
    return fetch(
        settings,
        "select * exclude (_load_id) from raw.ai_events order by _row_number",
    )


def test_csv_parquet_and_json_lines_load_the_same(tmp_path):
    rows = [good("ai_events"), good("ai_events", event_id="E2", work_item_id="", cost_usd="-1")]
    csv_path = write_csv(tmp_path / "e.csv", rows)
    jsonl = tmp_path / "e.jsonl"
    jsonl.write_text(
        "\n".join(json.dumps({k: (v if v != "" else None) for k, v in r.items()}) for r in rows)
        + "\n"
    )
    typed_parquet = tmp_path / "typed.parquet"
    text_parquet = tmp_path / "text.parquet"
    con = duckdb.connect()
    con.execute(
        f"copy (select * from read_csv('{csv_path}', all_varchar = true)) to '{text_parquet}' (format parquet)"
    )
    con.execute(
        f"""copy (select event_id, occurred_at::timestamp as occurred_at, system, model_version,
        segment, action_tier, prediction, confidence::double as confidence,
        latency_ms::double as latency_ms, tokens_in::integer as tokens_in,
        tokens_out::bigint as tokens_out, cost_usd::decimal(10,4) as cost_usd, user_id,
        work_item_id, customer_id from read_csv('{csv_path}', all_varchar = true))
        to '{typed_parquet}' (format parquet)"""
    )
    con.close()
    results = {}
    for path in (csv_path, jsonl, typed_parquet, text_parquet):
        s = Settings(raw_path=tmp_path / f"{path.name}.duckdb")
        [r] = ingest_path(path, "ai_events", s)
        assert (r.rows_in, r.rows_accepted, r.rows_quarantined) == (2, 1, 1), path
        [q] = quarantine(s, r.load_id)
        assert (q["row_number"], q["column"], q["rule"]) == (2, "cost_usd", "range")
        assert q["raw"]["event_id"] == "E2"
        assert q["raw"]["cost_usd"].startswith("-1")
        results[path.suffix + path.name] = (_expected_events(s), r.file_format)
    values = [v for v, _ in results.values()]
    assert all(v == values[0] for v in values)
    assert values[0][0][0] == "E1" and values[0][0][1] == datetime(2026, 3, 2, 14, 5)
    assert sorted({f for _, f in results.values()}) == ["csv", "jsonl", "parquet"]


def test_parquet_native_types_are_checked_too(settings, tmp_path):
    path = tmp_path / "e.parquet"
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(
        f"""copy (
        select 'E' || i as event_id,
               timestamptz '2026-03-02 14:05:00+02' as occurred_at,
               's' as system, 'v1' as model_version, 'smb' as segment, 'auto' as action_tier,
               'x' as prediction,
               case when i = 2 then 'nan'::double else 0.5 end as confidence,
               case when i = 3 then -1.0 else 5.0 end as latency_ms,
               1 as tokens_in, 2::bigint as tokens_out, 0.25 as cost_usd,
               'U' as user_id, null as work_item_id, 'C' as customer_id
        from range(1, 4) t(i)) to '{path}' (format parquet)"""
    )
    con.close()
    [r] = ingest_path(path, "ai_events", settings)
    assert (r.rows_in, r.rows_accepted, r.rows_quarantined) == (3, 1, 2)
    assert fetch(settings, "select occurred_at from raw.ai_events") == [
        (datetime(2026, 3, 2, 12, 5),)
    ]
    qs = quarantine(settings, r.load_id)
    assert [(q["row_number"], q["column"], q["rule"]) for q in qs] == [
        (2, "confidence", "type"),
        (3, "latency_ms", "range"),
    ]
    assert qs[0]["raw"]["confidence"] == "nan"
    assert qs[1]["raw"]["latency_ms"] == "-1.0"


def test_json_lines_values_of_any_json_type_are_read_as_text(settings, tmp_path):
    row = {k: v for k, v in GOOD["ai_events"].items()}
    row.update(confidence=0.5, tokens_in=300, tokens_out=7, cost_usd=0.5, meta={"a": 1})
    other = dict(row, event_id="E2", occurred_at="not a time")
    path = tmp_path / "e.ndjson"
    path.write_text(json.dumps(row) + "\n" + json.dumps(other) + "\n")
    [r] = ingest_path(path, "ai_events", settings)
    assert (r.rows_accepted, r.rows_quarantined, r.extra_columns) == (1, 1, ("meta",))
    [q] = quarantine(settings, r.load_id)
    assert q["rule"] == "type" and q["raw"]["occurred_at"] == "not a time"
    assert json.loads(q["raw"]["meta"]) == {"a": 1}


def test_json_array_file(settings, tmp_path):
    path = tmp_path / "users.json"
    path.write_text(json.dumps([good("users"), good("users", user_id="U2")]))
    [r] = ingest_path(path, "users", settings)
    assert (r.file_format, r.rows_accepted) == ("jsonl", 2)


def test_extra_columns_are_reported_and_kept_in_quarantine(settings, tmp_path):
    rows = [
        dict(good("users"), Region="EU"),
        dict(good("users", user_id="U2", team=""), Region="US"),
    ]
    [r] = ingest_path(write_csv(tmp_path / "u.csv", rows), "users", settings)
    assert r.extra_columns == ("Region",)
    assert "Region" in r.message
    [(extra,)] = fetch(settings, "select extra_columns from raw.loads")
    assert extra == ["Region"]
    [q] = quarantine(settings, r.load_id)
    assert q["raw"]["Region"] == "US"


def test_column_names_match_case_insensitively_and_optional_may_be_absent(settings, tmp_path):
    rows = [{"USER_ID": "U1", " Team ": "ops", "Eligible_From": "2026-01-01"}]
    [r] = ingest_path(write_csv(tmp_path / "u.csv", rows), "users", settings)
    assert r.rows_accepted == 1 and r.extra_columns == ()
    assert "eligible_to" in r.message
    assert fetch(settings, "select user_id, team, eligible_to from raw.users") == [
        ("U1", "ops", None)
    ]


# --- refused files --------------------------------------------------------------------------


def _refused(settings: Settings, path: Path, table: str = "ai_events") -> LoadResult:
    with pytest.raises(IngestError) as err:
        ingest_path(path, table, settings)
    assert str(path) in str(err.value)
    assert err.value.path == path
    [r] = err.value.results
    assert r.status == "refused" and str(path) in r.message
    for t in ("ai_events", "quarantine"):
        assert count(settings, t) == 0
    [(status, rows_in)] = fetch(settings, "select status, rows_in from raw.loads")
    assert (status, rows_in) == ("refused", 0)
    return r


def test_refuses_garbage(settings, tmp_path):
    path = tmp_path / "garbage.csv"
    path.write_bytes(bytes(range(256)) * 20)
    r = _refused(settings, path)
    assert "Cannot ingest" in r.message


def test_refuses_a_file_in_another_format(settings, tmp_path):
    path = tmp_path / "events.parquet"
    write_csv(path, [good("ai_events")])
    r = _refused(settings, path)
    assert "cannot be read as Parquet" in r.message


def test_refuses_an_unknown_extension(settings, tmp_path):
    path = tmp_path / "events.xlsx"
    path.write_text("x")
    r = _refused(settings, path)
    assert "unknown file format '.xlsx'" in r.message and "Export it as" in r.message


def test_refuses_a_file_missing_a_required_column(settings, tmp_path):
    row = good("ai_events")
    del row["customer_id"], row["user_id"]
    path = write_csv(tmp_path / "e.csv", [row])
    r = _refused(settings, path)
    assert "required column(s) user_id, customer_id missing" in r.message
    assert "Add them" in r.message


@pytest.mark.parametrize(
    "content", ["", "event_id,occurred_at\n"], ids=["zero-bytes", "header-only"]
)
def test_refuses_an_empty_file(settings, tmp_path, content):
    path = tmp_path / "e.csv"
    path.write_text(content)
    r = _refused(settings, path)
    assert "no data rows" in r.message


def test_refuses_an_empty_json_lines_file(settings, tmp_path):
    path = tmp_path / "e.jsonl"
    path.write_text("")
    _refused(settings, path)


def test_unknown_table_is_refused_before_anything(settings, tmp_path):
    path = write_csv(tmp_path / "e.csv", [good("ai_events")])
    with pytest.raises(IngestError) as err:
        ingest_path(path, "events", settings)
    message = str(err.value)
    assert str(path) in message and "unknown table 'events'" in message
    assert "ai_events" in message and "--table" in message
    assert not settings.raw_path.exists()


def test_missing_path(settings, tmp_path):
    with pytest.raises(IngestError, match="no such file or folder"):
        ingest_path(tmp_path / "nope.csv", "ai_events", settings)


def test_refused_file_can_be_sent_again_once_fixed(settings, tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("event_id\nE1\n")
    with pytest.raises(IngestError):
        ingest_path(path, "ai_events", settings)
    write_csv(path, [good("ai_events")])
    [r] = ingest_path(path, "ai_events", settings)
    assert r.status == "loaded" and r.rows_accepted == 1


# --- folders, ledger, progress, transactions, locking -------------------------------------------


def test_folder_loads_every_supported_file_in_sorted_order(settings, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_csv(folder / "b.csv", [good("users", user_id="U2")])
    (folder / "a.jsonl").write_text(json.dumps(good("users", user_id="U1")) + "\n")
    (folder / "notes.txt").write_text("ignored")
    (folder / "c.csv").write_text("user_id\nU3\n")  # refused: missing columns
    messages: list[str] = []
    with pytest.raises(IngestError) as err:
        ingest_path(folder, "users", settings, progress=messages.append)
    results = err.value.results
    assert [Path(r.source_file).name for r in results] == ["a.jsonl", "b.csv", "c.csv"]
    assert [r.status for r in results] == ["loaded", "loaded", "refused"]
    assert "c.csv" in str(err.value)
    assert count(settings, "users") == 2
    assert any("rows/s" in m for m in messages)
    again = ingest_path(folder, "users", settings, raise_on_refused=False)
    assert [r.status for r in again] == [
        "skipped_duplicate_file",
        "skipped_duplicate_file",
        "refused",
    ]


def test_empty_folder(settings, tmp_path):
    with pytest.raises(IngestError, match="holds no .csv"):
        ingest_path(tmp_path, "users", settings)


def test_ledger_fields(settings, tmp_path):
    path = write_csv(tmp_path / "u.csv", [good("users"), good("users", user_id="U2", team="")])
    [r] = ingest_path(path, "users", settings, loaded_by="tester")
    ledger = ingest_status(settings)
    assert len(ledger) == 1
    row = ledger.iloc[0]
    assert row["load_id"] == r.load_id and r.load_id.startswith("L")
    assert row["table_name"] == "users"
    assert row["source_file"] == str(path.absolute())
    assert len(row["file_sha256"]) == 64
    assert (row["file_format"], row["loaded_by"], row["status"]) == ("csv", "tester", "loaded")
    assert (
        row["rows_in"],
        row["rows_accepted"],
        row["rows_quarantined"],
        row["rows_corrected"],
    ) == (
        2,
        1,
        1,
        0,
    )
    assert row["started_at"] <= row["finished_at"]
    assert "2 rows: 1 accepted, 1 quarantined" in row["message"]
    assert len(quarantine_rows(settings, r.load_id)) == 1
    assert fetch(settings, "select _row_number, _load_id from raw.users") == [(1, r.load_id)]


def test_failure_mid_file_rolls_everything_back(settings, tmp_path, monkeypatch):
    path = write_csv(
        tmp_path / "e.csv", [good("ai_events"), good("ai_events", event_id="E2", cost_usd="-1")]
    )

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    # accepted rows are already inserted when the quarantine insert fails
    monkeypatch.setattr(ingest_module, "insert_quarantine", boom)
    with pytest.raises(RuntimeError, match="disk full") as err:
        ingest_path(path, "ai_events", settings)
    assert any("rolled back" in note for note in err.value.__notes__)
    for table in ("ai_events", "quarantine", "loads"):
        assert count(settings, table) == 0
    monkeypatch.undo()
    [r] = ingest_path(path, "ai_events", settings)  # not mistaken for a duplicate file
    assert (r.status, r.rows_accepted, r.rows_quarantined) == ("loaded", 1, 1)


def test_failure_while_writing_the_ledger_rolls_back(settings, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "e.csv", [good("ai_events")])
    real = ingest_module.write_ledger

    def failing(con, result):
        if result.status == "loaded":
            raise RuntimeError("ledger unavailable")
        real(con, result)

    monkeypatch.setattr(ingest_module, "write_ledger", failing)
    with pytest.raises(RuntimeError, match="ledger unavailable"):
        ingest_path(path, "ai_events", settings)
    assert count(settings, "ai_events") == 0 and count(settings, "loads") == 0


def test_second_writer_gets_a_clear_busy_error(settings, tmp_path):
    path = write_csv(tmp_path / "u.csv", [good("users")])
    ingest_path(path, "users", settings)
    other = write_csv(tmp_path / "v.csv", [good("users", user_id="U9")])
    with raw_lock(settings, exclusive=False), pytest.raises(RawStoreBusy, match="raw store busy"):
        ingest_path(other, "users", settings, lock_timeout=0.2)
    assert count(settings, "users") == 1


def test_ingest_status_of_a_fresh_store_is_empty(settings):
    ledger = ingest_status(settings)
    assert ledger.empty
    assert "rows_quarantined" in ledger.columns


def test_quarantine_row_numbers_follow_the_file(settings, tmp_path):
    rows = [good("users", user_id=f"U{i}", team="" if i % 250 == 7 else "ops") for i in range(1000)]
    [r] = ingest_path(write_csv(tmp_path / "u.csv", rows), "users", settings)
    assert r.rows_quarantined == 4
    numbers = [q["row_number"] for q in quarantine(settings, r.load_id)]
    assert numbers == [8, 258, 508, 758]
    assert fetch(settings, "select min(_row_number), max(_row_number) from raw.users") == [
        (1, 1000)
    ]
