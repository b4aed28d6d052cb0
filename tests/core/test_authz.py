"""Who may do what (issue 12): the role matrix, enforced where each action is performed (the
view functions, called directly, not only the buttons), and the app's sign-in modes in AppTest.

viewer reads; operator also annotates, acknowledges, reviews and signs off; analyst also
previews and saves SQL; admin also closes periods."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from outcomes.app.views import draft_save, workbench
from outcomes.app.views.roi import closes as roi_closes
from outcomes.app.views.weekly_review import actions
from outcomes.config import AuthSettings, Role, Settings
from outcomes.core.authz import (
    Action,
    Identity,
    NotAllowed,
    authorise,
    identity_from_claims,
    may,
)
from outcomes.store.state import StateStore
from tests import ledgerfixtures
from tests.apphelpers import sign_in
from tests.conftest import ROOT

fx, store, con = ledgerfixtures.fx, ledgerfixtures.store, ledgerfixtures.con

ALLOWED = {
    Role.viewer: set(),
    Role.operator: {"annotate", "acknowledge", "review", "sign_off"},
    Role.analyst: {"annotate", "acknowledge", "review", "sign_off", "preview_sql", "save_sql"},
    Role.admin: {a.value for a in Action},
}
MATRIX = [(role, action) for role in Role for action in Action]
WEEK = dt.date(2026, 11, 9)


def who(role: Role) -> Identity:
    return Identity(f"{role.value}@example.com", role)


@pytest.mark.parametrize(("role", "action"), MATRIX, ids=lambda v: str(v))
def test_the_role_matrix(role, action):
    expected = action.value in ALLOWED[role]
    assert may(who(role), action) is expected
    if expected:
        assert authorise(who(role), action) == who(role)
    else:
        with pytest.raises(NotAllowed, match=f"{role.value}@example.com \\({role.value}\\)"):
            authorise(who(role), action)


@pytest.mark.parametrize("action", list(Action))
def test_nobody_may_do_anything(action):
    assert not may(None, action)
    with pytest.raises(NotAllowed, match="Sign in first"):
        authorise(None, action)


def test_roles_come_from_the_groups_claim_through_the_settings():
    auth = AuthSettings(group_roles={"fin": "admin", "ds": "analyst"})
    assert identity_from_claims({"email": "a@x", "groups": ["ds", "fin"]}, auth).role is Role.admin
    assert identity_from_claims({"sub": "u1", "groups": "ds"}, auth) == Identity("u1", Role.analyst)
    assert identity_from_claims({"email": "b@x", "groups": ["outcomes-admins"]}, auth).role is (
        Role.viewer
    )  # a group the mapping does not list gives nothing
    assert identity_from_claims({"groups": ["fin"]}, auth) is None  # nobody named


# -- the review page's writes, called directly ----------------------------------------------


REVIEW_WRITES = {
    Action.annotate: lambda s, w: actions.add_note(s, WEEK, "v2 deployed", "deploy", w, None),
    Action.acknowledge: lambda s, w: actions.acknowledge(s, "accuracy|2026-11-09|{}", w, "seen"),
    Action.review: lambda s, w: actions.record_verdict(s, "e1", WEEK, "correct", w, "fine"),
    Action.sign_off: lambda s, w: actions.sign_off(s, WEEK, w, "ok"),
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(REVIEW_WRITES))
def test_review_writes_are_authorised_where_they_are_stored(tmp_path, role, action):
    state = StateStore(tmp_path / "state.sqlite")
    kind, text = REVIEW_WRITES[action](state, who(role))
    entries = state.audit_log()
    if action.value in ALLOWED[role]:
        assert kind == "success", text
        assert [e.actor for e in entries] == [f"{role.value}@example.com"]
    else:
        assert kind == "error" and "may not" in text
        assert entries == [], "a refused write stored something"


def test_review_writes_need_an_identity(tmp_path):
    state = StateStore(tmp_path / "state.sqlite")
    for write in REVIEW_WRITES.values():
        kind, text = write(state, None)
        assert kind == "error" and "Sign in first" in text
    assert state.audit_log() == []


# -- SQL: preview and save ------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_preview_is_for_analysts_and_admins(role, demo_settings):
    text = (ROOT / "sql" / "metrics" / "event_volume.sql").read_text()
    preview, refusal = workbench.try_preview(text, demo_settings, who(role))
    if role in (Role.analyst, Role.admin):
        assert refusal is None and len(preview.result.frame)
    else:
        assert preview is None and "may not preview SQL" in refusal


@pytest.mark.parametrize("role", list(Role))
def test_saving_sql_is_a_role_permission(role, tmp_path, demo_root):
    sql = tmp_path / "sql"
    shutil.copytree(ROOT / "sql", sql)
    settings = Settings(
        warehouse_path=demo_root / "warehouse.duckdb",
        raw_path=demo_root / "raw.duckdb",
        state_path=tmp_path / "state.sqlite",
        sql_dir=sql,
    )
    draft = workbench.template("new_one")
    assert draft_save.can_save(who(role))[0] is (role in (Role.analyst, Role.admin))
    if role in (Role.analyst, Role.admin):
        result = draft_save.save_draft(draft, "new_one", settings, who=who(role), rebuild=False)
        (entry,) = StateStore(settings.state_path).audit_log(entity="metric")
        assert entry.actor == f"{role.value}@example.com" and result.created
    else:
        with pytest.raises(draft_save.SaveRefused, match="may not save metric SQL"):
            draft_save.save_draft(draft, "new_one", settings, who=who(role), rebuild=False)
        assert not (sql / "metrics" / "new_one.sql").exists()


# -- period close ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_closing_a_period_is_for_admins(role, fx, store, con):
    kind, text = roi_closes.close_window(con, fx.settings(), store, "2026-01", who(role))
    closed = roi_closes.closed_periods(fx.settings(), store)
    if role is Role.admin:
        assert kind == "success", text
        assert [(c.period, c.closed_by) for c in closed] == [("2026-01", "admin@example.com")]
    else:
        assert kind == "error" and "may not close a period" in text
        assert closed == []


# -- the app: sign-in modes and controls per role ------------------------------------------


def _app(page: str | None, role: str | None, subject: str = "ana@example.com") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    sign_in(at, role, subject)
    if page:
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _keys(at: AppTest) -> set[str]:
    return {b.key for b in at.button}


def test_signed_out_sees_only_the_sign_in_button(demo_env):
    at = _app("app_pages/weekly_review.py", None)
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe and not at.get("vega_lite_chart")


def test_beyond_loopback_without_sign_in_no_page_is_served(demo_env):
    from streamlit import config

    config.set_option("server.address", "0.0.0.0")  # as `streamlit run --server.address`
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.run()
        assert "not only on this machine" in at.error[0].value
        assert not at.button and not at.dataframe
    finally:
        config.set_option("server.address", "127.0.0.1")


def test_single_user_mode_on_loopback_is_labelled(demo_env):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert any("Single-user mode" in c.value for c in at.sidebar.caption)


@pytest.mark.parametrize("role", ["viewer", "operator", "analyst", "admin"])
def test_each_role_sees_the_controls_it_may_use(demo_env, role):
    review = _keys(_app("app_pages/weekly_review.py", role))
    assert ("wr_note_add" in review) is (role != "viewer")
    bench = _keys(_app("app_pages/workbench.py", role))
    assert ("wb_preview_button" in bench) is (role in ("analyst", "admin"))
    assert ("wb_save" in bench) is (role in ("analyst", "admin"))
    roi = _app("app_pages/roi.py", role)
    roi.radio(key="roi_kind").set_value("quarter").run()
    assert ("roi_close" in _keys(roi)) is (role == "admin")


def test_the_identity_survives_a_rerun_and_is_the_signed_in_subject(demo_env):
    at = _app("app_pages/weekly_review.py", "operator", "otto@example.com")
    at.text_area(key="wr_note_text").input("model v2 rolled out")
    at.button(key="wr_note_add").click().run()
    at.run()  # a reload: the identity comes from st.user, not from a widget
    assert any("otto@example.com" in c.value for c in at.sidebar.caption)
    (note,) = StateStore(demo_env.state_path).annotations()
    assert note.author == "otto@example.com"
