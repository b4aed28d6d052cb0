"""The demo's figures are those taken before the renovation (tests/golden/).

A change of layout or of SQL form (macros) must change no figure: the ledger CSV and every
metric's values are compared with the digest taken from the demo built by the code before the
move. Metrics whose DOUBLE sums DuckDB adds in parallel are compared to 1e-12 relative (their
last bits vary between two builds of the same code); everything else to the bit.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from outcomes.store.snapshot import open_file
from tests.golden.snapshot_digest import FLOATING, digest, floating_rows

GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture(scope="module")
def built(demo_root: Path) -> Path:
    return demo_root / "warehouse.duckdb"


def test_the_ledger_is_byte_identical_to_the_golden_one(built: Path) -> None:
    expected = json.loads((GOLDEN / "demo_digest.json").read_text())
    got = digest(built)
    assert got["ledger_rows"] == expected["ledger_rows"]
    assert got["ledger_sha256"] == expected["ledger_sha256"]


def test_every_metric_has_the_golden_rows(built: Path) -> None:
    expected = json.loads((GOLDEN / "demo_digest.json").read_text())["metrics"]
    got = digest(built)["metrics"]
    assert sorted(got) == sorted(expected), "a metric appeared or disappeared"
    changed = [name for name in expected if name not in FLOATING and got[name] != expected[name]]
    assert changed == [], f"these metrics' values changed: {changed}"
    for name in FLOATING:
        assert got[name]["rows"] == expected[name]["rows"], name


def _close(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def test_floating_metrics_agree_to_1e_12(built: Path) -> None:
    expected = [
        json.loads(line) for line in (GOLDEN / "demo_floating.jsonl").read_text().splitlines()
    ]
    con = open_file(built)
    try:
        got = json.loads(json.dumps(floating_rows(con)))
    finally:
        con.close()
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        g[7], e[7] = json.loads(g[7]), json.loads(e[7])
        assert _close(g, e), f"{e[0]} {e[1]} {e[2]}: {g} != {e}"


def test_the_comparison_can_fail() -> None:
    assert not _close([1.0, {"a": 2.0}], [1.0, {"a": 2.0 * (1 + 1e-9)}])
    assert _close([1.0, {"a": 2.0}], [1.0, {"a": 2.0 * (1 + 1e-14)}])
