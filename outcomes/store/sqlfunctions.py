"""SQL functions every Outcomes connection shares: calendar macros, settings, p-values.

Macros (stored in the snapshot, so any DuckDB shell opened on it can run a metric file; the
shared ones are defined in :mod:`outcomes.core.macros`, which says what tables each reads):

- ``local_ts(ts)``: UTC ``TIMESTAMP`` -> local ``TIMESTAMP`` in the configured time zone.
- ``week_of(ts)``: UTC ``TIMESTAMP`` -> ``DATE`` that starts its reporting week.
- ``week_of_date(d)``: local ``DATE`` -> ``DATE`` that starts its reporting week.
- ``setting(key)``: a build setting as text, from ``main.build_settings``.
- ``partial_flag(week)``: ``'partial'`` while the reporting week ``week`` is unfinished
  (``staging.weeks.is_partial``), else null.
- ``coverage_flag(week, coverage)``: ``'partial'`` as above, else ``'provisional'`` when
  ``coverage`` is below ``setting('label_coverage_floor')``, else null.
- ``weekly_quantile(rows, q)`` (table): of the rows of CTE ``rows`` (``week_start``,
  ``system``, ``dims``, ``x``), per week at four levels (system and ``dims``; system total;
  ``dims`` over all systems; company total): ``value`` = ``quantile_cont(x, q)``, ``n`` =
  rows, ``flag``.
- ``weekly_mean(rows)`` (table): the same grouping; ``value`` = sum(x) / rows, ``numerator`` =
  sum(x), ``denominator`` = rows, ``flag``.
- ``feedback_ratio(rows)`` (table): the same grouping of rows with booleans ``labelled`` and
  ``hit``; ``value`` = hits / labelled, ``numerator``, ``denominator``, ``coverage`` =
  labelled / rows, ``flag`` (coverage_flag); groups without a labelled row are left out.
- ``drift_tests(feature_weeks)`` (table): one drift test per row (system, feature,
  week_start, n_current) of CTE ``feature_weeks``: ``test_id``, ``window_id`` (its reference window),
  ``first_week``, ``reference_start``, ``reference_end``.
- ``drift_reference_weeks(tests)`` (table): the weeks of each reference window of the tests
  (``setting('drift.reference_mode')`` fixed or trailing, ``drift.reference_weeks`` weeks).
- ``drift_reference_counts(tests, week_counts)`` (table): per reference window and ``value``,
  the count ``cnt`` summed over the window's weeks, from CTE ``week_counts`` (system, feature,
  week_start, value, cnt).
- ``drift_current_counts(tested, week_counts)`` (table): the ``week_counts`` rows of each tested
  week that has a reference (``n_reference > 0``): ``test_id``, ``window_id``, ``value``, ``cnt``.
- ``drift_bin(v, e1, ..., e9)``: the decile bin (0 to 9) of ``v`` between the reference's nine
  inner edges (a null edge, of a reference with fewer distinct values, adds nothing).
- ``psi(cur_share, ref_share)``, ``js_distance(cur_share, ref_share)``: aggregates over a
  test's bins: population stability index (shares clipped at 0.0001) and Jensen-Shannon
  distance (natural log).
- ``drift_flag(week, n_reference, n_current)``: ``'insufficient'`` below
  ``setting('drift.min_rows')`` rows on either side, else as ``partial_flag``.
- ``feature_drift()`` (table): the rows of ``metrics.drift_numeric`` and
  ``metrics.drift_categorical`` as one, with ``feature_type`` and ``test_pvalue`` (the KS
  p-value of a numeric feature, the chi-square one of a categorical feature).
- ``dq_rows_in()`` (table): rows that came in per load week and source table plus a total
  per week: ``rows_in``, ``null_rows`` (a required field missing), ``duplicate_rows``.
- ``cost_lines(cost_category, line_name, until)`` (table): cost lines of a category per reporting week
  and AI system (own lines + allocated shares, ``staging.cost_allocations``) up to ``until``, and
  the amount in the reporting currency (an error when not).
- ``newest_versions(rows)`` (table): the rows of CTE ``rows`` (a raw table plus
  ``version_key``), one per key: the version of the latest load (``raw.loads.started_at``).
- ``assumption_at(assumption_key, week)``: the company-wide value (``system`` null) of the
  assumption in force at ``week`` (``staging.assumptions``, the latest ``effective_from`` on or
  before it), else null.
- ``assumption_for(assumption_key, system, week)``: the system's own version in force at
  ``week``, else the company-wide one, else null; ``assumption_for_low(assumption_key, system,
  week)`` / ``assumption_for_high(assumption_key, system, week)``: the low / high end of the range
  of that same version.
- ``cbpe_scored(rows)`` (table): the rows of CTE ``rows`` (``system``, ``score``,
  ``predicted_positive``) with ``calibrated`` (the score through its system's calibration in
  ``main.calibration``, as sklearn's isotonic ``predict`` with clipping) and ``expected_hit``
  (calibrated, or 1 - calibrated when predicted negative): CBPE as NannyML.

Grouping-set macros take rows with ``system`` (the AI system) and ``dims``, a non-null struct
of the metric's other dimension columns (``{'segment': segment}``); a system's total row has
``dims`` null, a row over all systems ``system`` null (the company total both); rows whose
``system`` is null count in the rows over all systems only.

Python functions (registered per connection, not stored): ``ks_pvalue(d, n, m)`` (two-sided
asymptotic Kolmogorov-Smirnov, as ``scipy.stats.ks_2samp(method="asymp")``) and
``chi2_sf(x, df)`` (chi-square survival function).

>>> import duckdb
>>> from outcomes.config import Settings
>>> con = duckdb.connect()
>>> install(con, Settings(timezone="America/New_York"), as_of="2026-11-22 00:00:00")
>>> con.sql("select week_of(timestamp '2026-11-23 03:00:00')").fetchall()[0][0]
datetime.date(2026, 11, 16)
>>> con.sql("select setting('timezone')").fetchall()[0][0]
'America/New_York'
>>> round(con.sql("select chi2_sf(3.84, 1)").fetchall()[0][0], 3)
0.05
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pyarrow as pa
from scipy import stats

from outcomes.config import Settings
from outcomes.core.macros import MACROS


def build_settings(settings: Settings, as_of: str | None = None) -> dict[str, str]:
    """The settings SQL may read with ``setting(key)``, as text.

    >>> build_settings(Settings(), as_of="2026-01-01 00:00:00")["drift.reference_weeks"]
    '4'
    """
    if as_of is None:
        as_of = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
    return {
        "as_of": as_of,
        "timezone": settings.timezone,
        "week_start": str(settings.week_start),
        "currency": settings.currency,
        "label_coverage_floor": repr(settings.label_coverage_floor),
        "freshness_hours": repr(settings.freshness_hours),
        "drift.reference_mode": settings.drift.reference_mode.value,
        "drift.reference_weeks": str(settings.drift.reference_weeks),
        "drift.min_rows": str(settings.drift.min_rows),
        "cbpe.min_reference_labels": str(settings.cbpe.min_reference_labels),
    }


# zones that are UTC itself: local time is the UTC timestamp, no ICU conversion (two per
# value otherwise: 10x the cost of the week arithmetic, about 6 s of a 10M build)
_UTC_ZONES = {"UTC", "Etc/UTC"}


def local_ts_body(timezone: str) -> str:
    """The body of ``local_ts(ts)``: the UTC timestamp ``ts`` as local time in ``timezone``.

    >>> local_ts_body("UTC")
    'ts::timestamp'
    >>> local_ts_body("Europe/Paris")
    "(ts::timestamp at time zone 'UTC') at time zone 'Europe/Paris'"
    """
    if timezone in _UTC_ZONES:
        return "ts::timestamp"
    return f"(ts::timestamp at time zone 'UTC') at time zone {_quote(timezone)}"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def install(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    *,
    as_of: str | None = None,
    macros: bool = True,
) -> None:
    """Create the settings table and macros (``macros=False`` on a read-only connection,
    where they already exist in the file) and register the Python functions."""
    if macros:
        values = build_settings(settings, as_of)
        rows = ", ".join(f"({_quote(k)}, {_quote(v)})" for k, v in sorted(values.items()))
        ws = int(settings.week_start)
        for statement in (
            "create or replace table main.build_settings (key varchar primary key, value varchar)",
            f"insert into main.build_settings values {rows}",
            f"create or replace macro main.local_ts(ts) as {local_ts_body(settings.timezone)}",
            f"create or replace macro main.week_of_date(d) as d::date - ((isodow(d::date) - {ws} + 7) % 7)::integer",
            "create or replace macro main.week_of(ts) as main.week_of_date(main.local_ts(ts)::date)",
            "create or replace macro main.setting(k) as (select value from main.build_settings where key = k)",
            *(macro.create_sql() for macro in MACROS),
        ):
            con.execute(statement)
    _register_udfs(con)


def macro_definitions(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Each macro of the current database's ``main`` schema: name -> its parameters and body as
    DuckDB stores them. A metric's ``sql_sha256`` does not cover the macros it calls: the
    incremental build rebuilds everything when a snapshot's differ from the code's.

    >>> con = duckdb.connect()
    >>> install(con, Settings(), as_of="2026-01-01 00:00:00")
    >>> macro_definitions(con) == code_macro_definitions(Settings())
    True
    """
    rows = con.execute(
        "select function_name, parameters::varchar, macro_definition from duckdb_functions() "
        "where database_name = current_database() and schema_name = 'main' "
        "and function_type in ('macro', 'table_macro')"
    ).fetchall()
    return {name: f"({parameters}) {body}" for name, parameters, body in rows}


