/* ---
name: cost_allocations
description: >
  Every cost line's week (staging.cost_weeks) assigned to AI systems, in whole cents. A cost
  with a system is that system's (method own). A shared cost (system empty) is split over the
  systems by its allocate_by driver in that week: events (the system's AI events of the week),
  hours_saved (the hours its AI-assisted work items closed that week saved against the
  system's baseline_handle_minutes, as metrics.hours_saved counts them; a system slower than
  its baseline counts 0) or equal (1 per system). A system's share is the week's cents x its
  driver / the drivers' total, rounded down; the cents left over go one each to the systems
  with the largest remainders (ties: system name), so the shares add up to the week's cents
  exactly. When no system has a driver in the week (or allocate_by is equal), the week is split
  equally over the systems that are not retired in that week (staging.systems: the stage in
  force; a system not in the register counts as not retired); when none is, over every known
  system. Known systems: those of the AI events, of the systems register and of the costs. A
  shared cost with no system known at all goes to the system named "(unallocated)".
grain: One row per cost_id, reporting week and system that receives a share (a zero share has no row).
kind: staging
--- */
with known_systems as (
    select system
    from staging.ai_events
    where system is not null
    union
    select system
    from staging.systems
    union
    select system
    from staging.costs
    where system is not null
),

cost_cents as (
    select
        cost_id,
        week_start,
        category,
        currency,
        system as cost_system,
        coalesce(allocate_by, 'events') as allocate_by,
        (amount * 100)::hugeint as cents
    from staging.cost_weeks
),

shared_weeks as (
    select distinct
        week_start
    from cost_cents
    where cost_system is null
),

event_drivers as (
    select
        e.week_start,
        e.system,
        count(*)::hugeint as weight
    from staging.ai_events as e
    inner join shared_weeks as w
        on w.week_start = e.week_start
    where e.system is not null
    group by all
),

assisted_minutes as (
    select
        wi.closed_week as week_start,
        wi.system,
        count(*) as assisted_items,
        sum(wi.handle_minutes::decimal(38, 10)) as actual_minutes
    from staging.work_items as wi
    inner join shared_weeks as w
        on w.week_start = wi.closed_week
    where wi.ai_assisted
        and wi.system is not null
        and wi.closed_at is not null
        and wi.handle_minutes is not null
    group by all
),

hours_drivers as (
    -- minutes saved in units of 1e-10 minute (an integer); a week slower than the baseline is 0
    select
        week_start,
        system,
        greatest(
            (
                (assumption_for('baseline_handle_minutes', am.system, am.week_start)
                    ::decimal(38, 10)
                    * assisted_items - actual_minutes) * 10000000000
            )::hugeint,
            0
        ) as weight
    from assisted_minutes as am
    where assumption_for('baseline_handle_minutes', am.system, am.week_start) is not null
),

stages as (
    select
        w.week_start,
        k.system,
        (
            select arg_max(s.stage, s.effective_from)
            from staging.systems as s
            where s.system = k.system
                and s.effective_from <= w.week_start
        ) as stage,
        k.system in (select system from staging.systems) as registered
    from shared_weeks as w
    cross join known_systems as k
),

equal_candidates as (
    -- level 1: not retired (unregistered systems included); 2: any known system
    select
        week_start,
        system,
        case
            when stage is distinct from 'retired' and (stage is not null or not registered) then 1
            else 2
        end as level
    from stages
),

equal_drivers as (
    select
        week_start,
        system,
        1::hugeint as weight
    from equal_candidates
    qualify level = min(level) over (partition by week_start)
),

drivers as (
    -- each shared-cost driver's weights, tagged with the allocate_by that asks for it
    select
        week_start,
        system,
        weight,
        'events' as allocate_by
    from event_drivers
    union all
    select
        week_start,
        system,
        weight,
        'hours_saved' as allocate_by
    from hours_drivers
),

driven as (
    select
        c.cost_id,
        c.week_start,
        d.system,
        d.weight,
        c.allocate_by as method
    from cost_cents as c
    inner join drivers as d
        on d.week_start = c.week_start
        and d.allocate_by = c.allocate_by
    where c.cost_system is null
        and d.weight > 0
),

undriven as (
    -- allocate_by equal, or no system has a driver in the week: equal over the candidates
    select
        c.cost_id,
        c.week_start,
        coalesce(e.system, '(unallocated)') as system,
        coalesce(e.weight, 1) as weight,
        case when c.allocate_by = 'equal' then 'equal' else 'equal (no ' || c.allocate_by || ')' end
            as method
    from cost_cents as c
    left join equal_drivers as e
        on e.week_start = c.week_start
    where c.cost_system is null
        and not exists (
            select 1
            from driven as d
            where d.cost_id = c.cost_id
                and d.week_start = c.week_start
        )
),

weights as (
    select *
    from driven
    union all
    select *
    from undriven
),

floored as (
    -- on the absolute cents, so a negative line (a credit) splits like a positive one
    select
        w.cost_id,
        w.week_start,
        w.system,
        w.method,
        w.weight,
        sum(w.weight) over (partition by w.cost_id, w.week_start) as total_weight,
        c.cents,
        abs(c.cents) * w.weight // sum(w.weight) over (partition by w.cost_id, w.week_start)
            as base_cents,
        abs(c.cents) * w.weight % sum(w.weight) over (partition by w.cost_id, w.week_start)
            as remainder
    from weights as w
    inner join cost_cents as c
        on c.cost_id = w.cost_id
        and c.week_start = w.week_start
),

ranked as (
    select
        *,
        abs(cents) - sum(base_cents) over (partition by cost_id, week_start) as leftover_cents,
        row_number() over (
            partition by cost_id, week_start
            order by remainder desc, system
        ) as remainder_rank
    from floored
),

shared as (
    select
        cost_id,
        week_start,
        system,
        method,
        weight as driver,
        total_weight as driver_total,
        sign(cents) * (base_cents + case when remainder_rank <= leftover_cents then 1 else 0 end)
            as allocated_cents
    from ranked
),

own as (
    select
        cost_id,
        week_start,
        cost_system as system,
        'own' as method,
        null::hugeint as driver,
        null::hugeint as driver_total,
        cents as allocated_cents
    from cost_cents
    where cost_system is not null
),

allocated as (
    select *
    from shared
    where allocated_cents <> 0
    union all
    select *
    from own
)

select
    a.cost_id,
    a.week_start,
    a.system,
    c.category,
    c.currency,
    a.method,
    a.driver,
    a.driver_total,
    a.allocated_cents::bigint as cents,
    (a.allocated_cents::decimal(38, 0) * 0.01)::decimal(18, 2) as amount
from allocated as a
inner join cost_cents as c
    on c.cost_id = a.cost_id
    and c.week_start = a.week_start
