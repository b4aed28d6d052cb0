"""The digest as messages: an email (plain text, HTML and a CSV of the items) and a
Slack-compatible webhook payload (``text`` plus Block Kit ``blocks``). Pure: no sending here.
"""

from __future__ import annotations

import html
from email.message import EmailMessage
from typing import Any

import pandas as pd

from outcomes.app.digest.content import Digest
from outcomes.core.csv_cells import csv_text

MAX_CHAT_ITEMS = 15  # a chat message lists this many items, then links to the rest


def subject(digest: Digest, items: pd.DataFrame) -> str:
    """The email subject: the week and how many items need action."""
    need = f"{len(items)} need action" if len(items) else "nothing needs action"
    return f"Weekly review, week of {digest.week}: {need}"


def _item_line(row: Any) -> str:
    where = "" if row.dimension in ("all", "", None) else f" ({row.dimension})"
    owner = row.owner or "no owner"
    return (
        f"{str(row.level).upper()} {row.title}{where}: {row.value_text}, "
        f"{row.why}; {row.weeks_ongoing} wk; owner {owner}"
    )


def _headline_lines(digest: Digest) -> list[str]:
    h = digest.headline
    if h is None:
        return ["ROI: no ledger in this snapshot."]
    return [
        f"Net value to date: {h.net_to_date} (since the week of {h.since})",
        f"ROI to date: {h.roi_to_date}"
        + (
            f" (range {h.roi_range}, every ranged assumption at its low / high end)"
            if h.roi_range
            else ""
        ),
        f"Net value this week: {h.net_week}",
    ]


def text_body(digest: Digest, items: pd.DataFrame) -> str:
    """The plain-text digest."""
    c = digest.counts
    lines = [
        f"Weekly review, week of {digest.week} (build {digest.build_id})",
        "",
        *_headline_lines(digest),
        "",
        f"Alerts: {c['new']} new, {c['ongoing']} ongoing, {c['resolved']} resolved.",
        f"Needs action ({len(items)}):" if len(items) else "Nothing needs action.",
        *[f"- {_item_line(r)}" for r in items.itertuples()],
    ]
    if len(digest.changes):
        lines += ["", "Biggest changes vs last week:"]
        lines += [
            f"- {r.title}: {r.was} -> {r.now} ({r.change}, {r.change_pct})"
            for r in digest.changes.itertuples()
        ]
    signed = ", ".join(digest.signed_off_by) or "nobody yet"
    lines += [
        "",
        f"Signed off by: {signed}",
        f"Open the review: {digest.links['review']}",
        f"ROI: {digest.links['roi']}",
    ]
    return "\n".join(lines) + "\n"


def html_body(digest: Digest, items: pd.DataFrame) -> str:
    """The HTML digest: the same content as :func:`text_body`, items as a table."""
    e = html.escape
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{e(str(v))}</td>"
            for v in (
                str(r.level).upper(),
                r.title,
                r.dimension,
                r.value_text,
                r.weeks_ongoing,
                r.owner or "no owner",
                r.why,
            )
        )
        + "</tr>"
        for r in items.itertuples()
    )
    heads = "".join(
        f"<th align='left'>{h}</th>"
        for h in ("Level", "Metric", "Where", "Value", "Weeks", "Owner", "Why")
    )
    table = (
        f"<table cellpadding='4' border='1' style='border-collapse:collapse'>"
        f"<tr>{heads}</tr>{rows}</table>"
        if len(items)
        else "<p>Nothing needs action.</p>"
    )
    moved = "".join(
        f"<li>{e(r.title)}: {e(r.was)} → {e(r.now)} ({e(r.change)}, {e(r.change_pct)})</li>"
        for r in digest.changes.itertuples()
    )
    c = digest.counts
    headline = "".join(f"<li>{e(line)}</li>" for line in _headline_lines(digest))
    return (
        "<html><body style='font-family:sans-serif'>"
        f"<h2>Weekly review, week of {digest.week}</h2>"
        f"<ul>{headline}</ul>"
        f"<p>Alerts: {c['new']} new, {c['ongoing']} ongoing, {c['resolved']} resolved.</p>"
        f"<h3>Needs action ({len(items)})</h3>{table}"
        + (f"<h3>Biggest changes vs last week</h3><ul>{moved}</ul>" if moved else "")
        + f"<p>Signed off by: {e(', '.join(digest.signed_off_by) or 'nobody yet')}</p>"
        f"<p><a href='{e(digest.links['review'])}'>Open the review</a> · "
        f"<a href='{e(digest.links['roi'])}'>ROI</a></p>"
        f"<p style='color:#888'>Build {e(str(digest.build_id))}</p></body></html>"
    )


def items_csv(items: pd.DataFrame) -> str:
    """The items as CSV: the value as text in its unit and as the exact number beside it."""
    rows = items.itertuples(index=False)  # formula-like cells neutralised (core.csv_cells)
    return csv_text(
        list(items.columns), ([None if v is None or v != v else v for v in r] for r in rows)
    )


def email(digest: Digest, items: pd.DataFrame, sender: str, recipient: str) -> EmailMessage:
    """The digest as an email to ``recipient``: text, HTML alternative, CSV attachment."""
    message = EmailMessage()
    message["Subject"] = subject(digest, items)
    message["From"] = sender
    message["To"] = recipient
    message.set_content(text_body(digest, items))
    message.add_alternative(html_body(digest, items), subtype="html")
    message.add_attachment(
        items_csv(items).encode(),
        maintype="text",
        subtype="csv",
        filename=f"needs-action-{digest.week}.csv",
    )
    return message


def webhook_payload(digest: Digest, items: pd.DataFrame) -> dict[str, Any]:
    """A Slack-compatible message: ``text`` (the fallback) and ``blocks``."""
    shown = items.head(MAX_CHAT_ITEMS)
    listed = "\n".join(f"• {_item_line(r)}" for r in shown.itertuples())
    if len(items) > len(shown):
        listed += f"\n… and {len(items) - len(shown)} more in the review"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": subject(digest, items)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(_headline_lines(digest))}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": listed or "Nothing needs action."},
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"<{digest.links['review']}|Open the review> · "
                    f"<{digest.links['roi']}|ROI> · build {digest.build_id}",
                }
            ],
        },
    ]
    return {"text": subject(digest, items), "blocks": blocks}
