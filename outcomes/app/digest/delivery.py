"""Sending the digest: who gets which items (routed by owner), by email (SMTP) or chat
webhook, and never twice for the same week and recipient (the state store's delivery log).

A recipient is an email address or an ``http(s)://`` webhook URL. ``routes`` maps an owner
(the ``owner:`` of the metric headers) to recipients, who get that owner's items; a recipient
routed from several owners gets all of theirs in one message. ``everything_to`` get every
item. A routed recipient with nothing to act on this week gets no message.

>>> plan = route_plan({"ml@x": ["ana@x", "https://hooks/ml"]}, ["lead@x"])
>>> plan["ana@x"], plan["lead@x"]
({'ml@x'}, None)
"""

from __future__ import annotations

import datetime as dt
import json
import smtplib
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from outcomes.app.digest import messages
from outcomes.app.digest.content import Digest, build_digest
from outcomes.config import DigestSettings, Settings
from outcomes.errors import OutcomesError
from outcomes.store.state import StateStore


class DeliveryError(OutcomesError):
    """A digest could not be sent (SMTP refused, webhook answered an error)."""


@dataclass(frozen=True)
class Delivery:
    """What happened to one recipient: sent, already sent, nothing to send, or failed."""

    recipient: str
    channel: str
    items: int
    outcome: str  # sent, already_sent, nothing_to_send, failed, dry_run
    detail: str = ""


def channel_of(recipient: str) -> str:
    """``webhook`` for an http(s) URL, else ``email``.

    >>> channel_of("https://hooks.slack.com/services/x"), channel_of("ana@example.com")
    ('webhook', 'email')
    """
    return "webhook" if recipient.startswith(("http://", "https://")) else "email"


def route_plan(
    routes: Mapping[str, Sequence[str]], everything_to: Sequence[str]
) -> dict[str, set[str] | None]:
    """``{recipient: owners whose items they get}``; None: every item."""
    plan: dict[str, set[str] | None] = {}
    for owner, recipients in routes.items():
        for r in recipients:
            if plan.get(r, set()) is not None:
                plan.setdefault(r, set()).add(owner)  # type: ignore[union-attr]
    for r in everything_to:
        plan[r] = None
    return plan


def send_email(settings: DigestSettings, message) -> None:
    """Send one message through the configured SMTP server."""
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP {settings.smtp_host}:{settings.smtp_port}: {exc}") from exc


def post_webhook(url: str, payload: dict, timeout: float) -> None:
    """POST the payload as JSON; any answer but 2xx is a failure."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - configured URL
            if not 200 <= response.status < 300:
                raise DeliveryError(f"webhook answered {response.status}")
    except OSError as exc:
        raise DeliveryError(f"webhook {url.split('?')[0]}: {exc}") from exc


def deliver(
    digest: Digest, settings: DigestSettings, store: StateStore, *, dry_run: bool = False
) -> list[Delivery]:
    """Send the digest to every routed recipient that has not had this week yet; record each
    delivery once it succeeded. A failure is reported, the others still go out."""
    results = []
    for recipient, owners in route_plan(settings.routes, settings.everything_to).items():
        channel = channel_of(recipient)
        items = digest.for_owners(owners)
        if owners is not None and items.empty:
            results.append(Delivery(recipient, channel, 0, "nothing_to_send"))
            continue
        if store.delivered(digest.week, channel, recipient):
            results.append(Delivery(recipient, channel, len(items), "already_sent"))
            continue
        if dry_run:
            results.append(Delivery(recipient, channel, len(items), "dry_run"))
            continue
        try:
            if channel == "email":
                if not settings.smtp_host:
                    raise DeliveryError("no SMTP server configured (digest.smtp_host)")
                send_email(settings, messages.email(digest, items, settings.sender, recipient))
            else:
                post_webhook(
                    recipient, messages.webhook_payload(digest, items), settings.timeout_seconds
                )
        except DeliveryError as exc:
            results.append(Delivery(recipient, channel, len(items), "failed", str(exc)))
            continue
        store.record_delivery(digest.week, channel, recipient, len(items))
        results.append(Delivery(recipient, channel, len(items), "sent"))
    return results


def report(results: Sequence[Delivery]) -> str:
    """One line a recipient, for the command line.

    >>> print(report([Delivery("a@x", "email", 2, "sent")]))
    sent            email    a@x (2 items)
    """
    if not results:
        return "no recipients configured (digest.routes, digest.everything_to)"
    return "\n".join(
        f"{r.outcome:<15} {r.channel:<8} {r.recipient} ({r.items} items)"
        + (f": {r.detail}" if r.detail else "")
        for r in results
    )


def send_digest(
    settings: Settings, *, week: dt.date | None = None, dry_run: bool = False
) -> tuple[Digest, list[Delivery]]:
    """Build the digest of ``week`` (default: the last complete week) from the current
    snapshot and deliver it as the settings route it (``outcomes digest``)."""
    from outcomes.store.snapshot import open_snapshot  # the CLI's way in; the app has its own

    store = StateStore(settings.state_path)
    con = open_snapshot(settings)
    try:
        digest = build_digest(
            con,
            store,
            week=week,
            app_url=settings.app_url,
            overdue_weeks=settings.review_overdue_weeks,
        )
    finally:
        con.close()
    return digest, deliver(digest, settings.digest, store, dry_run=dry_run)


def send_and_report(
    settings: Settings, week: dt.date | None, *, dry_run: bool = False, show: bool = False
) -> tuple[str, bool]:
    """:func:`send_digest`, as the command line reports it: the text to print (the digest
    itself first when ``show``) and whether every recipient was reached."""
    digest, results = send_digest(settings, week=week, dry_run=dry_run)
    text = report(results)
    if show:
        text = messages.text_body(digest, digest.items) + "\n" + text
    return text, not any(r.outcome == "failed" for r in results)
