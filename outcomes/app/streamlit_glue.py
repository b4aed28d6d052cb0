"""The one module of ``outcomes`` that imports Streamlit: cached connection and loaders.

Pages call ``load(func, *args)`` with a plain function of ``outcomes.app`` whose first argument
is a read-only DuckDB connection; results are cached per snapshot, so a new build is picked
up on the next rerun and an old build's results are never mixed with a new one's.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import streamlit as st

from outcomes.app.markup import md_text
from outcomes.app.warmup import Warmer
from outcomes.config import Settings, get_settings
from outcomes.core import authz
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


# a loading state on every page: the spinner shows while a figure is computed (never when cached)
@st.cache_data(max_entries=512, show_spinner="Loading…")
def _cached(module: str, name: str, key: tuple[int, int], args: tuple[Any, ...]) -> Any:
    func = getattr(importlib.import_module(module), name)
    return func(snapshot.snapshot_cursor(_connection(key)), *args)


def load(func: Callable[..., T], *args: Any) -> T:
    """``func(connection, *args)``, cached for the current snapshot (and remembered, so the
    server computes it for the next snapshot before anyone asks: :mod:`outcomes.app.warmup`)."""
    key = snapshot_key()
    if key is None:
        raise snapshot.SnapshotMissing(settings().warehouse_path)
    warm = warmer()
    if warm is not None:
        warm.saw(func, args)
    return _load_for(func, key, args)


def _load_for(func: Callable[..., T], key: tuple[int, int], args: tuple[Any, ...]) -> T:
    """``func(connection, *args)`` for the snapshot ``key``, through the page cache."""
    return _cached(func.__module__, func.__qualname__, key, args)


_WARMER: Warmer | None = None
_WARMER_LOCK = threading.Lock()


def warmer() -> Warmer | None:
    """The server's page warmer, its thread started (one per process, kept across cache
    clears), or None when the ``warm_pages`` setting is off."""
    global _WARMER
    if not settings().warm_pages:
        return None
    if _WARMER is not None:  # every load() asks: no lock once it exists
        return _WARMER
    with _WARMER_LOCK:
        if _WARMER is None:
            _WARMER = Warmer(
                _load_for,
                snapshot_key,
                status_path=Path(f"{settings().warehouse_path}.warm-status.json"),
            )
            _WARMER.start()
        return _WARMER


def stop_warming() -> None:
    """Stop and forget the warmer (tests; the next ``warmer()`` starts a new one)."""
    global _WARMER
    with _WARMER_LOCK:
        if _WARMER is not None:
            _WARMER.stop()
        _WARMER = None


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


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def server_address() -> str:
    """The address Streamlit was started with (``--server.address``); empty means every
    interface, which is not loopback."""
    return str(st.get_option("server.address") or "")


def auth_mode() -> str:
    """``"oidc"`` when ``[auth]`` is in the secrets, else ``"local"`` (single-user mode) on
    loopback, else ``"refused"``: sign-in is required on anything but loopback."""
    try:
        configured = "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all: nothing configured
        configured = False
    if configured:
        return "oidc"
    address = server_address()
    return "local" if address in LOOPBACK or address.startswith("127.") else "refused"


def identity() -> authz.Identity | None:
    """Who is acting: the signed-in subject and the role its groups map to, or the local
    identity of single-user mode; None when nobody is signed in. Read from ``st.user`` and
    the settings on every run, never from a widget, so it survives a reload."""
    auth = settings().auth
    mode = auth_mode()
    if mode == "local":
        return authz.local_identity(auth)
    if mode == "oidc" and st.user.is_logged_in:
        return authz.identity_from_claims(st.user.to_dict(), auth)
    return None


def can(action: str) -> bool:
    """Whether this session's identity may take ``action`` (to show or hide its controls; the
    action itself is authorised again where it is performed)."""
    return authz.may(identity(), action)


def require_sign_in() -> None:
    """Stop the page unless someone may use it: a refusal when the app listens beyond
    loopback with no sign-in configured, a sign-in button when nobody is signed in."""
    mode = auth_mode()
    if mode == "refused":
        st.error(
            f"Outcomes is listening on `{server_address() or 'every interface'}`, not only on "
            "this machine, and no sign-in is configured, so it serves no pages. Add an `[auth]` "
            "section (an OpenID Connect provider) to `.streamlit/secrets.toml` (see SECURITY.md), "
            "or start it with `--server.address 127.0.0.1` for single-user mode."
        )
        st.stop()
    if mode == "oidc" and not st.user.is_logged_in:
        st.title("📈 Outcomes")
        st.write("Sign in to see the dashboard; your role comes from your groups.")
        provider = settings().auth.provider
        st.button(
            "Sign in",
            key="sign_in",
            type="primary",
            on_click=st.login,
            args=(provider,) if provider else (),
        )
        st.stop()


SYSTEM_KEY = "system"  # the widget key, and the query parameter (?system=x) it is bound to


def system_filter() -> None:
    """The AI system picker every page shares: the company (no ``system`` in the URL) or one
    system (``?system=x``). Bound to the query parameter, so a link carries it, it survives a
    reload and a page switch; pages read it with :func:`current_system`."""
    from outcomes.app.views.systems import COMPANY_LABEL, system_names

    try:
        names = load(system_names)
    except Exception:  # noqa: BLE001 - no systems readable: the company view only
        names = []
    # a link to a page with ?system=x (st.page_link's query_params) switches pages in the same
    # session, where the widget's state would win over the URL: the URL's system wins
    wanted = st.query_params.get(SYSTEM_KEY)
    if wanted in names and st.session_state.get(SYSTEM_KEY) != wanted:
        st.session_state[SYSTEM_KEY] = wanted
    st.selectbox(
        "AI system",
        ["", *names],
        format_func=lambda name: name or COMPANY_LABEL,
        key=SYSTEM_KEY,
        bind="query-params",
        help="Every page shows the company or one AI system; the choice is kept in the URL.",
    )


def current_system() -> str | None:
    """The system the pages show (None: the company), from the sidebar's filter."""
    value = st.session_state.get(SYSTEM_KEY)
    return str(value) if value else None


def sidebar() -> None:
    """Who is acting (and how), the system filter and the snapshot's build, on every page."""
    from outcomes.app.views.snapshot_info import build_info, snapshot_age_hours

    with st.sidebar:
        who = identity()
        if who is not None and not who.signed_in:
            st.caption(
                f"Single-user mode (loopback, no sign-in): acting as **{md_text(who.subject)}** "
                f"({who.role.value})."
            )
        elif who is not None:
            st.caption(f"Signed in as **{md_text(who.subject)}** ({who.role.value})")
            st.button("Sign out", key="sign_out", on_click=st.logout)
        if snapshot_key() is None:
            st.warning("No snapshot yet: run `outcomes demo` or `outcomes build`.")
            return
        system_filter()
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


def choice_radio(where: Any, label: str, labels: Mapping[str, str], key: str, **kwargs: Any) -> Any:
    """A horizontal radio in ``where`` (``st``, a column, ...) whose options are the keys of
    ``labels``, each shown by its label; returns the chosen key. ``kwargs`` go to the radio
    (``bind``, ``help``)."""
    return where.radio(
        label, list(labels), format_func=labels.get, horizontal=True, key=key, **kwargs
    )
