"""The root of every error Outcomes raises on purpose.

Each module keeps the errors of its own concept (``LedgerError`` in ``outcomes.roi.ledger``,
``SandboxRefusal`` in ``outcomes.store.sandbox`` ...), and every one of them is an
:class:`OutcomesError`, so a caller (the CLI, a page) can tell "Outcomes refused this, with a
message for people" from a bug with one ``except``:

>>> from outcomes.roi.ledger import LedgerMissing
>>> issubclass(LedgerMissing, OutcomesError)
True

The built-in base each error also has (``ValueError``, ``FileNotFoundError`` ...) says what kind
of fault it is, for callers that only know Python's own families.
"""

from __future__ import annotations


class OutcomesError(Exception):
    """An error with a message for people: what was wrong, where, and what to do."""
