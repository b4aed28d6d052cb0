"""``main.calibration``: per AI system, the isotonic calibration of its confidence, fitted once
per build on the system's labelled reference events, for CBPE (``metrics.estimated_accuracy``).

The reference window of a system starts as the drift ``fixed`` reference, the first
``setting('drift.reference_weeks')`` complete (not partial) reporting weeks from the week of
the system's first AI event, whatever ``drift.reference_mode`` says (a trailing window would
recalibrate every week against the weeks it estimates), and is extended week by week (the
next complete weeks) until it holds at least ``setting('cbpe.min_reference_labels')``
labelled events with a confidence, never past the last complete week: a pilot's first weeks
may hold a few dozen labels, on which NannyML's check cannot tell a calibration from noise.
When the whole history holds fewer, the fit uses them all and ``reference_short`` is true
(the reason says so). Its labelled events (a feedback row whose ``correct`` is not null, and
a confidence) are fitted with score = confidence and target = correct, in the order
(occurred_at, event_id): :func:`outcomes.build.calibration_fit.fit_calibration`, NannyML's
CBPE calibration.

One row per breakpoint (``point`` 0, 1, ...): x, y; and per system the facts of the fit:
method (isotonic | identity | none), why, the reference weeks (first Monday .. last Sunday,
how many), the rows fitted, the labelled events without a confidence that were left out,
whether the window fell short of the minimum, NannyML's calibration-error check, and the
standard deviation of the reference's correctness (for the estimate's sampling error). A
system without a labelled reference event has one row, method ``none``, x and y null: no
estimate.

The build fits it just before the first definition that reads ``main.calibration``
(:class:`CalibrationStep`), when the staging views it reads exist.

>>> import duckdb
>>> con = duckdb.connect()
>>> write_calibration(con, {})
0
>>> con.sql("select count(*) from main.calibration").fetchall()
[(0,)]
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

from outcomes.build import calibration_fit
from outcomes.build.calibration_fit import Calibration, fit_calibration
from outcomes.core.definition import SqlDefinition
from outcomes.core.progress import Progress
from outcomes.errors import OutcomesError

CALIBRATION_TABLE = "main.calibration"
# the digest of the reference rows (and fitting code) the table was fitted on: an incremental
# build whose reference rows are the base's keeps the base's fit instead of fitting again
DIGEST_TABLE = "main.calibration_digest"

CALIBRATION_DDL = f"""
create or replace table {CALIBRATION_TABLE} (
    system varchar not null,
    point integer not null,
    x double,
    y double,
    method varchar not null,
    reason varchar not null,
    reference_from date,
    reference_to date,
    reference_weeks integer not null,
    fitted_rows bigint not null,
    positive_rows bigint not null,
    unscored_rows bigint not null,
    reference_short boolean not null,
    ece_raw double,
    ece_calibrated double,
    reference_hit_std double,
    primary key (system, point)
)"""

# the labelled events of each system's reference window: the first reference_weeks complete
# weeks from the system's first week, then the next complete weeks while the weeks before hold
# fewer than min_reference_labels labelled events with a confidence (the rows fitted); a
# system with events but no complete week yet, or no label in its window, still has a row
# (score null)
REFERENCE_ROWS_SQL = """
with system_starts as (
    select
        system,
        min(week_start) as first_week
    from staging.ai_events
    group by system
),

labelled_events as (
    select
        e.system,
        e.week_start,
        e.occurred_at,
        e.event_id,
        e.confidence as score,
        f.correct::integer as target
    from staging.ai_events as e
    inner join staging.feedback as f
        on f.event_id = e.event_id
    where f.correct is not null
),

week_labels as (
    select
        system,
        week_start,
        count(*) as labels
    from labelled_events
    where score is not null
        and not isnan(score)
    group by system, week_start
),

