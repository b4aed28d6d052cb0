"""The ROI page's view: plain functions of a read-only snapshot connection that give
``app_pages/roi.py`` everything it lays out, one concept per module:

- :mod:`.windows`: the period picker (month, quarter, year to date, custom) and the previous
  period a window is compared with;
- :mod:`.summaries`: the ledger read once per window and its ROI summaries;
- :mod:`.budget_projection`: projected inference cost against budget, from the metrics;
- :mod:`.headline`: the six headline tiles with their changes;
- :mod:`.closes`: closed periods and restatements beside the figures;
- :mod:`.working_panel`, :mod:`.figure_working`: "show working" of a figure or a ledger line;
- :mod:`.series`: value-vs-cost series, waterfall, tornado and the lines table;
- :mod:`.panel_sql`: the SQL behind each panel;
- :mod:`.downloads`: ledger CSV / XLSX, audit pack and the one-page summary;
- :mod:`.snapshot_connection`: a connection whose cursors stay on the snapshot's catalog.
"""
