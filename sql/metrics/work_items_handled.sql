/* ---
name: work_items_handled
title: Work items handled
description: >
  Number of work items closed in the reporting week (closed_at not null, any outcome), with or
  without AI: the company's (system null), and per AI system those of the teams it serves
  (teams with an item it assisted, in any week; a team served by two systems counts in
  both). Extra column assisted_items: of them, those AI-assisted (company) or assisted by the
  system (per system). The unfinished current week is flagged partial. These are the
  denominator and numerator of ai_assisted_share, which counts them (read from there).
grain: One row per reporting week and system with at least one item of its teams closed, plus one company row per week with an item closed (system null).
kind: business
unit: count
direction: higher_is_better
dimensions: [system]
thresholds: {warn: 0.2, alert: 0.35, mode: vs_trailing_mean}
tests:
  - range(value, 0, null)
--- */
select
    week_start,
    system,
    denominator as value,
    numerator as assisted_items,
    flag
from metrics.ai_assisted_share
