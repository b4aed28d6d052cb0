"""`outcomes digest` end to end: the demo's week delivered to a local SMTP sink (aiosmtpd) and
a local HTTP sink on 127.0.0.1, with the same figures as the app, once per recipient."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from outcomes.app.views.weekly_review import triage, weeks
from outcomes.cli import main
from outcomes.core.money import money
from outcomes.roi.summary import summarise
from outcomes.store.snapshot import open_snapshot


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_sink():
    from aiosmtpd.controller import Controller

    class Sink:
        def __init__(self) -> None:
            self.messages: list[tuple[list[str], bytes]] = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            self.messages.append((list(envelope.rcpt_tos), envelope.content))
            return "250 OK"

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller.port, sink.messages
    controller.stop()


@pytest.fixture
def http_sink():
    received: list[tuple[str, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, json.loads(body)))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", received
    server.shutdown()
    server.server_close()


def test_the_digest_reaches_one_inbox_and_one_webhook_once_with_the_apps_figures(
    demo_env, smtp_sink, http_sink, monkeypatch, capsys
) -> None:
    smtp_port, mails = smtp_sink
    base, posts = http_sink
    monkeypatch.setenv("OUTCOMES_DIGEST__SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("OUTCOMES_DIGEST__SMTP_PORT", str(smtp_port))
    monkeypatch.setenv("OUTCOMES_APP_URL", "https://outcomes.example")
    monkeypatch.setenv(
        "OUTCOMES_DIGEST__EVERYTHING_TO", json.dumps(["ops@example.com", f"{base}/hook/ops"])
    )

    assert main(["digest"]) == 0
    assert len(mails) == 1 and len(posts) == 1

    # what the app shows for the same week
    con = open_snapshot(demo_env)
    try:
        week = weeks.default_week(weeks.weeks(con))
        state = triage.with_state(triage.triage(con, week), [], week)
        todo = triage.needs_action(state)
        to_date = summarise(con, None, week)
    finally:
        con.close()
    assert len(todo) > 0, "the demo should have alerts to act on"
    net_to_date = money(to_date.cumulative_net, to_date.currency)

    rcpt, raw = mails[0]
    assert rcpt == ["ops@example.com"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(week) in message["Subject"] and f"{len(todo)} need action" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert f"Net value to date: {net_to_date}" in text and net_to_date in html
    assert f"https://outcomes.example/weekly_review?week={week}" in text
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == f"needs-action-{week}.csv"
    rows = list(csv.DictReader(io.StringIO(attachment.get_content())))
    assert [r["value_text"] for r in rows] == todo["value_text"].tolist()
    assert [r["title"] for r in rows] == todo["title"].tolist()
    for row in todo.head(3).itertuples():
        assert row.value_text in text and row.value_text in html

    path, payload = posts[0]
    assert path == "/hook/ops"
    assert payload["text"] == message["Subject"]
    chat = json.dumps(payload["blocks"], ensure_ascii=False)
    assert net_to_date in chat and todo["value_text"].iloc[0] in chat

    # a second run sends nothing: the delivery log has both recipients for this week
    capsys.readouterr()
    assert main(["digest"]) == 0
    assert len(mails) == 1 and len(posts) == 1
    assert capsys.readouterr().out.count("already_sent") == 2


def test_items_are_routed_by_owner(demo_env, smtp_sink, http_sink, monkeypatch, capsys) -> None:
    smtp_port, mails = smtp_sink
    base, posts = http_sink
    con = open_snapshot(demo_env)
    try:
        week = weeks.default_week(weeks.weeks(con))
        todo = triage.needs_action(triage.with_state(triage.triage(con, week), [], week))
    finally:
        con.close()
    owners = todo["owner"].dropna().unique().tolist()
    assert owners, "the demo's alerts should name owners"
    owner = owners[0]
    monkeypatch.setenv("OUTCOMES_DIGEST__SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("OUTCOMES_DIGEST__SMTP_PORT", str(smtp_port))
    routes = {owner: ["owner@example.com"], "nobody@example.com": [f"{base}/hook/idle"]}
    monkeypatch.setenv("OUTCOMES_DIGEST__ROUTES", json.dumps(routes))

    assert main(["digest"]) == 0
    assert posts == []  # an owner with nothing to act on gets no message
    ((rcpt, raw),) = mails
    assert rcpt == ["owner@example.com"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    (attachment,) = list(message.iter_attachments())
    rows = list(csv.DictReader(io.StringIO(attachment.get_content())))
    assert rows and {r["owner"] for r in rows} == {owner}
    assert len(rows) == int((todo["owner"] == owner).sum())
    assert "nothing_to_send" in capsys.readouterr().out


def test_a_refused_delivery_fails_the_run_and_is_not_logged(demo_env, monkeypatch, capsys) -> None:
    monkeypatch.setenv("OUTCOMES_DIGEST__EVERYTHING_TO", json.dumps(["ops@example.com"]))
    monkeypatch.setenv("OUTCOMES_DIGEST__SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("OUTCOMES_DIGEST__SMTP_PORT", str(_free_port()))  # nobody listens
    assert main(["digest"]) == 1
    assert "failed" in capsys.readouterr().out
    assert main(["digest", "--dry-run"]) == 0  # not logged: it would still be sent
    assert "dry_run" in capsys.readouterr().out
