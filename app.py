"""Outcomes: the frame. Navigation and the shared sidebar; pages live in pages/."""

import streamlit as st

from metrics import ui

st.set_page_config(page_title="Outcomes", page_icon="📈", layout="wide")

PAGES = {
    "Executives": [],
    "Operations": [],
    "Analysts": [],
    "Everyone": [
        st.Page("pages/overview.py", title="Overview", icon="📊", default=True),
    ],
}

navigation = st.navigation({section: pages for section, pages in PAGES.items() if pages})
ui.sidebar()
navigation.run()