complete_weeks as (
    select
        s.system,
        w.week_start,
        row_number() over (partition by s.system order by w.week_start) as week_number,
        coalesce(
            sum(coalesce(l.labels, 0)) over (
                partition by s.system
                order by w.week_start
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as labels_before
    from system_starts as s
    inner join staging.weeks as w
        on w.week_start >= s.first_week
        and not w.is_partial
    left join week_labels as l
        on l.system = s.system
        and l.week_start = w.week_start
),

reference_weeks as (
    select
        system,
        week_start
    from complete_weeks
    where week_number <= setting('drift.reference_weeks')::int
        or labels_before < setting('cbpe.min_reference_labels')::bigint
),

windows as (
    select
        s.system,
        min(r.week_start) as reference_from,
        max(r.week_start) + 6 as reference_to,
        count(r.week_start) as reference_weeks
    from system_starts as s
    left join reference_weeks as r
        on r.system = s.system
    group by s.system
),

labelled as (
    select l.*
    from labelled_events as l
    inner join reference_weeks as r
        on r.system = l.system
        and r.week_start = l.week_start
)

select
    w.system,
    w.reference_from,
    w.reference_to,
    w.reference_weeks,
    setting('cbpe.min_reference_labels')::bigint as min_labels,
    l.score,
    l.target
from windows as w
left join labelled as l
    on l.system = w.system
order by w.system, l.occurred_at, l.event_id
"""


class CalibrationError(OutcomesError, ValueError):
    """The calibration of a system could not be fitted (the message names the system)."""


@dataclass(frozen=True)
class SystemCalibration:
    """The calibration of one system and the window it was fitted on."""

    fit: Calibration | None  # None: no labelled reference event
    reference_from: dt.date | None
    reference_to: dt.date | None
    unscored_rows: int
    # std (ddof 0) of the labelled reference events' correctness: NannyML's accuracy
    # sampling-error component (sampling error of a week = it / sqrt(events scored))
    hit_std: float | None = None
    reference_weeks: int = 0  # complete weeks in the window
    # the window holds fewer than cbpe.min_reference_labels rows to fit (the whole history)
    short: bool = False
    min_labels: int = 0  # cbpe.min_reference_labels when fitted


def fit_reference_calibrations(con: duckdb.DuckDBPyConnection) -> dict[str, SystemCalibration]:
    """Fit every system's calibration on its labelled reference events (staging must exist)."""
    return fit_rows(con.execute(REFERENCE_ROWS_SQL).fetchnumpy())


# what a fit depends on besides its rows: the code that fits and stores it, and numpy's
_FIT_CODE = hashlib.sha256(
    b"".join(Path(m).read_bytes() for m in (__file__, calibration_fit.__file__))
    + np.__version__.encode()
).hexdigest()


def reference_digest(rows: Mapping[str, np.ndarray]) -> str:
    """SHA-256 of the reference rows in their fixed order (every column the fit reads) and
    of the fitting code: equal digests give the same ``main.calibration``."""
    h = hashlib.sha256(_FIT_CODE.encode())
    for name in sorted(rows):
        values = rows[name]
        h.update(name.encode())
        if values.dtype.kind in "fiubM":  # numbers and dates: their bytes, and which are null
            h.update(np.ascontiguousarray(np.ma.getdata(values)).tobytes())
            h.update(np.ascontiguousarray(np.ma.getmaskarray(values)).tobytes())
        else:  # text: the printed values
            h.update(repr(values.tolist()).encode())
    return h.hexdigest()


def fit_rows(rows: Mapping[str, np.ndarray]) -> dict[str, SystemCalibration]:
    """Fit every system's calibration on the rows of ``REFERENCE_ROWS_SQL``."""
    systems = rows["system"]
    result: dict[str, SystemCalibration] = {}
    for system in dict.fromkeys(systems.tolist()):
        at = systems == system
        first = int(np.argmax(at))
        score = _floats(rows["score"][at])
        target = _floats(rows["target"][at])
        labelled = ~np.isnan(target)
        scored = labelled & ~np.isnan(score)
        fit = None
        if scored.any():
            try:
                fit = fit_calibration(score[scored], target[scored])
            except ValueError as exc:
                raise CalibrationError(
                    f"calibration of system {system!r}: {exc}; fix: check its labelled "
                    "reference events (staging.ai_events.confidence, staging.feedback.correct)"
                ) from exc
        min_labels = int(rows["min_labels"][first])
        result[system] = SystemCalibration(
            fit,
            _date(rows["reference_from"][first]),
            _date(rows["reference_to"][first]),
            int((labelled & ~scored).sum()),
            float(np.std(target[labelled])) if labelled.any() else None,
            int(rows["reference_weeks"][first]),
            int(scored.sum()) < min_labels,
            min_labels,
        )
    return result


def write_calibration(
    con: duckdb.DuckDBPyConnection, calibrations: Mapping[str, SystemCalibration]
) -> int:
    """(Re)create ``main.calibration`` from ``calibrations``; returns its row count."""
    records: list[tuple[object, ...]] = []
    for system in sorted(calibrations):
        c = calibrations[system]
        window = (c.reference_from, c.reference_to, c.reference_weeks)
        if c.fit is None:
            reason = (
                "no complete reporting week yet"
                if c.reference_from is None
                else "no labelled event with a confidence in the reference window"
            )
            records.append(
                (system, 0, None, None, "none", reason, *window, 0, 0, c.unscored_rows, c.short,
                 None, None, c.hit_std)
            )  # fmt: skip
            continue
        f = c.fit
        reason = f.reason
        if c.short:
            reason += (
                f"; the reference holds only {f.fitted_rows} labelled events, fewer than "
                f"cbpe.min_reference_labels = {c.min_labels}: every complete week so far"
            )
        for point, (x, y) in enumerate(zip(f.x, f.y, strict=True)):
            records.append(
                (system, point, x, y, f.method, reason, *window, f.fitted_rows,
                 f.positive_rows, c.unscored_rows, c.short, f.ece_raw, f.ece_calibrated,
                 c.hit_std)
            )  # fmt: skip
    con.execute(CALIBRATION_DDL)
    if records:
        con.executemany(
            f"insert into {CALIBRATION_TABLE} values ({', '.join('?' * 16)})",
            records,
        )
    return len(records)


class CalibrationStep:
    """Fits ``main.calibration`` once, before the first definition that reads it.

    ``wrap(create)`` returns a ``create`` for :func:`outcomes.build.materialise.materialise_all`
    that does this; :meth:`before` is the same for a walk that creates objects itself.
    A failing fit raises :class:`CalibrationError`, which fails that definition.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, say: Progress) -> None:
        self.con = con
        self.say = say
        self.done = False
        # {CALIBRATION_TABLE} when the fit differs from the table the build started with (an
        # incremental build's base snapshot; a full build starts with none): its readers
        # cannot keep the rows of weeks they computed with the old one
        self.changed: set[str] = set()

    def before(self, item: SqlDefinition) -> set[str]:
        """Fit (once) before ``item`` if it reads ``main.calibration``; returns the tables it
        reads whose rows this build changed (``{"main.calibration"}`` or nothing)."""
        if CALIBRATION_TABLE not in item.reads:
            return set()
        if self.done:
            return self.changed
        old = self._rows()
        reference = self.con.execute(REFERENCE_ROWS_SQL).fetchnumpy()
        digest = reference_digest(reference)
        if old is not None and self._digest() == digest:
            # the base snapshot's fit, of the same rows by the same code: kept as it is
            self.done = True
            self.say(f"{CALIBRATION_TABLE}: reference rows unchanged, the fit is kept")
            return self.changed
        # a failing fit raises here again for every reader: none may use the base's table
        calibrations = fit_rows(reference)
        rows = write_calibration(self.con, calibrations)
        self.con.execute(f"create or replace table {DIGEST_TABLE} as select ? as digest", [digest])
        self.done = True
        if old != self._rows():
            self.changed = {CALIBRATION_TABLE}
        methods = ", ".join(
            f"{s}: {c.fit.method if c.fit else 'none'}" for s, c in sorted(calibrations.items())
        )
        self.say(f"{CALIBRATION_TABLE}: {rows} breakpoints ({methods or 'no systems'})")
        return self.changed

    def _digest(self) -> str | None:
        """The reference digest stored with the base snapshot's fit (None when there is none)."""
        try:
            found = self.con.execute(f"select digest from {DIGEST_TABLE}").fetchall()
        except duckdb.Error:  # none, or not the shape this release writes: fit again
            return None
        return str(found[0][0]) if len(found) == 1 else None

    def _rows(self) -> list[tuple[object, ...]] | None:
        """Every row of ``main.calibration`` in a fixed order (None when there is none)."""
        try:
            return self.con.execute(f"select * from {CALIBRATION_TABLE} order by all").fetchall()
        except duckdb.CatalogException:
            return None

    def wrap(
        self, create: Callable[[SqlDefinition], int | None]
    ) -> Callable[[SqlDefinition], int | None]:
        def create_after_fit(item: SqlDefinition) -> int | None:
            self.before(item)
            return create(item)

        return create_after_fit


def _floats(values: np.ndarray) -> np.ndarray:
    """A fetched column as float64 with NaN for null (fetchnumpy gives masked arrays)."""
    if isinstance(values, np.ma.MaskedArray):
        return np.ma.filled(values.astype(np.float64), np.nan)
    return np.asarray(values, dtype=np.float64)


def _date(value: object) -> dt.date | None:
    if value is None or value is np.ma.masked:
        return None
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else value.astype("datetime64[D]").item()
    return value if isinstance(value, dt.date) else None
