"""The one module of ``metrics`` that imports Streamlit: cached connection and loaders.

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

from metrics import snapshot
from metrics.settings import Settings, get_settings
from metrics.state import StateStore

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
    return _connection(key).cursor()


@st.cache_data(max_entries=512, show_spinner=False)
def _cached(module: str, name: str, key: tuple[int, int], args: tuple[Any, ...]) -> Any:
    func = getattr(importlib.import_module(module), name)
    return func(_connection(key).cursor(), *args)


def load(func: Callable[..., T], *args: Any) -> T:
    """``func(connection, *args)``, cached for the current snapshot."""
    key = snapshot_key()
    if key is None:
        raise snapshot.SnapshotMissing(settings().warehouse_path)
    return _cached(func.__module__, func.__qualname__, key, args)


@st.cache_resource
def state_store() -> StateStore:
    return StateStore(settings().state_path)
