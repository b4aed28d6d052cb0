"""The weekly review of one week, one module a section of the page: the calendar and the
week's facts (:mod:`.weeks`), scorecard (:mod:`.scorecard`), alerts (:mod:`.alerts`), drift
(:mod:`.drift`), data quality (:mod:`.data_quality`), output review (:mod:`.output_review`),
what people do on the page (:mod:`.actions`) and the sign-off and export (:mod:`.pack`).

Plain functions of a read-only snapshot connection (cached by
``outcomes.app.streamlit_glue.load``), plus pure helpers that merge in what people wrote in
the state store. The page ``app_pages/weekly_review.py`` only lays them out.
"""
