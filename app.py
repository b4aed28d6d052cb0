"""Outcomes: the frame. Navigation and the shared sidebar; pages live in app_pages/."""

import streamlit as st

from outcomes.app import streamlit_glue as ui

st.set_page_config(page_title="Outcomes", page_icon="📈", layout="wide")
ui.require_sign_in()  # single-user on loopback, else signed in (or a refusal); see SECURITY.md
ui.warmer()  # once per server: computes the pages' recent figures for each new snapshot

PAGES = {
    "Executives": [
        st.Page("app_pages/portfolio.py", title="Portfolio", icon="🧭", default=True),
        st.Page("app_pages/roi.py", title="ROI", icon="💰"),
    ],
    "Operations": [
        st.Page("app_pages/weekly_review.py", title="Weekly review", icon="🗓️"),
        st.Page("app_pages/model_health.py", title="Model health", icon="🩺"),
    ],
    "Analysts": [
        st.Page("app_pages/catalog.py", title="Metric catalog", icon="📚"),
        st.Page("app_pages/workbench.py", title="SQL workbench", icon="🛠️"),
    ],
    "Everyone": [
        st.Page("app_pages/overview.py", title="Overview", icon="📊"),
        st.Page("app_pages/data.py", title="Data", icon="🗄️"),
    ],
}

navigation = st.navigation({section: pages for section, pages in PAGES.items() if pages})
ui.sidebar()
navigation.run()
