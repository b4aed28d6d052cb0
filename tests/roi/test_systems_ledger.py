"""The ROI ledger per AI system (issue 15): shared costs allocated in whole cents, exactly, and
the per-system ledgers adding up to the company ledger.

Hand workings (tests/roi/systemfixtures.py; weeks PRE 02-23, W1 03-02, W2 03-09, W3 03-16):

- pre-people 10.01 in PRE, driver events, no event anywhere that week: equal over the
  systems not retired (alpha, beta, gamma): 1001 / 3 = 333 r 2 -> alpha 3.34, beta 3.34,
  gamma 3.33 (ties by name).
- shared-people 77.77 over 03-02..03-15 (7 + 7 days): 7777 / 2 -> W1 38.89 (earliest),
  W2 38.88; driver hours_saved: W1 alpha (45-30)+(45-35) = 25 min, beta 60-50 = 10 min:
  3889 x 25/35 = 2777 r 30, x 10/35 = 1111 r 5, one cent left -> alpha 27.78, beta 11.11;
  W2 beta was 10 min slower than its baseline (counts 0): alpha takes 38.88.
- shared-licence 40.00 over 03-02..03-29, 10.00 a week, driver equal: W1, W2 over alpha,
  beta, gamma (1000 / 3 -> 3.34, 3.33, 3.33), W3 and W4 over alpha, beta (gamma retired
  from 03-16): 5.00 each.
- shared-infra 100.00 over 03-02..03-22 (21 days): 3333 r 7, 3333 r 7, 3333 r 7 -> W1 33.34,
  W2 33.33, W3 33.33; driver events: W1 alpha 3 beta 1: 3334 x 3/4 = 2500 r 2, 833 r 2 ->
  one cent left, tie of remainders, by name: alpha 25.01, beta 8.33; W2 alpha 2, beta 2,
  gamma 1: 3333 x 2/5 = 1333 r 1 (x2), 666 r 3 -> gamma 6.67, alpha 13.33, beta 13.33;
  W3 alpha only: 33.33.
- build_amortisation: build_cost / 12 x 12 / 52 per system from its go-live: alpha and gamma
  the company-wide 5200 (100 a week), beta its own 2600 (50 a week); gamma goes live in W2.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

import pytest

from outcomes.roi.ledger import company_rows, read_ledger
from outcomes.roi.system_summary import system_summaries
from tests.roi import systemfixtures as sf
from tests.roi.systemfixtures import PRE, W1, W2, W3, W4
from tests.sqlharness import SQL_DIR, run_sql

D = Decimal


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    p = sf.build_project(tmp_path_factory.mktemp("roi-systems"))
    con = p.connect()
    try:  # what the ledger reads built (drift and the rest are not this test's business)
        bad = con.execute(
            "select name, error from main.build_objects where status <> 'ok' and (kind in "
            "('staging', 'roi') or name in ('hours_saved', 'error_rate', 'event_volume'))"
        ).fetchall()
    finally:
        con.close()
    assert bad == []
    return p


@pytest.fixture
def con(project):
    c = project.connect()
    yield c
    c.close()


def allocated(con) -> dict[tuple[str, dt.date, str], int]:
    return {
        (c, w, s): int(cents)
        for c, w, s, cents in con.execute(
            "select cost_id, week_start, system, cents from staging.cost_allocations"
        ).fetchall()
    }


def test_the_allocation_is_the_independent_computation(con):
    assert allocated(con) == sf.allocations()


def test_every_cost_weeks_cents_are_allocated_exactly(con):
    got: dict[tuple[str, dt.date], int] = defaultdict(int)
    for (cost_id, week, _s), cents in allocated(con).items():
        got[(cost_id, week)] += cents
    assert dict(got) == sf.cost_week_cents()
    per_cost: dict[str, int] = defaultdict(int)
    for (cost_id, _w), cents in got.items():
        per_cost[cost_id] += cents
    assert per_cost == {c[0]: int(D(c[4]) * 100) for c in sf.COSTS}


def test_the_hand_worked_allocation(con):
    a = allocated(con)
    assert {s: a[("pre-people", PRE, s)] for s in ("alpha", "beta", "gamma")} == {
        "alpha": 334,
        "beta": 334,
        "gamma": 333,
    }
    assert (a[("shared-people", W1, "alpha")], a[("shared-people", W1, "beta")]) == (2778, 1111)
    assert a[("shared-people", W2, "alpha")] == 3888 and ("shared-people", W2, "beta") not in a
    assert [a[("shared-licence", W1, s)] for s in ("alpha", "beta", "gamma")] == [334, 333, 333]
    assert ("shared-licence", W3, "gamma") not in a and a[("shared-licence", W4, "beta")] == 500
    assert (a[("shared-infra", W1, "alpha")], a[("shared-infra", W1, "beta")]) == (2501, 833)
    assert [a[("shared-infra", W2, s)] for s in ("alpha", "beta", "gamma")] == [1333, 1333, 667]
    assert a[("own-infra", W1, "alpha")] == 7000 and a[("beta-licence", W2, "beta")] == 700
    methods = dict(
        con.execute(
            "select distinct cost_id || ' ' || week_start, method from staging.cost_allocations "
            "where cost_id in ('pre-people', 'own-infra', 'shared-people') and week_start < ?",
            [W2],
        ).fetchall()
    )
    assert methods[f"pre-people {PRE}"] == "equal (no events)"
    assert methods[f"own-infra {W1}"] == "own" and methods[f"shared-people {W1}"] == "hours_saved"


def test_per_system_ledgers_add_up_exactly_to_the_company_ledger(con):
    """Done when (issue 15): for every week and line, the sum over systems is the company
    figure computed independently from the source rows."""
    rows = read_ledger(con)
    assert {r.system for r in rows} == {"alpha", "beta", "gamma"}
    summed: dict[tuple[dt.date, str], Decimal] = defaultdict(Decimal)
    for r in rows:
        summed[(r.week_start, r.line_id)] += r.amount
    expected = {**sf.company_costs(), **sf.company_benefits()}
    for week, amount in ((W1, 150), (W2, 250), (W3, 250), (W4, 250)):
        expected[(week, "build_amortisation")] = D(amount)
    assert dict(summed) == expected
    assert {(c.week_start, c.line_id): c.amount for c in company_rows(rows)} == expected


def test_per_system_figures_use_the_systems_assumptions(con):
    rows = {(r.week_start, r.system, r.line_id): r for r in read_ledger(con)}
    alpha_w2 = {i.name: i for i in rows[(W2, "alpha", "time_saved")].inputs}
    assert (
        alpha_w2["loaded_hourly_cost"].decimal,
        alpha_w2["loaded_hourly_cost"].assumption_system,
    ) == (
        D("80"),
        "alpha",
    )
    alpha_w1 = {i.name: i for i in rows[(W1, "alpha", "time_saved")].inputs}
    assert alpha_w1["loaded_hourly_cost"].assumption_system is None  # the company-wide 60
    assert rows[(W1, "alpha", "time_saved")].amount == D(25) / 60 * 60
    beta_w2 = rows[(W2, "beta", "time_saved")]
    assert beta_w2.amount == D(-10) / 60 * 60  # 10 minutes slower than beta's own 60
    assert rows[(W1, "beta", "build_amortisation")].amount == D(50)
    assert (W1, "gamma", "build_amortisation") not in rows  # gamma goes live in W2


def test_system_summaries_add_up_to_the_company(con):
    found = system_summaries(con)
    assert [s.system for s in found] == ["alpha", "beta", "gamma", ""]
    *systems, company = found
    for field in ("total_benefits", "total_costs", "net_value"):
        assert sum((getattr(s, field) for s in systems), D(0)) == getattr(company, field)
    for s in found:
        assert s.roi_low is None or s.roi is None or s.roi_low <= s.roi <= s.roi_high
        assert len(s.weeks) >= 4 and all(w.costs >= 0 for w in s.weeks)


# -- the allocation SQL against Python on random inputs ----------------------------------------


def _on_random_days(rng: random.Random, weeks: list[dt.date], most: int, row) -> list[dict]:
    """0 to ``most`` rows ``row(n, day)``, each on a random day of one of ``weeks`` (the day
    is drawn before the row's own draws)."""
    return [
        row(n, rng.choice(weeks) + dt.timedelta(days=rng.randint(0, 6)))
        for n in range(rng.randint(0, most))
    ]


def _random_case(rng: random.Random):
    systems = ["s1", "s2", "s3", "s4"][: rng.randint(1, 4)]
    weeks = [dt.date(2026, 3, 2) + dt.timedelta(weeks=k) for k in range(3)]

    def event(n: int, day: dt.date) -> dict:
        return {
            "event_id": f"e{n}",
            "occurred_at": f"{day} 10:00:00",
            "system": rng.choice(systems),
            "cost_usd": 0.01,
        }

    def item(n: int, day: dt.date) -> dict:
        return {
            "item_id": f"i{n}",
            "opened_at": f"{day} 08:00:00",
            "closed_at": f"{day} 09:00:00",
            "ai_assisted": True,
            "handle_minutes": rng.randint(1, 90),
            "system": rng.choice(systems),
        }

    events = _on_random_days(rng, weeks, 12, event)
    items = _on_random_days(rng, weeks, 8, item)
    costs = []
    for n in range(rng.randint(1, 5)):
        start = weeks[0] + dt.timedelta(days=rng.randint(0, 10))
        end = start + dt.timedelta(days=rng.randint(0, 12))
        costs.append(
            {
                "cost_id": f"c{n}",
                "period_start": str(start),
                "period_end": str(end),
                "category": "infrastructure",
                "amount": f"{rng.randint(0, 99999) / 100:.2f}",
                "currency": "USD",
                "system": rng.choice([None, None, *systems]),
                "allocate_by": rng.choice(["events", "hours_saved", "equal", None]),
            }
        )
    retired = rng.choice([None, *systems])
    register = [
        {"system": s, "effective_from": "2026-01-01", "stage": "pilot", "owner": "o"}
        for s in systems
    ]
    if retired:
        register.append(
            {"system": retired, "effective_from": str(weeks[1]), "stage": "retired", "owner": "o"}
        )
    assumptions = [
        {"key": "baseline_handle_minutes", "effective_from": "2026-01-01", "value": 45},
        {
            "key": "baseline_handle_minutes",
            "system": systems[0],
            "effective_from": "2026-01-01",
            "value": 30,
        },
    ]
    return events, items, costs, register, assumptions


def _python_allocation(events, items, costs, register, assumptions):
    def week(text):
        d = dt.date.fromisoformat(text[:10])
        return d - dt.timedelta(days=d.weekday())

    known = sorted(
        {e["system"] for e in events}
        | {r["system"] for r in register}
        | {c["system"] for c in costs if c["system"]}
    )
    out = {}
    for c in costs:
        first, last = (
            dt.date.fromisoformat(c["period_start"]),
            dt.date.fromisoformat(c["period_end"]),
        )
        days = defaultdict(int)
        d = first
        while d <= last:
            days[d - dt.timedelta(days=d.weekday())] += 1
            d += dt.timedelta(days=1)
        for (_, w), cents in sf.split_cents(
            int(D(c["amount"]) * 100), dict(days), key=lambda w: w, prefix=c["cost_id"]
        ).items():
            if c["system"]:
                out[(c["cost_id"], w, c["system"])] = cents
                continue
            by = c["allocate_by"] or "events"
            weights = defaultdict(int)
            if by == "events":
                for e in events:
                    if week(e["occurred_at"]) == w:
                        weights[e["system"]] += 1
            elif by == "hours_saved":
                saved = defaultdict(int)
                for i in items:
                    if week(i["closed_at"]) == w:
                        base = 30 if i["system"] == register[0]["system"] else 45
                        saved[i["system"]] += base - i["handle_minutes"]
                weights = {s: v for s, v in saved.items() if v > 0}
            weights = {s: v for s, v in weights.items() if v > 0}
            if not weights:
                weights = {
                    s: 1 for s in known if _stage(register, s, w) not in (None, "retired")
                } or {s: 1 for s in known}
            for s, v in sf.split_cents(cents, weights, key=lambda s: s).items():
                if v:
                    out[(c["cost_id"], w, s)] = v
    return out


def _stage(register, system, week):
    found = [
        (r["effective_from"], r["stage"])
        for r in register
        if r["system"] == system and dt.date.fromisoformat(r["effective_from"]) <= week
    ]
    return max(found)[1] if found else None


@pytest.mark.parametrize("seed", range(20))
def test_the_allocation_sql_matches_python_on_random_inputs(seed):
    events, items, costs, register, assumptions = _random_case(random.Random(seed))
    con = run_sql(
        {
            "ai_events": events,
            "work_items": items,
            "costs": costs,
            "systems": register,
            "assumptions": assumptions,
        }
    )
    for name in ("systems", "cost_allocations"):
        con.execute(
            f"create or replace view staging.{name} as {(SQL_DIR / 'staging' / f'{name}.sql').read_text()}"
        )
    got = {
        (c, w, s): int(cents)
        for c, w, s, cents in con.execute(
            "select cost_id, week_start, system, cents from staging.cost_allocations"
        ).fetchall()
    }
    assert got == _python_allocation(events, items, costs, register, assumptions)


def test_a_pack_from_before_systems_is_refused_with_a_clear_reason():
    from outcomes.roi.pack_reading import PackError, check_manifest

    with pytest.raises(PackError, match="before the ledger had AI systems"):
        check_manifest({"format": "outcomes-audit-pack/1"})


def test_a_change_for_one_system_reaches_only_that_systems_rows(tmp_path):
    from outcomes.build.full import build_snapshot
    from outcomes.roi.assumption_changes import history, set_assumption
    from outcomes.store.state import StateStore
    from tests.roifixtures import AS_OF

    p = sf.build_project(tmp_path / "p")
    change = set_assumption(
        p.settings,
        "loaded_hourly_cost",
        "65",
        why="beta's team costs more",
        author="cfo@example.com",
        effective_from=W2,
        system="beta",
    )
    # beta had no own rate: the change follows the company-wide 60 (its range 50..70 holds)
    assert (change.system, change.old_value, change.unit) == ("beta", D("60"), "u")
    with pytest.raises(Exception, match="above the high end"):
        set_assumption(
            p.settings,
            "loaded_hourly_cost",
            "95",
            why="x",
            author="a",
            effective_from=W3,
            system="alpha",
        )  # alpha's own version (75..90) bounds alpha's changes
    assert history(p.settings)["system"].tolist() == ["beta"]
    assert StateStore(p.settings.state_path).verify_audit().ok
    build_snapshot(p.settings, as_of=AS_OF)
    con = p.connect()
    try:
        rows = {(r.week_start, r.system, r.line_id): r for r in read_ledger(con)}
    finally:
        con.close()
    beta = {i.name: i for i in rows[(W2, "beta", "time_saved")].inputs}["loaded_hourly_cost"]
    assert (beta.decimal, beta.assumption_system) == (D("65"), "beta")
    alpha_row = rows.get((W2, "alpha", "time_saved"))
    assert alpha_row is not None
    alpha = {i.name: i for i in alpha_row.inputs}["loaded_hourly_cost"]
    assert (alpha.decimal, alpha.assumption_system) == (D("80"), "alpha")  # untouched
    beta_w1 = {i.name: i for i in rows[(W1, "beta", "time_saved")].inputs}["loaded_hourly_cost"]
    assert (beta_w1.decimal, beta_w1.assumption_system) == (D("60"), None)  # before the change
