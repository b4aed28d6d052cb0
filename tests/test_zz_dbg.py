from tests.test_app_analyst_pages import *
def test_dbg(editable):
    at = open_page("pages/workbench.py", name="ana", role="analyst")
    print([c.value for c in at.caption], at.session_state["identity_role"], editable.allow_sql_edits)
    print([s.value for s in at.sidebar.selectbox])
