"""The demo generator: deterministic files that fill every raw contract, tell ticket-assistant's
story (adoption, v1 -> v2, drift and accuracy dip, price cut) and carry the dirty rows the
summary promises, no more and no fewer. The other two systems' stories: test_demo_systems.py."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from outcomes.core.contracts import CONTRACTS
from outcomes.ingest.demo import generate_demo
from outcomes.ingest.demo_scenario import DIRTY_RULES
from tests.core.test_contracts import EXPECTED as ARCHITECTURE_TABLES
from tests.ingest.demofiles import DEMO_ASSUMPTION_KEYS, generated_demo, scan, source_views

END = date(2026, 3, 4)  # a Wednesday: the partial week holds Monday 2 and Tuesday 3 March
FIRST_WEEK = date(2025, 3, 3)
EVENTS = 5_000
TABLES = tuple(ARCHITECTURE_TABLES)  # the raw tables of docs/ARCHITECTURE.md, as transcribed
TA = "ticket-assistant"


def contract_columns() -> dict[str, list[str]]:
    """Column names per table, in contract order."""
    return {table: list(c.names) for table, c in CONTRACTS.items()}


def digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


demo = generated_demo(events=EVENTS, end=END)  # fixture


@pytest.fixture(scope="module")
def con(demo):
    con = source_views(demo.paths, first_week=FIRST_WEEK, end=END)
    # ticket-assistant's story: its own events and work items
    con.execute(f"create view events as select * from all_events where system = '{TA}'")
    con.execute(
        f"create view ta_items as select * from work_items where system = '{TA}' "
        "or (ai_assisted = 'false' and team not in ('accounts-payable', 'legal'))"
    )
    yield con
    con.close()


def one(con, sql: str):
    return con.sql(sql).fetchall()[0][0]


# --- determinism and files --------------------------------------------------------------------


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    a = generate_demo(tmp_path / "a", events=EVENTS, end=END)
    b = generate_demo(tmp_path / "b", events=EVENTS, end=END)
    generate_demo(tmp_path / "c", seed=8, events=EVENTS, end=END)
    assert len(digests(tmp_path / "a")) == 9
    assert digests(tmp_path / "a") == digests(tmp_path / "b")
    assert a.rows == b.rows and a.dirty == b.dirty
    differ = {f for f, h in digests(tmp_path / "c").items() if digests(tmp_path / "a")[f] != h}
    assert {"ai_events.csv", "ai_features.csv", "feedback.csv", "work_items.csv"} <= differ


def test_parquet_parts_are_deterministic_and_hold_the_csv_rows(tmp_path, demo):
    a = generate_demo(tmp_path / "a", events=EVENTS, end=END, fmt="parquet")
    generate_demo(tmp_path / "b", events=EVENTS, end=END, fmt="parquet")
    assert digests(tmp_path / "a") == digests(tmp_path / "b")
    for table in ("ai_events", "ai_features"):
        assert a.paths[table] == tmp_path / "a" / table
        names = [p.name for p in a.files[table]]
        assert names == [f"part-{i:03d}.parquet" for i in range(4)]
        con = duckdb.connect()
        differ = one(
            con,
            f"""
            select count(*) from (
                (select * from {scan(a.paths[table])} except all select * from {scan(demo.paths[table])})
                union all
                (select * from {scan(demo.paths[table])} except all select * from {scan(a.paths[table])}))
            """,
        )
        assert differ == 0
        assert a.rows[table] == demo.rows[table]


def test_every_table_written_non_empty_with_the_contract_columns(demo, con):
    contract = contract_columns()
    assert set(contract) == set(TABLES) == set(demo.paths)
    for table, path in demo.paths.items():
        assert path.parent == demo.out_dir and path.name.split(".")[0] == table
        assert demo.rows[table] > 0
        assert one(con, f"select count(*) from {table}") == demo.rows[table]
        if path.suffix == ".jsonl":
            keys = {tuple(json.loads(line)) for line in path.read_text().splitlines()}
            assert keys == {tuple(contract[table])}
        else:
            header = path.read_text().split("\n", 1)[0].split(",")
            assert header == contract[table], table
    assert not (demo.out_dir / ".demo-tmp").exists()


def test_rerun_in_another_format_replaces_the_earlier_files(tmp_path):
    generate_demo(tmp_path, events=2_000, end=END)
    assert (tmp_path / "ai_events.csv").is_file()
    s = generate_demo(tmp_path, events=2_000, end=END, fmt="parquet")
    assert not (tmp_path / "ai_events.csv").exists()
    assert s.paths["ai_events"].is_dir() and s.paths["feedback"].suffix == ".csv"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in s.paths.values())


def test_progress_reports_rows_and_rate_each_week(tmp_path):
    calls: list[tuple[int, float]] = []
    generate_demo(
        tmp_path, events=2_000, end=END, progress=lambda rows, rate: calls.append((rows, rate))
    )
    assert len(calls) == 53
    assert all(b[0] > a[0] for a, b in zip(calls, calls[1:], strict=False))
    assert all(rate > 0 for _, rate in calls)


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="fmt"):
        generate_demo(tmp_path, events=2_000, end=END, fmt="xlsx")
    with pytest.raises(ValueError, match="at least"):
        generate_demo(tmp_path, events=10, end=END)


# --- the calendar -------------------------------------------------------------------------------


def test_52_complete_weeks_and_the_partial_week_up_to_end(demo, con):
    assert (demo.first_week, demo.last_week, demo.end) == (FIRST_WEEK, date(2026, 3, 2), END)
    assert demo.first_week.weekday() == 0
    first, last = con.sql("select min(ts), max(ts) from events").fetchall()[0]
    assert FIRST_WEEK <= first.date() < FIRST_WEEK + timedelta(days=7)
    assert demo.last_week <= last.date() < END
    weeks = con.sql("select week, count(*) from events group by 1 order by 1").fetchall()
    assert [w for w, _ in weeks] == list(range(1, 54))
    assert all(n > 0 for _, n in weeks)
    partial_days = one(
        con, "select list(distinct ts::date order by ts::date) from events where week = 53"
    )
    assert partial_days == [date(2026, 3, 2), date(2026, 3, 3)]


def test_default_end_is_today_utc(tmp_path):
    from datetime import UTC, datetime

    s = generate_demo(tmp_path, events=1_000)
    today = datetime.now(UTC).date()
    assert s.end == today and s.last_week == today - timedelta(days=today.weekday())


# --- the story ----------------------------------------------------------------------------------


def test_input_drift_from_week_30(con):
    length = dict(
        con.sql("""
        select case when week <= 4 then 'reference' when week between 31 and 33 then 'drift'
                    when week >= 40 then 'late' end as period,
               avg(try_cast(f.value_num as double))
        from ai_features f join events e using (event_id)
        where f.feature = 'ticket_length' group by 1
        """).fetchall()
    )
    assert length["drift"] > 1.3 * length["reference"]
    assert length["late"] > 1.2 * length["reference"]  # the world stays moved after the retrain
    languages = dict(
        con.sql("""
        select week >= 31, list(distinct f.value_cat order by f.value_cat)
        from ai_features f join events e using (event_id)
        where f.feature = 'language' and (week <= 4 or week >= 31) group by 1
        """).fetchall()
    )
    assert "pt" not in languages[False] and "pt" in languages[True]
    chat = dict(
        con.sql("""
        select week >= 31, avg((f.value_cat = 'chat')::int)
        from ai_features f join events e using (event_id)
        where f.feature = 'channel' and (week <= 4 or week >= 31) group by 1
        """).fetchall()
    )
    assert chat[True] > chat[False] + 0.1


def test_accuracy_dips_during_the_drift_and_recovers_with_v2(con):
    accuracy = dict(
        con.sql("""
        select case when week < 30 then 'v1' when week between 30 and 33 then 'dip'
                    when week >= 36 then 'v2' end as period,
               avg(case fb.correct when 'true' then 1.0 when 'false' then 0.0 end)
        from events e join feedback fb using (event_id) group by 1
        """).fetchall()
    )
    assert 0.80 < accuracy["v1"] < 0.92
    assert accuracy["dip"] < 0.78 and accuracy["dip"] < accuracy["v1"] - 0.08
    assert accuracy["v2"] > 0.85


def test_versions_tiers_and_adoption_follow_the_calendar(con):
    versions = dict(
        con.sql("select model_version, [min(week), max(week)] from events group by 1").fetchall()
    )
    assert versions == {"v1": [1, 34], "v2": [34, 53]}
    first = dict(
        con.sql(
            "select action_tier, min(week) from events where action_tier in ('suggest', 'approve', 'auto') group by 1"
        ).fetchall()
    )
    assert first["suggest"] == 1 and 12 <= first["approve"] <= 15 and 36 <= first["auto"] <= 38
    # adoption: active agents / eligible agents, early (weeks 1-4) and late (weeks 49-52)
    active = dict(
        con.sql("""
        select week >= 49, count(distinct user_id) from events where week <= 4 or week between 49 and 52
        group by 1""").fetchall()
    )
    eligible = dict(
        con.sql("""
        select d >= '2026-01-01', count(*) from users, (values (date '2025-03-03'), (date '2026-02-02')) v(d)
        where eligible_from::date <= d and (eligible_to is null or eligible_to::date >= d + 27)
            and team not in ('accounts-payable', 'legal') group by 1
        """).fetchall()
    )
    assert active[False] / eligible[False] < 0.25
    assert 0.6 < active[True] / eligible[True] < 0.9
    outside = one(
        con,
        """
        select count(*) from events e join users u using (user_id)
        where e.ts::date < u.eligible_from::date or e.ts::date > u.eligible_to::date""",
    )
    assert outside == 0


def test_price_cut_and_handle_time(con):
    cost_per_1k = dict(
        con.sql("""
        select week >= 26, sum(try_cast(cost_usd as double)) * 1000
            / sum(try_cast(tokens_in as double) + try_cast(tokens_out as double))
        from events where week between 20 and 29 and try_cast(cost_usd as double) >= 0 group by 1
        """).fetchall()
    )
    assert cost_per_1k[True] < 0.7 * cost_per_1k[False]
    minutes = dict(
        con.sql("""
        select ai_assisted, median(try_cast(handle_minutes as double)) from ta_items group by 1
        """).fetchall()
    )
    assert 40 < minutes["false"] < 50 and 18 < minutes["true"] < 27


def test_labels_delay_and_links(con):
    coverage = one(
        con,
        "select count(*) / (select count(*) from all_events) from feedback "
        "where event_id in (select event_id from all_events)",
    )
    assert 0.4 < coverage < 0.6
    late = one(
        con,
        """
        select count(*) from feedback fb join events e using (event_id)
        where try_cast(fb.labeled_at as timestamp) > e.ts + interval 7 days""",
    )
    assert late > 0
    orphans = one(
        con,
        """
        select count(*) from events e
        where e.work_item_id is not null and e.work_item_id not in
            (select item_id from work_items where ai_assisted = 'true')""",
    )
    assert orphans == 0
    assert (
        one(
            con,
            "select count(*) from feedback where event_id not in (select event_id from ai_events)",
        )
        == 0
    )
    assert one(con, "select count(*) from work_items where ai_assisted = 'false'") > 0


def test_costs_match_events_and_include_build(con, demo):
    inference = con.sql("""
        with invoices as (
            select period_start::date as month, sum(amount::double) as invoiced
            from costs where category = 'inference' and amount::double > 0 group by 1),
        usage as (
            select date_trunc('month', ts)::date as month, sum(cost_usd::double) as used
            from (select distinct event_id, ts, cost_usd from all_events)
            where cost_usd::double >= 0
            group by 1)
        select month, invoiced, used from invoices join usage using (month)""").fetchall()
    assert len(inference) == 12  # the current month is not invoiced yet
    assert all(abs(invoiced / used - 1) < 0.05 for _, invoiced, used in inference)
    categories = {c for (c,) in con.sql("select distinct category from costs").fetchall()}
    assert categories == {"inference", "infrastructure", "people", "licence", "build"}
    builds = con.sql("select system from costs where category = 'build' order by 1").fetchall()
    assert builds == [("contract-summariser",), ("invoice-matcher",), (TA,)]


def test_incidents_and_assumptions(con):
    incidents = con.sql("""
        select cause, started_at::varchar, detected_at::varchar, resolved_at::varchar from incidents
        """).fetchall()
    assert len(incidents) >= 6
    assert {"data_drift", "outage", "cost_spike"} <= {c for c, *_ in incidents}
    drift = [i for i in incidents if i[0] == "data_drift"][0]  # ticket-assistant's
    assert date(2025, 9, 22) <= date.fromisoformat(drift[1][:10]) < date(2025, 10, 6)  # weeks 30-31
    assert all(s <= d and (r is None or d <= r) for _, s, d, r in incidents)
    assert any(r is None for *_, r in incidents)
    rows = con.sql(
        "select key, effective_from, value::double, low::double, high::double from assumptions"
    ).fetchall()
    keys = {r[0] for r in rows}
    assert keys >= DEMO_ASSUMPTION_KEYS
    assert len([r for r in rows if r[0] == "loaded_hourly_cost"]) == 2
    systems = con.sql(
        "select distinct coalesce(system, '') from assumptions where key = 'baseline_handle_minutes'"
    ).fetchall()
    assert {s for (s,) in systems} == {"", TA, "invoice-matcher", "contract-summariser"}
    assert all(lo is None or lo <= v <= hi for _, _, v, lo, hi in rows)


# --- dirty rows ---------------------------------------------------------------------------------

DIRTY_SQL = {
    "ai_events": {
        "missing_customer_id": "customer_id is null",
        "malformed_timestamp": "try_cast(occurred_at as timestamp) is null",
        "future_timestamp": f"try_cast(occurred_at as timestamp) > date '{END}' + interval 300 days",
        "negative_cost": "try_cast(cost_usd as double) < 0",
        "confidence_above_1": "try_cast(confidence as double) > 1",
        "unknown_action_tier": "action_tier not in ('suggest', 'approve', 'auto')",
    },
    "ai_features": {"both_values": "value_num is not null and value_cat is not null"},
    "feedback": {"malformed_timestamp": "try_cast(labeled_at as timestamp) is null"},
    "work_items": {
        "missing_customer_id": "customer_id is null",
        "malformed_timestamp": "try_cast(opened_at as timestamp) is null",
    },
    "costs": {"negative_amount": "amount::double < 0"},
}
KEYS = {
    "ai_events": "event_id",
    "ai_features": "event_id, feature",
    "feedback": "event_id",
    "work_items": "item_id",
}


def test_dirty_rows_in_the_files_are_exactly_those_in_the_summary(demo, con):
    assert {t: set(k) for t, k in demo.dirty.items()} == {t: set(k) for t, k in DIRTY_RULES.items()}
    for table, kinds in demo.dirty.items():
        for kind, expected in kinds.items():
            assert expected >= 1, (table, kind)
            if kind in DIRTY_SQL.get(table, {}):
                found = one(con, f"select count(*) from {table} where {DIRTY_SQL[table][kind]}")
            elif kind == "exact_duplicate":
                found = one(
                    con,
                    f"select count(*) - (select count(*) from (select distinct * from {table})) from {table}",
                )
            else:  # conflicting_duplicate: repeated key, other content
                found = one(
                    con,
                    f"""
                    select (select count(*) from (select distinct * from {table}))
                         - (select count(*) from (select distinct {KEYS[table]} from {table}))""",
                )
            assert found == expected, (table, kind, found, expected)
    rate = sum(demo.dirty["ai_events"].values()) / demo.rows["ai_events"]
    assert 0.002 < rate < 0.01


def test_clean_rows_pass_the_contract(con):
    """Apart from the planned dirty rows, nothing would be quarantined."""
    problems = {
        "ai_events": """system is null or model_version is null or segment is null or prediction is null
            or user_id is null or try_cast(latency_ms as double) < 0 or try_cast(tokens_in as bigint) < 0
            or try_cast(tokens_out as bigint) < 0 or try_cast(confidence as double) < 0
            or try_cast(tokens_in as bigint) is null or try_cast(latency_ms as double) is null""",
        "ai_features": "value_num is null and value_cat is null",
        "feedback": "accepted is null or overridden is null or try_cast(correct as boolean) is null and correct is not null",
        "work_items": """team is null or try_cast(closed_at as timestamp) < try_cast(opened_at as timestamp)
            or try_cast(handle_minutes as double) < 0 or outcome not in ('resolved', 'escalated', 'duplicate', 'open')
            or try_cast(opened_at as timestamp) > now()""",
        "users": "team is null or eligible_to::date < eligible_from::date",
        "costs": "period_end::date < period_start::date or length(currency) != 3",
        "assumptions": "value is null or unit is null or owner is null or source is null",
    }
    for table, condition in problems.items():
        assert one(con, f"select count(*) from {table} where {condition}") == 0, table
    assert one(con, "select count(*) - count(distinct user_id) from users") == 0
    assert one(con, "select count(distinct team) from users") == 6
    support = "select count(*) from users where team not in ('accounts-payable', 'legal')"
    assert 110 <= one(con, support) <= 130
    assert one(con, "select count(*) from users") == one(con, support) + 22 + 16


def test_summary_lines_name_every_table(demo):
    text = "\n".join(demo.lines())
    assert all(t in text for t in TABLES)
    assert re.search(r"negative_amount 1", text)
