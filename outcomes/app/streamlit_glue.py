"""The one module of ``outcomes`` that imports Streamlit: cached connection and loaders.

Pages call ``load(func, *args)`` with a plain function of ``metrics`` whose first argument
is a read-only DuckDB connection; results are cached per snapshot, so a new build is picked
up on the next rerun and an old build's results are never mixed with a new one's.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

import duckdb
import streamlit as st

from outcomes.config import Settings, get_settings
from outcomes.store import snapshot
from outcomes.store.state import StateStore

T = TypeVar("T")


@st.cache_resource
def settings() -> Settings:
    return get_settings()


def snapshot_key() -> tuple[int, int] | None:
    """(inode, mtime) of the current snapshot file, or None when there is none yet."""
    path = settings().warehouse_path
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns)


@st.cache_resource(max_entries=2)
def _connection(key: tuple[int, int]) -> duckdb.DuckDBPyConnection:
    return snapshot.open_snapshot(settings())


def connection() -> duckdb.DuckDBPyConnection | None:
    """A cursor on the current snapshot (read-only), or None before the first build."""
    key = snapshot_key()
    if key is None:
        return None
    return snapshot.snapshot_cursor(_connection(key))


@st.cache_data(max_entries=512, show_spinner=False)
def _cached(module: str, name: str, key: tuple[int, int], args: tuple[Any, ...]) -> Any:
    func = getattr(importlib.import_module(module), name)
    return func(snapshot.snapshot_cursor(_connection(key)), *args)


def load(func: Callable[..., T], *args: Any) -> T:
    """``func(connection, *args)``, cached for the current snapshot."""
    key = snapshot_key()
    if key is None:
        raise snapshot.SnapshotMissing(settings().warehouse_path)
    return _cached(func.__module__, func.__qualname__, key, args)


@st.cache_data(max_entries=256, show_spinner=False)
def _spec(module: str, name: str, args: tuple[Any, ...], kwargs: tuple[Any, ...]) -> dict:
    func = getattr(importlib.import_module(module), name)
    return func(*args, **dict(kwargs)).to_dict()


def chart_spec(build: Callable[..., Any], *args: Any, **kwargs: Any) -> dict:
    """The Vega-Lite spec of the Altair chart ``build(*args, **kwargs)``, cached on the
    arguments: building and validating an Altair chart costs about 0.1 s, and a page drew its
    charts again on every rerun (at 10M events, most of a warm render of the ROI page).
    Draw it with ``st.vega_lite_chart``."""
    return _spec(build.__module__, build.__qualname__, args, tuple(sorted(kwargs.items())))


@st.cache_resource
def state_store() -> StateStore:
    return StateStore(settings().state_path)


ROLES = ("viewer", "operator", "analyst")


def identity() -> tuple[str, str]:
    """(name, role) of this browser session, from the sidebar."""
    return st.session_state.get("identity_name", "").strip(), st.session_state.get(
        "identity_role", settings().default_role.value
    )


def can(action: str) -> bool:
    """Whether the session's role may take ``action``: operators acknowledge, annotate,
    review and sign off; analysts also edit metric SQL; viewers only read."""
    _, role = identity()
    allowed = {
        "viewer": set(),
        "operator": {"annotate", "acknowledge", "review", "sign_off", "assumptions"},
        "analyst": {"annotate", "acknowledge", "review", "sign_off", "assumptions", "edit_sql"},
    }
    return action in allowed.get(role, set())


def sidebar() -> None:
    """Identity, role and the snapshot's build, shown on every page."""
    from outcomes.app.views.snapshot_info import build_info, snapshot_age_hours

    with st.sidebar:
        st.text_input(
            "Your name",
            key="identity_name",
            placeholder="for notes and sign-offs",
            help="Remembered for this browser session until real sign-in exists.",
        )
        if "identity_role" not in st.session_state:
            st.session_state["identity_role"] = settings().default_role.value
        st.selectbox(
            "Role", ROLES, key="identity_role", help="Hides actions this role may not take."
        )
        if snapshot_key() is None:
            st.warning("No snapshot yet: run `outcomes demo` or `outcomes build`.")
            return
        info = load(build_info)
        age = snapshot_age_hours(info)
        st.caption(f"Build `{info['build_id']}` · {info['status']}")
        if age is not None and age > settings().freshness_hours:
            st.warning(f"Snapshot is {age:.0f} h old (target {settings().freshness_hours:.0f} h).")
        if info["failed_objects"]:
            st.error(f"{info['failed_objects']} definitions failed in this build.")


def show_sql(*names: str) -> None:
    """A small "SQL" popover with the app queries ``names`` (``sql/app/<name>.sql``) behind a
    panel, the way every figure can show its working."""
    from outcomes.app.queries import query_text

    with st.popover("SQL", icon="🔎"):
        for name in names:
            st.caption(f"`sql/app/{name}.sql`")
            st.code(query_text(name), language="sql")
