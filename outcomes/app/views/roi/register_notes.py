"""What the ROI page says before its figures: built on the demo's assumptions, ROI lines with
no figures (which assumption or input is missing, how to add it), failed definitions by name.

The facts come from :mod:`outcomes.roi.line_gaps` and :mod:`outcomes.roi.period_status`; this
module turns them into the page's lines.

>>> n = RegisterNotes(("build_cost",), ("x (x): no figures",), {"metrics.a": "Binder Error"}, ("metrics.a",))
>>> print(n.demo_banner())
Demo assumptions: these figures are built on the demo's assumptions register (build_cost), loaded by `outcomes demo`; they are not your organisation's. Set your own with `outcomes assumptions set` (or your assumptions.csv) and rebuild.
>>> n.failed_lines()
['metrics.a failed (Binder Error): a ROI line depends on it, so its figures are missing and no period can be closed until it is fixed']
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from outcomes.app import queries
from outcomes.app.registry_cache import current_registry
from outcomes.app.views.roi.snapshot_connection import catalog_safe
from outcomes.roi.line_gaps import demo_assumption_keys, describe_gaps, line_gaps
from outcomes.roi.period_status import SCHEMA_OF_KIND, failed_roi_dependencies


@dataclass(frozen=True)
class RegisterNotes:
    """The notes the ROI page shows above its headline."""

    demo_keys: tuple[str, ...]  # assumptions in force loaded from the demo's files
    gaps: tuple[str, ...]  # one line per ROI line without figures
    failed: dict[str, str]  # failed definitions: qualified name -> first line of the error
    blocking: tuple[str, ...]  # those a ROI line depends on

    def demo_banner(self) -> str | None:
        """The banner of figures built on demo assumptions (None: the register is the user's)."""
        if not self.demo_keys:
            return None
        return (
            "Demo assumptions: these figures are built on the demo's assumptions register "
            f"({', '.join(self.demo_keys)}), loaded by `outcomes demo`; they are not your "
            "organisation's. Set your own with `outcomes assumptions set` (or your "
            "assumptions.csv) and rebuild."
        )

    def failed_lines(self) -> list[str]:
        """One line per failed definition, saying whether ROI figures depend on it."""
        return [
            f"{name} failed ({error}): "
            + (
                "a ROI line depends on it, so its figures are missing and no period can be "
                "closed until it is fixed"
                if name in self.blocking
                else "no ROI line depends on it"
            )
            for name, error in self.failed.items()
        ]


def register_notes(
    con: duckdb.DuckDBPyConnection, sql_dir: str, demo_dir: str, register_file: str
) -> RegisterNotes:
    """The notes of the current snapshot (``sql_dir``: the ROI lines' definitions)."""
    con = catalog_safe(con)
    gaps = describe_gaps(line_gaps(con, current_registry(sql_dir)), register_file)
    try:
        objects = queries.run(con, "roi_build_objects").to_dict("records")
    except duckdb.Error:
        objects = []
    for o in objects:
        o["depends_on"] = list(o["depends_on"]) if o["depends_on"] is not None else []
    failed = {
        f"{SCHEMA_OF_KIND.get(o['kind'], o['kind'])}.{o['name']}": (
            str(o["error"] or o["status"]).strip().splitlines() or [""]
        )[0]
        for o in objects
        if o["status"] != "ok"
    }
    return RegisterNotes(
        demo_keys=tuple(demo_assumption_keys(con, demo_dir)),
        gaps=tuple(gaps),
        failed=failed,
        blocking=tuple(failed_roi_dependencies(objects)),
    )
