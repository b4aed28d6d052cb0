"""Drift metrics (sql/metrics/drift_*.sql) against independent references on generated data.

Every statistic of every week and feature is recomputed here from the generated rows with
numpy / scipy (numpy decile PSI, scipy.stats.ks_2samp(method='asymp'),
scipy.stats.chi2_contingency(correction=False), scipy.stats.wasserstein_distance / np.std,
scipy.spatial.distance.jensenshannon) and must agree within 1e-9 (relative); the KS
statistic must be identical. Nothing here is binned on purpose, so no looser bound is used.
Two AI systems share the feature names but not their distributions nor their first week, so
a reference pooled over systems, or taken from the other system, gives other figures than
the per-system ones computed here. The golden test at the end works a tiny input out by hand.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from outcomes.build.failing_rows import failing_rows_query
from outcomes.config import Settings
from outcomes.core.header_defaults import parse_file_header
from tests.metricfixtures import event
from tests.sqlharness import SQL_DIR, rows, run_sql

EPSILON = 1e-4  # the PSI floor for empty bins / unseen categories stated in the SQL headers
REL = 1e-9
W0 = dt.date(2026, 1, 5)  # a Monday
WEEKS = [W0 + dt.timedelta(days=7 * i) for i in range(9)]  # the last one is partial
AS_OF = "2026-03-05 00:00:00"  # Thursday of WEEKS[8]
SMALL_WEEK = WEEKS[6]  # too few rows: insufficient
SHIFT_FROM = 5  # weeks 5.. drift
NUMERIC = ("amount", "ties", "latency", "constant", "late")
CATEGORICAL = ("channel", "region")
HEAVY = ("drift_numeric", "drift_categorical")
THIN = (
    "drift_psi",
    "drift_js_distance",
    "drift_ks_pvalue",
    "drift_chi2_pvalue",
    "drift_wasserstein",
    "drift_share",
)


# triage drifts from week SHIFT_FROM; billing starts a week later (so its fixed reference is
# weeks 1..4, not 0..3), with other distributions, and never drifts against its own reference
SYSTEMS = {
    "triage": {"first": 0, "n": 400, "amount": 0.0, "shift": 0.8},
    "billing": {"first": 1, "n": 400, "amount": 5.0, "shift": 0.0},
}


def _generate(seed: int = 20260105) -> tuple[list[dict], list[dict], pd.DataFrame]:
    """Raw ai_events and ai_features rows, and the same features with their system and week
    (long form)."""
    rng = np.random.default_rng(seed)
    events, features, long = [], [], []
    for system, cfg in SYSTEMS.items():
        for w, week in enumerate(WEEKS):
            if w < cfg["first"]:
                continue
            n = 60 if week == SMALL_WEEK else cfg["n"] // 2 if w == 8 else cfg["n"]
            drifted = w >= SHIFT_FROM and cfg["shift"] > 0
            days = 3 if w == 8 else 7  # the partial week ends at as_of
            offsets = rng.integers(0, days * 24 * 3600, size=n)
            values = {
                "amount": rng.normal(cfg["amount"] + (cfg["shift"] if drifted else 0.0), 1.0, n),
                # few distinct values: ties inside and across weeks, duplicate decile edges
                "ties": rng.choice(7, n, p=[0.3, 0.25, 0.15, 0.1, 0.1, 0.05, 0.05]).astype(float)
                + (1.0 if drifted else 0.0) * (rng.random(n) < 0.3),
                # far from 0 and skewed: exercises the integrals and the population std
                "latency": 1000.0 + rng.lognormal(3.0, 0.9 if drifted else 0.6, n),
                "constant": np.full(n, 1.0),
                "late": rng.normal(5.0, 2.0, n),
            }
            if system == "triage":
                channel_p = [0.4, 0.3, 0.2, 0.1] if drifted else [0.5, 0.3, 0.2, 0.0]  # "d" new
            else:
                channel_p = [0.1, 0.2, 0.3, 0.4]
            cats = {
                "channel": rng.choice(["a", "b", "c", "d"], n, p=channel_p),
                "region": np.full(n, "eu"),
            }
            for i in range(n):
                eid = f"{system}-w{w}e{i}"
                ts = dt.datetime.combine(week, dt.time()) + dt.timedelta(seconds=int(offsets[i]))
                events.append(event(eid, ts.isoformat(sep=" "), system=system))
                for name, vals in values.items():
                    if name == "late" and w < 2:
                        continue  # this feature starts in week 2
                    features.append({"event_id": eid, "feature": name, "value_num": float(vals[i])})
                    long.append((system, name, week, float(vals[i]), None))
                for name, vals in cats.items():
                    features.append({"event_id": eid, "feature": name, "value_cat": str(vals[i])})
                    long.append((system, name, week, None, str(vals[i])))
    frame = pd.DataFrame(
        long, columns=["system", "feature", "week_start", "value_num", "value_cat"]
    )
    return events, features, frame


EVENTS, FEATURES, LONG = _generate()


def _settings(mode: str = "fixed", **drift: object) -> Settings:
    return Settings(drift={"reference_mode": mode, **drift})


def _build(settings: Settings, files=HEAVY + THIN):
    return run_sql(
        {"ai_events": EVENTS, "ai_features": FEATURES}, files, settings=settings, as_of=AS_OF
    )


@pytest.fixture(scope="module")
def fixed():
    return _build(_settings("fixed"))


@pytest.fixture(scope="module")
def trailing():
    return _build(_settings("trailing"))


def _table(con, name: str) -> pd.DataFrame:
    frame = con.execute(f"select * from metrics.{name} order by system, feature, week_start").df()
    for column in ("week_start", "reference_start", "reference_end"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame


def _weekly(con, name: str, feature: str) -> pd.DataFrame:
    """``metrics.<name>``'s rows for triage's ``feature``, indexed by week."""
    return (
        _table(con, name)
        .query(f"feature == '{feature}' and system == 'triage'")
        .set_index("week_start")
    )


def _of(system: str, feature: str) -> pd.DataFrame:
    return LONG[(LONG.system == system) & (LONG.feature == feature)]


def _reference_weeks(system: str, feature: str, week: dt.date, mode: str) -> list[dt.date]:
    """Fixed: the first 4 complete weeks from the first week of the system's feature;
    trailing: the 4 weeks before."""
    if mode == "fixed":
        first = _of(system, feature)["week_start"].min()
        return [w for w in WEEKS[:-1] if w >= first][:4]
    return [week - dt.timedelta(days=7 * k) for k in range(1, 5)]


def _samples(
    system: str, feature: str, week: dt.date, mode: str, column: str
) -> tuple[np.ndarray, np.ndarray]:
    rows_ = _of(system, feature)
    ref = rows_.loc[rows_.week_start.isin(_reference_weeks(system, feature, week, mode)), column]
    cur = rows_.loc[rows_.week_start == week, column]
    return ref.to_numpy(), cur.to_numpy()


def numpy_psi(ref_share: np.ndarray, cur_share: np.ndarray) -> float:
    r = np.clip(ref_share, EPSILON, None)
    c = np.clip(cur_share, EPSILON, None)
    return float(np.sum((c - r) * np.log(c / r)))


def numeric_reference(ref: np.ndarray, cur: np.ndarray) -> dict[str, float]:
    edges = np.unique(np.quantile(ref, np.arange(1, 10) / 10))
    bins = len(edges) + 1
    ref_counts = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=bins)
    cur_counts = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=bins)
    ks = stats.ks_2samp(ref, cur, method="asymp")
    wasserstein = stats.wasserstein_distance(ref, cur)
    std = float(np.std(ref))
    return {
        "bins": bins,
        "psi": numpy_psi(ref_counts / len(ref), cur_counts / len(cur)),
        "js_distance": float(jensenshannon(cur_counts, ref_counts)),
        "ks_statistic": float(ks.statistic),
        "ks_pvalue": float(ks.pvalue),
        "wasserstein": float(wasserstein),
        "reference_std": std,
        "wasserstein_norm": float(wasserstein / std) if std > 0 else math.nan,
    }


def categorical_reference(ref: np.ndarray, cur: np.ndarray) -> dict[str, float]:
    categories = sorted(set(ref) | set(cur))
    ref_counts = np.array([np.sum(ref == c) for c in categories])
    cur_counts = np.array([np.sum(cur == c) for c in categories])
    chi2 = stats.chi2_contingency(np.vstack([ref_counts, cur_counts]), correction=False)
    unseen = ref_counts == 0
    return {
        "categories": len(categories),
        "unseen_categories": int(unseen.sum()),
        "unseen_share": float(cur_counts[unseen].sum() / len(cur)),
        "psi": numpy_psi(ref_counts / len(ref), cur_counts / len(cur)),
        "js_distance": float(jensenshannon(cur_counts, ref_counts)),
        "chi2_statistic": float(chi2.statistic),
        "chi2_dof": int(chi2.dof),
        "chi2_pvalue": float(chi2.pvalue),
    }


def assert_close(got: float, want: float, what: str) -> None:
    if math.isnan(want):
        assert got is None or math.isnan(got), f"{what}: got {got}, want null"
        return
    assert got is not None and not math.isnan(got), f"{what}: got null, want {want}"
    assert math.isclose(got, want, rel_tol=REL, abs_tol=1e-12), (
        f"{what}: got {got!r}, want {want!r}"
    )


def _compare(con, mode: str, table: str, features, column: str, reference) -> dict[str, float]:
    """Compare every row; returns the worst relative error per statistic (for the report)."""
    got = _table(con, table)
    expected_keys = {
        (s, f, w) for s in SYSTEMS for f in features for w in _of(s, f)["week_start"].unique()
    }
    assert set(zip(got.system, got.feature, got.week_start, strict=True)) == expected_keys
    worst: dict[str, float] = {}
    for row in got.itertuples():
        ref, cur = _samples(row.system, row.feature, row.week_start, mode, column)
        assert (row.n_reference, row.n_current) == (len(ref), len(cur))
        if len(ref) == 0:
            assert row.flag == "insufficient" and pd.isna(row.value) and pd.isna(row.psi)
            continue
        want = reference(ref, cur)
        assert row.value == row.psi
        for key, value in want.items():
            got_value = getattr(row, key)
            what = f"{mode} {row.system} {row.feature} {row.week_start} {key}"
            if key in ("bins", "categories", "unseen_categories", "chi2_dof"):
                assert got_value == value, what
                continue
            if key == "ks_statistic":
                assert got_value == value, f"{what}: {got_value!r} != {value!r}"  # exact
            assert_close(None if pd.isna(got_value) else float(got_value), value, what)
            if value and not math.isnan(value):
                worst[key] = max(worst.get(key, 0.0), abs(got_value - value) / abs(value))
    return worst


@pytest.mark.parametrize("mode", ["fixed", "trailing"])
def test_numeric_statistics_match_numpy_and_scipy(mode, fixed, trailing):
    con = fixed if mode == "fixed" else trailing
    worst = _compare(con, mode, "drift_numeric", NUMERIC, "value_num", numeric_reference)
    assert set(worst) >= {"psi", "js_distance", "ks_pvalue", "wasserstein", "wasserstein_norm"}


@pytest.mark.parametrize("mode", ["fixed", "trailing"])
def test_categorical_statistics_match_numpy_and_scipy(mode, fixed, trailing):
    con = fixed if mode == "fixed" else trailing
    worst = _compare(
        con, mode, "drift_categorical", CATEGORICAL, "value_cat", categorical_reference
    )
    assert set(worst) >= {"psi", "js_distance", "chi2_statistic", "chi2_pvalue"}


def test_fixed_reference_is_the_first_four_complete_weeks_of_each_feature(fixed):
    for table in HEAVY:
        got = _table(fixed, table)
        for row in got.itertuples():
            weeks = _reference_weeks(row.system, row.feature, row.week_start, "fixed")
            assert (row.reference_start, row.reference_end) == (weeks[0], weeks[-1])
    late = _table(fixed, "drift_numeric").query("feature == 'late' and system == 'triage'")
    assert set(late.reference_start) == {WEEKS[2]} and set(late.reference_end) == {WEEKS[5]}
    assert set(late.n_reference) == {400 * 4}  # weeks 2..5; the small week 6 is not in it


def test_fixed_reference_is_per_system(fixed):
    # the same feature name in two systems: each against its own first weeks and rows
    for table in HEAVY:
        got = _table(fixed, table)
        for system, cfg in SYSTEMS.items():
            own = got[(got.system == system) & (got.feature != "late")]
            first = WEEKS[cfg["first"]]
            assert set(own.reference_start) == {first}, (table, system)
            assert set(own.reference_end) == {first + dt.timedelta(days=21)}, (table, system)
            assert set(own.n_reference) == {cfg["n"] * 4}, (table, system)
    amount = _table(fixed, "drift_numeric").query("feature == 'amount'")
    # billing's amount sits 5 standard deviations from triage's and never moves: against its
    # own reference it is stable; against triage's (or a pooled one) every week would drift
    billing = amount[(amount.system == "billing") & amount.flag.isna()]
    assert len(billing) >= 5 and (billing.psi < 0.1).all() and (billing.ks_pvalue > 0.01).all()
    assert not rows(fixed, "select 1 from metrics.drift_numeric where system is null")


def test_trailing_reference_is_the_weeks_before(trailing, fixed):
    got = _weekly(trailing, "drift_numeric", "amount")
    for w, week in enumerate(WEEKS):
        row = got.loc[week]
        assert row.reference_start == week - dt.timedelta(days=28)
        assert row.reference_end == week - dt.timedelta(days=7)
        assert row.n_reference == sum(
            60 if x == SMALL_WEEK else 400 for x in WEEKS[max(0, w - 4) : w]
        )
    first = got.loc[W0]
    assert first.n_reference == 0 and first.flag == "insufficient" and pd.isna(first.value)
    # a drifted week against partly drifted neighbours drifts less than against the fixed start
    start = _weekly(fixed, "drift_numeric", "amount")
    assert got.loc[WEEKS[8]].psi < start.loc[WEEKS[8]].psi / 2


def test_shifted_weeks_drift_and_stable_weeks_do_not(fixed):
    got = _weekly(fixed, "drift_numeric", "amount")
    for w, week in enumerate(WEEKS):
        row = got.loc[week]
        if w >= SHIFT_FROM:
            assert row.psi >= 0.25 and row.ks_pvalue < 0.05 and row.wasserstein_norm > 0.5, week
        else:
            assert row.psi < 0.1 and row.ks_pvalue > 0.05 and row.wasserstein_norm < 0.2, week


def test_few_rows_are_insufficient_and_the_open_week_is_partial(fixed):
    for table in HEAVY:
        got = _table(fixed, table)
        small = got[got.week_start == SMALL_WEEK]
        assert len(small) > 0 and set(small.flag) == {"insufficient"}
        assert small.psi.notna().all()  # still computed, only not alerted
        assert set(got.loc[got.week_start == WEEKS[8], "flag"]) == {"partial"}
        others = got[~got.week_start.isin([SMALL_WEEK, WEEKS[8]])]
        assert others.flag.isna().all()


def test_min_rows_setting_moves_the_insufficient_line():
    con = _build(_settings("fixed", min_rows=50), files=("drift_numeric",))
    got = _table(con, "drift_numeric")
    assert got.loc[got.week_start == SMALL_WEEK, "flag"].isna().all()
    con = _build(_settings("fixed", min_rows=401), files=("drift_numeric",))
    got = _table(con, "drift_numeric")
    assert set(got.loc[got.week_start != WEEKS[8], "flag"]) == {"insufficient"}


def test_unseen_category_counts_and_is_not_dropped(fixed):
    got = _weekly(fixed, "drift_categorical", "channel")
    for w, week in enumerate(WEEKS):
        row = got.loc[week]
        ref, cur = _samples("triage", "channel", week, "fixed", "value_cat")
        assert "d" not in set(ref)
        if w < SHIFT_FROM:
            assert (row.categories, row.unseen_categories, row.chi2_dof) == (3, 0, 2)
            continue
        share_d = float(np.mean(cur == "d"))
        assert (row.categories, row.unseen_categories, row.chi2_dof) == (4, 1, 3)
        assert row.unseen_share == pytest.approx(share_d, rel=REL)
        # every PSI term is >= 0, and the unseen category's term is (c - eps) * ln(c / eps)
        assert row.psi >= (share_d - EPSILON) * math.log(share_d / EPSILON) > 0.5
        assert row.chi2_pvalue < 1e-6


def test_single_category_and_constant_feature_edge_cases(fixed):
    region = _table(fixed, "drift_categorical").query("feature == 'region'")
    assert (region.psi == 0).all() and (region.js_distance == 0).all()
    assert (
        (region.chi2_statistic == 0).all()
        and (region.chi2_pvalue == 1).all()
        and (region.chi2_dof == 0).all()
    )
    constant = _table(fixed, "drift_numeric").query("feature == 'constant'")
    assert (
        (constant.bins == 2).all()
        and (constant.psi == 0).all()
        and (constant.ks_statistic == 0).all()
    )
    assert (constant.wasserstein == 0).all() and constant.wasserstein_norm.isna().all()
    assert rows(
        fixed, "select count(*) from metrics.drift_wasserstein where feature = 'constant'"
    ) == [(0,)]


@pytest.mark.parametrize("mode", ["fixed", "trailing"])
def test_drift_share_counts_features_drifted_over_features_tested(mode, fixed, trailing):
    con = fixed if mode == "fixed" else trailing
    expected: dict[tuple[dt.date, str], list[int]] = {}
    for system in SYSTEMS:
        for feature in NUMERIC + CATEGORICAL:
            numeric = feature in NUMERIC
            column = "value_num" if numeric else "value_cat"
            for week in _of(system, feature)["week_start"].unique():
                ref, cur = _samples(system, feature, week, mode, column)
                if min(len(ref), len(cur)) < Settings().drift.min_rows:
                    continue  # insufficient: not tested
                want = numeric_reference(ref, cur) if numeric else categorical_reference(ref, cur)
                p = want["ks_pvalue"] if numeric else want["chi2_pvalue"]
                counts = expected.setdefault((week, system), [0, 0])
                counts[0] += want["psi"] >= 0.25 or p < 0.05
                counts[1] += 1
    got = {
        (w, s): [num, den, value, flag]
        for w, s, num, den, value, flag in rows(
            con,
            "select week_start, system, numerator, denominator, value, flag "
            "from metrics.drift_share",
        )
    }
    assert set(got) == set(expected)  # per system only: no company row
    for key, (num, den) in expected.items():
        assert got[key][:2] == [num, den], key
        assert got[key][2] == pytest.approx(num / den, rel=REL)
        assert got[key][3] == ("partial" if key[0] == WEEKS[8] else None)
    if mode == "fixed":
        assert got[(WEEKS[8], "triage")][0] >= 3 and got[(WEEKS[1], "triage")][0] <= 1


def test_per_statistic_metrics_read_the_heavy_tables(fixed):
    pairs = {
        "drift_psi": ("psi", HEAVY),
        "drift_js_distance": ("js_distance", HEAVY),
        "drift_ks_pvalue": ("ks_pvalue", ("drift_numeric",)),
        "drift_chi2_pvalue": ("chi2_pvalue", ("drift_categorical",)),
        "drift_wasserstein": ("wasserstein_norm", ("drift_numeric",)),
    }
    for metric, (column, sources) in pairs.items():
        union = " union all ".join(
            f"select week_start, system, feature, {column} as v, flag from metrics.{s} "
            f"where {column} is not null"
            for s in sources
        )
        want = sorted(rows(fixed, union))
        got = sorted(
            rows(fixed, f"select week_start, system, feature, value, flag from metrics.{metric}")
        )
        assert got == want and len(got) > 0, metric
    kinds = dict(rows(fixed, "select distinct feature, feature_type from metrics.drift_psi"))
    assert kinds == {
        **dict.fromkeys(NUMERIC, "numeric"),
        **dict.fromkeys(CATEGORICAL, "categorical"),
    }


@pytest.mark.parametrize("mode", ["fixed", "trailing"])
def test_header_tests_pass_and_headers_are_complete(mode, fixed, trailing):
    con = fixed if mode == "fixed" else trailing
    for name in HEAVY + THIN:
        header = parse_file_header(SQL_DIR / "metrics" / f"{name}.sql", "metrics").header
        assert header.kind == "drift" and header.owner == "ml-platform@example.com"
        assert header.tests, name
        for test in header.tests:
            query = failing_rows_query(f"metrics.{name}", test)
            assert rows(con, f"select count(*) from ({query})") == [(0,)], f"{name}: {test.text}"
    assert "0.0001" in (SQL_DIR / "metrics" / "drift_psi.sql").read_text()  # epsilon is stated


# ---------------------------------------------------------------------------------------
# Golden: drift_psi on a tiny input worked out by hand.
#
# Settings: fixed reference of 1 week, min_rows 1. Three complete weeks, ten events each;
# every event has a numeric x and a categorical c.
#   x  W1 (reference): 1..10 -> deciles (linear) 1.9, 2.8, ..., 9.1: ten bins, one value each,
#                      every reference share 0.1
#      W1: itself -> PSI 0
#      W2: 1,1,1,1,1,2,3,4,5,6 -> shares 0.5, 0.1 x5, 0 x4 (-> eps):
#          (0.5 - 0.1) ln(0.5 / 0.1) + 4 (0.0001 - 0.1) ln(0.0001 / 0.1)
#      W3: 11..20 -> all in the top bin: (1 - 0.1) ln 10 + 9 (0.0001 - 0.1) ln(0.0001 / 0.1)
#   c  W1 (reference): a x5, b x5;  W2: same -> 0
#      W3: a x5, z x5 (z unseen): b: (0.0001 - 0.5) ln(0.0001 / 0.5),
#                                 z: (0.5 - 0.0001) ln(0.5 / 0.0001)
# ---------------------------------------------------------------------------------------
G1, G2, G3 = dt.date(2026, 3, 2), dt.date(2026, 3, 9), dt.date(2026, 3, 16)
GOLDEN_X = {G1: list(range(1, 11)), G2: [1, 1, 1, 1, 1, 2, 3, 4, 5, 6], G3: list(range(11, 21))}
GOLDEN_C = {G1: ["a"] * 5 + ["b"] * 5, G2: ["a"] * 5 + ["b"] * 5, G3: ["a"] * 5 + ["z"] * 5}


def test_drift_psi_golden():
    events, features = [], []
    for week in (G1, G2, G3):
        for i, (x, c) in enumerate(zip(GOLDEN_X[week], GOLDEN_C[week], strict=True)):
            eid = f"{week}-{i}"
            events.append(event(eid, f"{week + dt.timedelta(days=i % 7)} 09:00:00"))
            features.append({"event_id": eid, "feature": "x", "value_num": float(x)})
            features.append({"event_id": eid, "feature": "c", "value_cat": c})
    con = run_sql(
        {"ai_events": events, "ai_features": features},
        ("drift_numeric", "drift_categorical", "drift_psi"),
        settings=_settings("fixed", reference_weeks=1, min_rows=1),
        as_of="2026-03-23 00:00:00",
    )
    ln = math.log
    expected = {
        (G1, "x"): (0.0, "numeric", 10.0, 10.0, None),
        (G2, "x"): (
            (0.5 - 0.1) * ln(5) + 4 * (0.0001 - 0.1) * ln(0.001),
            "numeric",
            10.0,
            10.0,
            None,
        ),
        (G3, "x"): (
            (1 - 0.1) * ln(10) + 9 * (0.0001 - 0.1) * ln(0.001),
            "numeric",
            10.0,
            10.0,
            None,
        ),
        (G1, "c"): (0.0, "categorical", 10.0, 10.0, None),
        (G2, "c"): (0.0, "categorical", 10.0, 10.0, None),
        (G3, "c"): (
            (0.0001 - 0.5) * ln(0.0002) + (0.5 - 0.0001) * ln(5000),
            "categorical",
            10.0,
            10.0,
            None,
        ),
    }
    got = {
        (r[0], r[1]): r[2:]
        for r in rows(
            con,
            "select week_start, feature, value, feature_type, n_reference, n_current, flag from metrics.drift_psi",
        )
    }
    assert set(got) == set(expected)
    for key, want in expected.items():
        assert got[key][0] == pytest.approx(want[0], rel=1e-12, abs=1e-15), key
        assert got[key][1:] == want[1:], key
    # the numbers, for a reader checking by hand
    assert got[(G2, "x")][0] == pytest.approx(3.40411, abs=1e-5)
    assert got[(G3, "x")][0] == pytest.approx(8.28309, abs=1e-5)
    assert got[(G3, "c")][0] == pytest.approx(8.51549, abs=1e-5)
