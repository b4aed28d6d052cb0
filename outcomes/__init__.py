"""Outcomes: model health beside business outcomes, and an ROI finance can audit.

The stable Python API is the names below; each is imported on first use, so ``import
outcomes`` stays cheap (the CLI and the app import only what they run). Everything else is
reachable through its sub-package (``outcomes.core``, ``store``, ``ingest``, ``build``,
``roi``, ``app``; see docs/ARCHITECTURE.md) and may change between versions.

>>> import outcomes
>>> sorted(outcomes.__all__)[:3]
['OutcomesError', 'Settings', 'StateStore']
>>> outcomes.get_settings(currency="EUR").currency
'EUR'
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> module that defines it
_API = {
    "Settings": "outcomes.config",
    "get_settings": "outcomes.config",
    "OutcomesError": "outcomes.errors",
    "load_registry": "outcomes.core.registry",
    "open_snapshot": "outcomes.store.snapshot",
    "StateStore": "outcomes.store.state",
    "ingest_path": "outcomes.ingest.load",
    "run_demo": "outcomes.demo_pipeline",
    "build_snapshot": "outcomes.build.full",
    "read_ledger": "outcomes.roi.ledger",
    "summarise": "outcomes.roi.summary",
}
__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'outcomes' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
