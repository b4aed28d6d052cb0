"""Macros of confidence-based performance estimation (CBPE, as NannyML): a score mapped through
its system's calibration (``main.calibration``, fitted by :mod:`outcomes.build.calibration`).

``cbpe_scored('rows')`` takes a CTE whose rows have ``system``, ``score`` (0..1) and
``predicted_positive`` (boolean; true for the product's events: the prediction is the event's
claim to be right, the target is ``correct``) and returns them with ``calibrated`` (the
calibrated probability of the positive class) and ``expected_hit`` (the probability that the
prediction is right: calibrated when predicted positive, 1 - calibrated otherwise; NannyML's
``estimate_accuracy`` is the mean of it). Both are null when the score is null (or NaN) or the
system has no calibration (method ``none``, or not in the table).

The calibrated value is ``IsotonicRegression.predict`` with ``out_of_bounds='clip'``: the score
clipped to the first and last breakpoint, then scipy's ``interp1d`` linear interpolation: the
segment (x0, x1] that holds it (its first breakpoint when it equals that), value
``(y1 - y0) / (x1 - x0) * (s - x0) + y0``, the same operations in the same order.
"""

from __future__ import annotations

from outcomes.core.macros.definition import Macro

CALIBRATION = "main.calibration"

CBPE_SCORED = Macro(
    "cbpe_scored",
    f"rows, calibration := '{CALIBRATION}'",
    """
with points as (
    select
        system,
        x,
        y,
        lead(x) over (partition by system order by point) as next_x,
        lead(y) over (partition by system order by point) as next_y
    from query_table(calibration)
    where x is not null
),

bounds as (
    select
        system,
        min(x) as min_x,
        max(x) as max_x,
        arg_min(y, x) as first_y
    from points
    group by system
),

segments as (
    select
        system,
        x,
        y,
        next_x,
        next_y
    from points
    where next_x is not null
),

-- the score clipped to the calibration's range (null: no score, NaN or no calibration)
-- is written out twice, in the ASOF condition and in the value: a helper column would have to
-- be dropped again with EXCLUDE, whose column order DuckDB does not keep in a stored macro
interpolated as (
    select
        r.*,
        case
            when b.system is null or r.score is null or isnan(r.score::double) then null
            when least(greatest(r.score::double, b.min_x), b.max_x) = b.min_x then b.first_y
            else (s.next_y - s.y) / (s.next_x - s.x)
                * (least(greatest(r.score::double, b.min_x), b.max_x) - s.x) + s.y
        end as calibrated
    from query_table(rows) as r
    left join bounds as b
        on b.system = r.system
    asof left join segments as s
        on s.system = r.system
        and least(greatest(r.score::double, b.min_x), b.max_x) > s.x
)

select
    *,
    case when predicted_positive then calibrated else 1 - calibrated end as expected_hit
from interpolated""",
    table=True,
    reads=(CALIBRATION,),
)