def code_macro_definitions(settings: Settings) -> dict[str, str]:
    """:func:`macro_definitions` of the macros :func:`install` creates with ``settings``."""
    con = duckdb.connect()
    try:
        install(con, settings, as_of="2000-01-01 00:00:00")
        return macro_definitions(con)
    finally:
        con.close()


def _ks_pvalue(d: pa.Array, n: pa.Array, m: pa.Array) -> pa.Array:
    d_, n_, m_ = (np.asarray(x.to_numpy(zero_copy_only=False), dtype=float) for x in (d, n, m))
    with np.errstate(invalid="ignore", divide="ignore"):
        en = np.round(n_ * m_ / (n_ + m_))
    ok = (n_ > 0) & (m_ > 0) & np.isfinite(d_) & np.isfinite(en)
    p = np.full_like(d_, np.nan)
    if ok.any():
        # exactly ks_2samp(method="asymp"): kstwo.sf(d, round(en)) for every en (its limiting
        # form reads up to ~1 % high above en = 10,000); once per distinct (d, en): a call
        # can take a second or two at en near 10^6 when p is tiny
        pairs, where = np.unique(np.stack([d_[ok], en[ok]], axis=1), axis=0, return_inverse=True)
        p[ok] = stats.kstwo.sf(pairs[:, 0], pairs[:, 1])[where.reshape(-1)]
    p = np.where(ok, np.clip(p, 0.0, 1.0), np.nan)
    return pa.array(p, mask=np.isnan(p))


def _chi2_sf(x: pa.Array, df: pa.Array) -> pa.Array:
    x_, df_ = (np.asarray(a.to_numpy(zero_copy_only=False), dtype=float) for a in (x, df))
    with np.errstate(invalid="ignore"):
        p = stats.chi2.sf(x_, df_)
    p = np.where((df_ > 0) & np.isfinite(x_), p, np.nan)
    return pa.array(p, mask=np.isnan(p))


def _register_udfs(con: duckdb.DuckDBPyConnection) -> None:
    double = duckdb.sqltype("DOUBLE")
    for name, func, arity in (("ks_pvalue", _ks_pvalue, 3), ("chi2_sf", _chi2_sf, 2)):
        try:
            # the stubs type `type`/`null_handling` as enums only; the binding also takes
            # these strings, and the enums' module moved between duckdb releases
            con.create_function(  # type: ignore[call-overload]
                name, func, [double] * arity, double, type="arrow", null_handling="special"
            )
        except duckdb.CatalogException as exc:
            # connections to one file share one instance, and its functions outlive the
            # connection that registered them: already there is as good as registered
            if "already exists" not in str(exc):
                raise
