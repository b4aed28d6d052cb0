"""A period closes only when final (issue 13): complete weeks, no provisional line, no failed
definition a ROI line reads; or explicitly provisional, marked so."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from outcomes.core.periods import parse_period
from outcomes.roi.close import CloseError, close_period, closed_periods
from outcomes.roi.ledger import read_ledger
from outcomes.roi.period_status import period_status
from outcomes.store.parts import copy_snapshot
from outcomes.store.snapshot import open_snapshot
from tests import ledgerfixtures
from tests.ledgerfixtures import Fixture

fx, store = ledgerfixtures.fx, ledgerfixtures.store


def edit(fx: Fixture, *statements: str) -> None:
    """Change the fixture snapshot in place (as a later build would have written it)."""
    con = duckdb.connect(str(fx.warehouse))
    try:
        for sql in statements:
            con.execute(sql)
    finally:
        con.close()


def test_a_partial_last_week_refuses_the_close_unless_provisional(fx, store):
    # built on 1 May: April is over, but its week of 27 April runs to 3 May
    edit(fx, "update main.build_settings set value = '2026-05-01 09:00:00' where key = 'as_of'")
    with open_snapshot(fx.settings()) as con:
        status = period_status(
            con,
            parse_period("2026-04"),
            read_ledger(con, dt.date(2026, 4, 1), dt.date(2026, 4, 30)),
        )
        assert status.partial_weeks == (dt.date(2026, 4, 27),) and not status.final
        with pytest.raises(
            CloseError, match=r"2026-04 is not final: partial: week of 2026-04-27.*--provisional"
        ):
            close_period(con, fx.settings(), "2026-04", "cfo@example.com", store=store)
        assert closed_periods(fx.settings(), store=store) == []
        record = close_period(
            con, fx.settings(), "2026-04", "cfo@example.com", store=store, provisional=True
        )
    assert record.provisional and record.marker == " (PROVISIONAL)"
    assert record.manifest["provisional"]["partial_weeks"] == ["2026-04-27"]
    [entry] = store.audit_log(entity="roi_period")
    assert entry.detail["provisional"] is True
    assert closed_periods(fx.settings(), store=store)[0].provisional


def test_a_line_reading_a_provisional_metric_refuses_the_close(fx, store):
    edit(
        fx,
        "update main.metric_values set flag = 'provisional' where metric = 'error_rate' "
        "and dimensions = '{}' and week_start = '2026-01-12'",
    )
    with open_snapshot(fx.settings()) as con:
        with pytest.raises(CloseError, match="provisional: errors_avoided read error_rate"):
            close_period(con, fx.settings(), "2026-01", "cfo@example.com", store=store)
        # February does not contain the flagged week
        assert not close_period(
            con, fx.settings(), "2026-02", "cfo@example.com", store=store
        ).provisional


def test_a_failed_metric_blocks_only_when_a_roi_line_depends_on_it(fx, store):
    edit(
        fx,
        "update main.build_manifest set status = 'failed'",
        "insert into main.build_objects (build_id, name, kind, path, sql_sha256, status, error, "
        "depends_on) select build_id, 'latency_p95', 'metric', 'sql/metrics/latency_p95.sql', 'x', "
        "'failed', 'Binder Error: column \"latncy\" not found', [] from main.build_manifest",
    )
    with open_snapshot(fx.settings()) as con:
        record = close_period(con, fx.settings(), "2026-01", "cfo@example.com", store=store)
    assert record.manifest["failed_unrelated"] == ["latency_p95"]
    edit(
        fx,
        "update main.build_objects set status = 'failed', error = 'Binder Error: no column saved' "
        "where name = 'hours_saved'",
    )
    with (
        open_snapshot(fx.settings()) as con,
        pytest.raises(CloseError, match=r"metrics.hours_saved: Binder Error: no column saved"),
    ):
        close_period(con, fx.settings(), "2026-02", "cfo@example.com", store=store)


def test_status_names_a_failed_definition_and_its_error(demo_root, tmp_path):

    from outcomes.status import render_status
    from tests.conftest import settings_for

    settings = settings_for(tmp_path)
    copy_snapshot(demo_root / "warehouse.duckdb", settings.warehouse_path)
    con = duckdb.connect(str(settings.warehouse_path))
    con.execute(
        "update main.build_objects set status = 'failed', "
        "error = 'Binder Error: Referenced column \"latncy\" not found' where name = 'latency_p99'"
    )
    con.close()
    text = render_status(settings)
    assert "failed definitions" in text
    line = next(x for x in text.splitlines() if "latency_p99" in x)
    assert "metric" in line and 'Referenced column "latncy" not found' in line


def test_the_page_closes_provisionally_only_when_asked(fx, store):
    from outcomes.app.views.roi.closes import close_window
    from outcomes.config import Role
    from outcomes.core.authz import Identity

    edit(fx, "update main.build_settings set value = '2026-05-01 09:00:00' where key = 'as_of'")
    admin = Identity("cfo", Role.admin)
    with open_snapshot(fx.settings()) as con:
        kind, text = close_window(con, fx.settings(), store, "2026-04", admin)
        assert kind == "error" and "not final: partial: week of 2026-04-27" in text
        kind, text = close_window(con, fx.settings(), store, "2026-04", admin, provisional=True)
    assert kind == "success" and text.startswith("2026-04 (PROVISIONAL) closed by cfo")
