"""Markup injection without a browser (issue 12): :func:`outcomes.app.markup.md_text` and the
Markdown texts the pages and the review export build from what people typed."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from outcomes.app.exports.weekly_review import ReviewPack, review_markdown
from outcomes.app.markup import md_text
from outcomes.app.views.metric_detail import header_markdown
from outcomes.app.views.weekly_review.weeks import signoff_text
from outcomes.store.state_signoffs import SignOff

IMAGE = "![x](http://127.0.0.1:9/pixel.png)"
LINK = "[click](javascript:alert(1))"
PAYLOADS = [
    IMAGE,
    LINK,
    "<img src=http://127.0.0.1:9/p.png>",
    "<http://127.0.0.1:9/a>",
    "www.evil.example",
]


def live(markdown: str) -> bool:
    """Whether ``markdown`` still holds an unescaped image, link or HTML opener."""
    unescaped = markdown.replace("\\[", "").replace("\\]", "").replace("\\<", "")
    return any(s in unescaped for s in ("](", "<img", "<http")) or "www." in markdown


@pytest.mark.parametrize("payload", PAYLOADS)
def test_md_text_leaves_no_image_link_or_html(payload):
    assert not live(md_text(payload))


def test_a_sign_off_shows_name_comment_and_reason_as_text():
    at = dt.datetime(2026, 1, 12, 9, 30, tzinfo=dt.UTC)
    signoff = SignOff(1, dt.date(2026, 1, 5), IMAGE, LINK, at, ("x",), IMAGE)
    assert not live(signoff_text(signoff))


def test_a_metric_header_shows_owner_grain_and_tags_as_text():
    text = header_markdown({"grain": LINK, "owner": IMAGE, "tags": [IMAGE]}, "")
    assert not live(text) and "**Owner:**" in text


def test_the_review_markdown_export_escapes_notes_and_the_sign_off():
    notes = pd.DataFrame([{"kind": "incident", "text": IMAGE, "author": LINK}])
    pack = ReviewPack(
        week=dt.date(2026, 1, 19),
        build_id="B1",
        scorecard=pd.DataFrame(),
        alerts=pd.DataFrame(),
        notes=notes,
        signoff={"author": IMAGE, "created_at": dt.datetime(2026, 1, 26), "comment": LINK},
    )
    assert not live(review_markdown(pack))
