"""The weekly review's functions over small hand-made snapshots, expectations worked by hand."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import duckdb
import pandas as pd
import pytest

from outcomes.app import charts
from outcomes.app.exports.weekly_review import ReviewPack, review_html, review_markdown
from outcomes.app.views import annotations, metric_definitions
from outcomes.app.views.weekly_review import alerts as review_alerts
from outcomes.app.views.weekly_review import drift, output_review, scorecard, weeks
from outcomes.store.state import StateStore
from tests.apphelpers import html_tags_and_text
from tests.metricfixtures import event
from tests.sqlharness import ROOT, rows, run_sql

W = [dt.date(2026, 1, 5) + dt.timedelta(days=7 * i) for i in range(4)]  # Mondays
REVIEWED_ACCURACY = ROOT / "sql" / "metrics" / "reviewed_accuracy.sql"


def _table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    con.register("src", frame)
    con.execute(f"create table {name} as select * from src")
    con.unregister("src")


def _definition(name, title, kind, unit, direction, owner, thresholds, dims=()):
    return {
        "name": name,
        "schema": "metrics",
        "title": title,
        "kind": kind,
        "unit": unit,
        "direction": direction,
        "owner": owner,
        "thresholds": json.dumps(thresholds) if thresholds else None,
        "description": f"{title}.",
        "dimensions": json.dumps(list(dims)),
    }


@pytest.fixture
def snap() -> duckdb.DuckDBPyConnection:
    """A snapshot with five metrics over four weeks (the last one partial).

    acc: ratio, higher is better, {warn 0.85, alert 0.8}, total + one segment row;
    psi: drift by feature, no total row; vol: no thresholds and no owner;
    cov: its W3 row flagged insufficient; broken: failed to build.
    """
    con = duckdb.connect()
    con.execute("create schema staging; create schema metrics; create schema raw")
    _table(
        con,
        "staging.weeks",
        pd.DataFrame({"week_start": W, "is_partial": [False, False, False, True]}),
    )
    _table(
        con,
        "main.build_objects",
        pd.DataFrame(
            [
                {
                    "name": n,
                    "kind": "metric",
                    "status": "failed" if n == "broken" else "ok",
                    "error": "Binder Error: column x" if n == "broken" else None,
                    "path": f"sql/metrics/{n}.sql",
                }
                for n in ("acc", "psi", "vol", "cov", "broken")
            ]
        ),
    )
    _table(
        con,
        "main.metric_definitions",
        pd.DataFrame(
            [
                _definition(
                    "acc",
                    "Accuracy",
                    "model",
                    "ratio",
                    "higher_is_better",
                    "ml@x",
                    {"warn": 0.85, "alert": 0.8, "mode": "absolute"},
                    ["segment"],
                ),
                _definition(
                    "psi",
                    "Feature drift, PSI",
                    "drift",
                    "score",
                    "lower_is_better",
                    "ml@x",
                    {"warn": 0.1, "alert": 0.25, "mode": "absolute"},
                    ["feature"],
                ),
                _definition("vol", "Volume", "business", "count", "neutral", None, None),
                _definition(
                    "cov",
                    "Coverage",
                    "quality",
                    "ratio",
                    "higher_is_better",
                    "de@x",
                    {"warn": 0.3, "alert": 0.2, "mode": "absolute"},
                ),
                _definition("broken", "Broken", "cost", "usd", "lower_is_better", "fin@x", None),
            ]
        ),
    )
    values = [
        ("acc", W[0], "{}", 0.90, None),
        ("acc", W[1], "{}", 0.88, "provisional"),
        ("acc", W[2], "{}", 0.78, None),
        ("acc", W[2], '{"segment":"smb"}', 0.70, None),
        ("psi", W[1], '{"feature":"a"}', 0.02, None),
        ("psi", W[1], '{"feature":"b"}', 0.12, None),
        ("psi", W[2], '{"feature":"a"}', 0.05, None),
        ("psi", W[2], '{"feature":"b"}', 0.30, None),
        ("psi", W[2], '{"feature":"c"}', 0.90, "insufficient"),
        ("vol", W[1], "{}", 100.0, None),
        ("vol", W[2], "{}", 120.0, None),
        ("vol", W[3], "{}", 15.0, "partial"),
        ("cov", W[1], "{}", 0.5, None),
        ("cov", W[2], "{}", 0.1, "insufficient"),
    ]
    _table(
        con,
        "main.metric_values",
        pd.DataFrame(
            values, columns=["metric", "week_start", "dimensions", "value", "flag"]
        ).assign(numerator=None, denominator=None, extras="{}"),
    )
    _table(
        con,
        "main.alerts",
        pd.DataFrame(
            [
                {
                    "metric": "acc",
                    "week_start": W[2],
                    "dimensions": "{}",
                    "level": "alert",
                    "value": 0.78,
                    "observed": 0.78,
                    "threshold": 0.8,
                    "mode": "absolute",
                    "direction": "higher_is_better",
                    "owner": "ml@x",
                    "flag": None,
                },
                {
                    "metric": "acc",
                    "week_start": W[2],
                    "dimensions": '{"segment":"smb"}',
                    "level": "alert",
                    "value": 0.70,
                    "observed": 0.70,
                    "threshold": 0.8,
                    "mode": "absolute",
                    "direction": "higher_is_better",
                    "owner": "ml@x",
                    "flag": None,
                },
            ]
        ),
    )
    return con


def test_weeks_newest_first_and_default_is_last_complete(snap):
    cal = weeks.weeks(snap)
    assert cal["week_start"].tolist() == [W[3], W[2], W[1], W[0]]
    assert cal["is_partial"].tolist() == [True, False, False, False]
    assert cal["provisional"].tolist() == [0, 0, 1, 0]
    assert weeks.default_week(cal) == W[2]


def test_scorecard_values_changes_status_and_sparkline(snap):
    sc = scorecard.scorecard(snap, W[2]).set_index("metric")
    # sorted by kind: model, drift, business, cost, quality
    assert list(sc.index) == ["acc", "psi", "vol", "broken", "cov"]
    acc = sc.loc["acc"]
    assert acc["value"] == 0.78 and acc["previous"] == 0.88
    assert acc["change"] == pytest.approx(-0.10)
    assert acc["change_text"] == "−10.0 pp" and acc["value_text"] == "78.0%"
    assert acc["status"] == "alert" and acc["dimension_alerts"] == 1 and acc["basis"] == "all"
    assert acc["spark"] == [None] * 5 + [0.90, 0.88, 0.78]
    # no total row: the worst usable feature (b, 0.30; c is insufficient), graded here
    psi = sc.loc["psi"]
    assert psi["value"] == 0.30 and psi["previous"] == 0.12 and psi["status"] == "alert"
    assert psi["basis"] == "worst feature"
    vol = sc.loc["vol"]
    assert vol["status"] == "no_threshold" and vol["owner"] is None and vol["change"] == 20.0
    assert sc.loc["cov", "status"] == "insufficient" and sc.loc["cov", "flag"] == "insufficient"
    assert sc.loc["broken", "status"] == "error"
    assert "Binder Error" in sc.loc["broken", "error"]


def test_scorecard_of_another_week_differs(snap):
    sc = scorecard.scorecard(snap, W[1]).set_index("metric")
    assert sc.loc["acc", "value"] == 0.88 and sc.loc["acc", "status"] == "ok"
    assert sc.loc["acc", "flag"] == "provisional"
    assert sc.loc["psi", "status"] == "warn"  # worst 0.12 >= warn 0.1
    # partial week: not evaluated by checks, so insufficient even though it has a value
    assert (
        scorecard.scorecard(snap, W[3]).set_index("metric").loc["acc", "status"] == "insufficient"
    )


def test_alerts_for_week_keys_titles_and_acknowledgements(snap, tmp_path):
    alerts = review_alerts.alerts_for_week(snap, W[2])
    assert alerts["alert_key"].tolist() == ["acc|2026-01-19", "acc|2026-01-19|segment=smb"]
    assert alerts["dimension"].tolist() == ["all", "segment=smb"]
    assert set(alerts["title"]) == {"Accuracy"}
    assert review_alerts.alerts_for_week(snap, W[1]).empty
    store = StateStore(tmp_path / "s.sqlite")
    store.acknowledge_alert("acc|2026-01-19", "ana", "first look")
    store.acknowledge_alert("acc|2026-01-19", "bo", "retrain planned")
    acked = review_alerts.attach_acknowledgements(alerts, store.acknowledgements())
    assert acked["ack_by"].tolist() == ["bo", None]
    assert acked["ack_note"].tolist() == ["retrain planned", None]


def test_unowned_and_catalog(snap):
    assert metric_definitions.unowned_metrics(snap) == ["vol"]
    cat = metric_definitions.metric_catalog(snap).set_index("name")
    assert cat.loc["acc", "thresholds"] == {"warn": 0.85, "alert": 0.8, "mode": "absolute"}
    assert cat.loc["acc", "dimensions"] == ["segment"]


def test_alerts_fallback_evaluates_thresholds_when_the_build_wrote_none(snap):
    snap.execute("drop table main.alerts")
    got = review_alerts.alerts(snap)
    # acc: W2 0.78 total and smb 0.70 (scope total: only the total row); cov W1 0.5 is fine,
    # W2 is insufficient; psi has no total row
    assert [(r.metric, r.week_start, r.level) for r in got.itertuples()] == [("acc", W[2], "alert")]


@pytest.mark.parametrize(
    ("value", "thresholds", "direction", "level"),
    [
        (0.80, {"warn": 0.85, "alert": 0.8}, "higher_is_better", "alert"),
        (0.84, {"warn": 0.85, "alert": 0.8}, "higher_is_better", "warn"),
        (0.10, {"warn": 0.1, "alert": 0.25}, "lower_is_better", "warn"),
        (0.09, {"warn": 0.1, "alert": 0.25}, "lower_is_better", None),
        (0.90, {"warn": 0.1, "mode": "change_pct"}, "lower_is_better", None),
        (0.01, {"alert": 0.05}, "higher_is_better", "alert"),
    ],
)
def test_grade_matches_the_checks_rules(value, thresholds, direction, level):
    assert review_alerts.grade(value, thresholds, direction) == level


# -- output sample, distributions ------------------------------------------------------------


def _events(week: dt.date, count: int, prefix: str) -> list[dict]:
    return [
        event(f"{prefix}{i:03d}", f"{week} 10:{i % 60:02d}:00", prediction=f"label{i % 3}")
        for i in range(count)
    ]


def test_output_sample_is_reproducible_md5_order_of_the_week():
    con = run_sql({"ai_events": _events(W[1], 30, "E") + _events(W[2], 5, "X")})
    first = output_review.output_sample(con, W[1], n=7)
    again = output_review.output_sample(con, W[1], n=7)
    expected = sorted(
        (f"E{i:03d}" for i in range(30)),
        key=lambda e: hashlib.md5(f"{W[1].isoformat()}:{e}".encode()).hexdigest(),
    )[:7]
    assert first["event_id"].tolist() == expected == again["event_id"].tolist()
    other_seed = output_review.output_sample(con, W[1], n=7, seed="another")
    assert other_seed["event_id"].tolist() != expected
    assert len(output_review.output_sample(con, W[2], n=20)) == 5  # fewer than n: all of them


def _features(rows_by_week: dict[dt.date, list], feature: str, numeric: bool) -> tuple[list, list]:
    events, features = [], []
    for week, values in rows_by_week.items():
        for i, v in enumerate(values):
            eid = f"{feature}-{week}-{i}"
            events.append(event(eid, f"{week} 09:00:00"))
            features.append(
                {
                    "event_id": eid,
                    "feature": feature,
                    "value_num": v if numeric else None,
                    "value_cat": None if numeric else v,
                }
            )
    return events, features


def test_numeric_distribution_uses_reference_deciles():
    # reference (W0, W1): 1..10; deciles by quantile_cont: 1.9, 2.8, ..., 9.1
    events, features = _features(
        {W[0]: [1, 2, 3, 4, 5], W[1]: [6, 7, 8, 9, 10], W[2]: [1, 5, 10, 10]}, "len", True
    )
    con = run_sql({"ai_events": events, "ai_features": features})
    con.execute(
        "create table metrics.drift_numeric as select date '2026-01-19' as week_start, 'len' as feature, "
        "date '2026-01-05' as reference_start, date '2026-01-12' as reference_end, 0.5 as psi, "
        "10.0 as n_reference, 4.0 as n_current, null::varchar as flag"
    )
    dist = drift.distributions(con, "len", W[2])
    current = dist[dist["sample"] == "current"].set_index("bin_order")
    assert current["rows"].to_dict() == {0: 1, 4: 1, 9: 2}
    assert current.loc[9, "bin"] == "≥ 9.1" and current.loc[0, "bin"] == "< 1.9"
    reference = dist[dist["sample"] == "reference"]
    assert reference["rows"].tolist() == [1] * 10
    assert reference["share"].sum() == pytest.approx(1.0)


def test_categorical_distribution_shares_and_other():
    events, features = _features(
        {W[0]: ["a", "a", "b", "c"], W[2]: ["a", "b", "b", "b", "d"]}, "chan", False
    )
    con = run_sql({"ai_events": events, "ai_features": features})
    con.execute(
        "create table metrics.drift_categorical as select date '2026-01-19' as week_start, "
        "'chan' as feature, date '2026-01-05' as reference_start, date '2026-01-05' as reference_end, "
        "0.9 as psi, 4.0 as n_reference, 5.0 as n_current, null::varchar as flag"
    )
    dist = drift.distributions(con, "chan", W[2], top=2)
    got = {(r.sample, r.bin): (r.rows, round(r.share, 4)) for r in dist.itertuples()}
    # largest shares: b (0.6 current), a (0.5 reference); c and d go to (other)
    assert got == {
        ("reference", "b"): (1, 0.25),
        ("current", "b"): (3, 0.6),
        ("reference", "a"): (2, 0.5),
        ("current", "a"): (1, 0.2),
        ("reference", "(other)"): (1, 0.25),
        ("current", "(other)"): (1, 0.2),
    }
    assert drift.distributions(con, "chan", W[1]).empty  # no drift row for that week


def test_verdict_summary_and_attach(tmp_path):
    store = StateStore(tmp_path / "s.sqlite")
    store.record_verdict("e1", W[1], "correct", "ana")
    store.record_verdict("e2", W[1], "correct", "ana")
    store.record_verdict("e2", W[1], "incorrect", "bo", "wrong product area")
    store.record_verdict("zz", W[1], "correct", "ana")  # not in the sample
    sample = pd.DataFrame({"event_id": ["e1", "e2", "e3"]})
    summary = output_review.verdict_summary(sample, store.verdicts(W[1]))
    assert summary == {"sampled": 3, "judged": 2, "correct": 1, "incorrect": 1, "accuracy": 0.5}
    judged = output_review.attach_verdicts(sample, store.verdicts(W[1]))
    assert judged["verdict"].tolist() == ["correct", "incorrect", None]
    assert judged["judged_by"].tolist() == ["ana", "bo", None]


# -- reviewed_accuracy SQL -------------------------------------------------------------------


def test_reviewed_accuracy_latest_verdict_per_event_and_flags():
    verdicts = pd.DataFrame(
        [
            ("a1", W[0], "correct", "2026-01-06 10:00:00"),
            ("a2", W[0], "correct", "2026-01-06 10:00:00"),
            ("a3", W[0], "correct", "2026-01-06 10:00:00"),
            ("a3", W[0], "incorrect", "2026-01-07 10:00:00"),
        ]  # a3 re-judged: incorrect wins
        + [
            (f"b{i}", W[1], "correct" if i < 9 else "incorrect", "2026-01-13 10:00:00")
            for i in range(12)
        ]
        + [("c1", W[3], "correct", "2026-01-27 10:00:00")],
        columns=["event_id", "week_start", "verdict", "created_at"],
    ).assign(author="ana", comment="")
    verdicts["created_at"] = pd.to_datetime(verdicts["created_at"])
    events = [event("e0", f"{w} 09:00:00") for w in W]
    con = run_sql(
        {"ai_events": events},
        [REVIEWED_ACCURACY],
        as_of="2026-01-28 00:00:00",  # W3 (2026-01-26) is the partial week
        extra_tables={"raw.output_verdicts": verdicts},
    )
    got = rows(
        con,
        "select week_start, value, numerator, denominator, flag from metrics.reviewed_accuracy order by 1",
    )
    assert got == [
        (W[0], 2 / 3, 2.0, 3.0, "insufficient"),  # fewer than 10 judged
        (W[1], 9 / 12, 9.0, 12.0, None),
        (W[3], 1.0, 1.0, 1.0, "partial"),
    ]


def test_reviewed_accuracy_header_is_a_valid_ratio_metric():
    from outcomes.core.header_defaults import parse_file_header

    header = parse_file_header(REVIEWED_ACCURACY, "metrics").header
    assert str(header.unit) == "ratio" and str(header.kind) == "model"
    assert header.owner and header.thresholds is not None
    texts = {t.text for t in header.tests}
    # unique per week (and per AI system once the metric has that dimension, issue 15)
    assert "range(value, 0, 1)" in texts
    assert texts & {"unique(week_start)", "unique(week_start, system)"}


# -- annotations and charts ------------------------------------------------------------------


def test_version_changes_and_notes_on_the_trend_chart(tmp_path):
    con = run_sql(
        {
            "ai_events": [
                event("e1", f"{W[0]} 09:00:00", model_version="v1"),
                event("e2", f"{W[2]} 09:00:00", model_version="v2"),
                event("e3", f"{W[3]} 09:00:00", model_version="v1"),
            ]
        }
    )
    versions = annotations.version_change_annotations(con)
    assert versions[["week_start", "text"]].values.tolist() == [
        [W[0], "model v1 first seen"],
        [W[2], "model v2 first seen"],
    ]
    store = StateStore(tmp_path / "s.sqlite")
    store.add_annotation(W[1], "pricing change", "business_event", "ana")
    store.add_annotation(W[1], "label backlog", "incident", "bo", metric="accuracy")
    store.add_annotation(W[1], "latency only", "other", "bo", metric="latency_p95")
    notes = annotations.chart_annotations(store, versions, "accuracy")
    assert notes["text"].tolist() == [
        "model v1 first seen",
        "pricing change",
        "label backlog",
        "model v2 first seen",
    ]
    series = pd.DataFrame({"week_start": W, "value": [0.9, 0.85, 0.8, 0.7], "flag": [None] * 4})
    spec = json.dumps(
        charts.trend_chart(
            series,
            title="Accuracy",
            y_title="Accuracy",
            unit="ratio",
            annotations=notes,
            thresholds={"warn": 0.85, "alert": 0.8, "mode": "absolute"},
        ).to_dict()
    )
    for text in ("label backlog", "model v2 first seen", "Accuracy (%)", '".1%"'):
        assert text in spec
    assert "latency only" not in spec
    assert '"threshold": 0.85' in spec and '"threshold": 0.8' in spec
    weekly = annotations.week_notes(store, versions, W[1])
    assert weekly["text"].tolist() == ["pricing change", "label backlog", "latency only"]


def test_change_mode_thresholds_draw_no_level_line_but_a_subtitle():
    series = pd.DataFrame({"week_start": W[:2], "value": [10.0, 12.0]})
    spec = charts.trend_chart(
        series,
        title="Cost",
        y_title="Cost",
        unit="usd",
        thresholds={"warn": 0.2, "alert": 0.5, "mode": "change_pct"},
    ).to_dict()
    assert '"threshold"' not in json.dumps(spec)
    assert spec["title"]["subtitle"] == "Thresholds: warn 20%, alert 50% (change pct)"


def test_series_colours_are_stable_and_avoid_status_red():
    scale = charts.color_scale(["v2", "v1", "v1"]).to_dict()
    assert scale["domain"] == ["v1", "v2"]
    assert scale["range"] == [charts.series_color("v1"), charts.series_color("v2")]
    assert charts.STATUS_COLORS["alert"] not in charts.PALETTE


# -- export ----------------------------------------------------------------------------------


def _pack(snap) -> ReviewPack:
    notes = pd.DataFrame(
        [
            {
                "week_start": W[2],
                "kind": "incident",
                "metric": None,
                "text": "<script>alert(1)</script> | pipes",
                "author": "ana",
                "created_at": dt.datetime(2026, 1, 20, 9, 0, tzinfo=dt.UTC),
            }
        ]
    )
    return ReviewPack(
        week=W[2],
        build_id="B1",
        scorecard=scorecard.scorecard(snap, W[2]),
        alerts=review_alerts.attach_acknowledgements(review_alerts.alerts_for_week(snap, W[2]), []),
        unowned=["vol"],
        notes=notes,
        signoff={"author": "ana", "created_at": dt.datetime(2026, 1, 26, 8, 0), "comment": "ok"},
        verdicts={"sampled": 20, "judged": 2, "correct": 1, "incorrect": 1, "accuracy": 0.5},
    )


def test_markdown_export_has_the_scorecard_table(snap):
    md = review_markdown(_pack(snap))
    lines = md.splitlines()
    assert lines[0] == "# Weekly review — week of 2026-01-19"
    header = "| Metric | Value | Change vs last week | Status | Owner | Flag |"
    assert header in lines
    row = next(line for line in lines if line.startswith("| Accuracy |"))
    assert row == "| Accuracy | 78.0% | −10.0 pp | ALERT | ml@x |  |"
    assert "Signed off by **ana**" in md and "reviewed accuracy 50.0%" in md
    assert "\\| pipes" in md  # a pipe in a cell does not break the table


def test_html_export_parses_and_escapes(snap):
    page = review_html(_pack(snap))
    tags, text = html_tags_and_text(page)
    assert "script" not in tags  # the note's markup is escaped
    assert tags.count("table") >= 6  # 5 kinds + alerts + notes
    assert "Weekly review — week of 2026-01-19" in text and "<script>alert(1)</script>" in text
    assert "Accuracy" in text and "Binder" not in text  # errors stay out of the pack


def test_series_in_one_chart_never_share_a_colour_and_keep_it_across_charts():
    names = [f"model-{i}" for i in range(9)]
    hashed = [charts.series_color(n) for n in names]
    assert len(set(hashed)) < len(hashed)  # the hash alone collides for these names
    scale = charts.color_scale(names).to_dict()
    assert len(set(scale["range"])) == len(names)
    assert "#e15759" not in scale["range"] and "#f1a340" not in scale["range"]  # alert / warn
    again = charts.color_scale(list(reversed(names))).to_dict()
    assert again == scale
    # a series that collides with none keeps its own colour in every chart
    alone = charts.color_scale([names[0], "all"]).to_dict()
    assert alone["range"][alone["domain"].index(names[0])] == charts.series_color(names[0])


def test_trend_chart_without_thresholds_has_no_subtitle():
    frame = pd.DataFrame({"week_start": W[:3], "value": [0.1, 0.2, 0.3], "flag": [None] * 3})
    spec = charts.trend_chart(frame, title="Volume", y_title="Volume", unit="count").to_dict()
    assert spec["title"]["text"] == "Volume" and "subtitle" not in spec["title"]


def test_a_fixed_colour_is_never_taken_by_a_hashed_series():
    name = next(n for n in (f"S{i}" for i in range(500)) if charts.series_color(n) == "#4e79a7")
    scale = charts.color_scale([name, "all"]).to_dict()  # the upper-case name sorts first
    colors = dict(zip(scale["domain"], scale["range"], strict=True))
    assert colors["all"] == "#4e79a7" and colors[name] != "#4e79a7"


def test_a_snapshot_without_metric_definitions_reads_owners_with_the_folder_defaults():
    """An older snapshot has no main.metric_definitions: the catalog reads the headers of the
    files the build recorded, and a header that leaves out its owner gets the folder's owner for
    its kind (sql/metrics/defaults.yml), as the build would."""
    import duckdb
    import yaml

    from tests.apphelpers import ROOT

    owners = yaml.safe_load((ROOT / "sql" / "metrics" / "defaults.yml").read_text())["owner"]
    path = ROOT / "sql" / "metrics" / "accuracy.sql"
    assert "\nowner:" not in path.read_text()  # the file relies on the default
    con = duckdb.connect()
    con.execute(
        "create table build_objects as select 'accuracy' as name, 'metric' as kind, "
        "? as path, 'ok' as status, null::varchar as error",
        [str(path)],
    )
    row = metric_definitions.metric_catalog(con).set_index("name").loc["accuracy"]
    assert row["kind"] == "model" and row["owner"] == owners["model"]
