"""Outcomes: the frame. Navigation and the shared sidebar; pages live in pages/."""

import streamlit as st

from metrics import ui

ui.keep_app_frame()  # a cold server with a pages/ folder: see metrics/ui.py
st.set_page_config(page_title="Outcomes", page_icon="📈", layout="wide")

PAGES = {
    "Executives": [
        st.Page("pages/roi.py", title="ROI", icon="💰", default=True),
    ],
    "Operations": [
        st.Page("pages/weekly_review.py", title="Weekly review", icon="🗓️"),
        st.Page("pages/model_health.py", title="Model health", icon="🩺"),
    ],
    "Analysts": [
        st.Page("pages/catalog.py", title="Metric catalog", icon="📚"),
        st.Page("pages/workbench.py", title="SQL workbench", icon="🛠️"),
    ],
    "Everyone": [
        st.Page("pages/overview.py", title="Overview", icon="📊"),
        st.Page("pages/data.py", title="Data", icon="🗄️"),
    ],
}

navigation = st.navigation({section: pages for section, pages in PAGES.items() if pages})
ui.sidebar()
navigation.run()
