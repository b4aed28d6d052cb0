"""The pages' registry is loaded once per version of the SQL folder's files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from outcomes.app import registry_cache
from outcomes.app.registry_cache import current_registry
from tests.conftest import ROOT


def _copy(tmp_path: Path) -> Path:
    sql = tmp_path / "sql"
    shutil.copytree(ROOT / "sql", sql)
    return sql


def test_the_same_files_give_the_registry_already_loaded(tmp_path, monkeypatch):
    sql = _copy(tmp_path)
    loads = []
    real = registry_cache.load_registry
    monkeypatch.setattr(
        registry_cache, "load_registry", lambda *a, **k: loads.append(a) or real(*a, **k)
    )
    first = current_registry(sql)
    assert current_registry(sql) is first and len(loads) == 1
    assert "metrics.accuracy" in first.definitions


def test_an_edited_added_or_removed_file_is_loaded_again(tmp_path):
    sql = _copy(tmp_path)
    first = current_registry(sql)
    accuracy = sql / "metrics" / "accuracy.sql"
    text = accuracy.read_text()
    accuracy.write_text(text.replace("title: ", "title: Edited ", 1))
    stat = accuracy.stat()
    os.utime(accuracy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000))  # a later write
    edited = current_registry(sql)
    assert edited is not first
    assert edited.definitions["metrics.accuracy"].header.title.startswith("Edited ")
    copy = sql / "metrics" / "accuracy_copy.sql"
    copy.write_text(text.replace("name: accuracy", "name: accuracy_copy", 1))
    assert "metrics.accuracy_copy" in current_registry(sql).definitions
    copy.unlink()
    assert "metrics.accuracy_copy" not in current_registry(sql).definitions


def test_a_missing_folder_still_says_so(tmp_path):
    import pytest

    from outcomes.core.registry import RegistryError

    with pytest.raises(RegistryError, match="SQL folder not found"):
        current_registry(tmp_path / "nowhere")
