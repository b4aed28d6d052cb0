"""The state store: what people write in the app, in one SQLite file.

Annotations, alert acknowledgements and check runs, weekly sign-offs, output-review verdicts,
assumption changes and an append-only audit log, one module each (``state_<kind>.py``); the
file itself (connections, transactions, WAL) is :mod:`outcomes.store.state_file`, its
versioned schema :mod:`outcomes.store.state_schema`. The app (one thread per session) and the
CLI may write at the same moment, so the file is in WAL mode, every operation opens its own
short-lived connection with a busy timeout, and every write is one short ``BEGIN IMMEDIATE``
transaction.

Rows are never updated or deleted: triggers abort any ``UPDATE`` or ``DELETE``. A new verdict,
sign-off or acknowledgement is appended and the latest one wins. Every write also appends an
``audit_log`` row in the same transaction. Values are decimal TEXT (``Decimal`` in Python, never
float); timestamps are ISO 8601 UTC text (``2024-03-04T09:30:00.000000Z``).
"""

from __future__ import annotations

from outcomes.store.state_alerts import AlertRecords
from outcomes.store.state_annotations import Annotations
from outcomes.store.state_assumptions import AssumptionChanges
from outcomes.store.state_audit import AuditLog
from outcomes.store.state_deliveries import DigestDeliveries
from outcomes.store.state_signoffs import SignOffs
from outcomes.store.state_verdicts import OutputVerdicts


class StateStore(
    Annotations,
    AlertRecords,
    SignOffs,
    OutputVerdicts,
    AssumptionChanges,
    AuditLog,
    DigestDeliveries,
):
    """Annotations, acknowledgements, sign-offs, verdicts, assumption changes and audit log.

    Opening migrates the file forward. Every method opens its own connection, so one
    instance may be shared by threads and several processes may write the same file.

    >>> import tempfile
    >>> from datetime import UTC, date, datetime
    >>> from decimal import Decimal
    >>> from pathlib import Path
    >>> tmp = tempfile.TemporaryDirectory()
    >>> store = StateStore(Path(tmp.name) / "state.sqlite",
    ...                    now=lambda: datetime(2024, 3, 6, 9, 30, tzinfo=UTC))
    >>> store.add_annotation(date(2024, 3, 4), "model v2 deployed", "deploy", "ana@example.com")
    1
    >>> [(a.kind.value, a.text) for a in store.annotations(metric="accuracy")]
    [('deploy', 'model v2 deployed')]
    >>> store.record_assumption_change("analyst_hourly_cost", date(2024, 1, 1), Decimal("55"),
    ...                                Decimal("61.50"), "usd/hour", "cfo@example.com", "2024 rates")
    1
    >>> store.assumption_changes()[0].new_value
    Decimal('61.50')
    >>> [(e.action, e.entity, e.entity_key) for e in store.audit_log()]
    [('change', 'assumption', 'analyst_hourly_cost@2024-01-01'), ('add', 'annotation', '1')]
    >>> tmp.cleanup()
    """
