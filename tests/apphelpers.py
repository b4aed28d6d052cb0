"""The app's pages, read from app.py, so a new page is covered by the page tests at once."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = re.findall(r'st\.Page\("(app_pages/[a-z_]+\.py)"', (ROOT / "app.py").read_text())

# Sign-in in AppTest (issue 12): [auth] in the secrets turns sign-in on, `at.user` is what
# st.user reads; the role comes from the groups claim through settings.auth.group_roles.
AUTH_SECRETS = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": "apptest-cookie-secret",
    "client_id": "outcomes",
    "client_secret": "apptest",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
GROUP_OF_ROLE = {
    "viewer": "outcomes-viewers",
    "operator": "outcomes-operators",
    "analyst": "outcomes-analysts",
    "admin": "outcomes-admins",
}


def sign_in(at, role: str | None, subject: str = "ana@example.com") -> None:
    """Make ``at`` run signed in as ``subject`` in ``role``'s group (None: signed out)."""
    at.secrets["auth"] = dict(AUTH_SECRETS)
    if role is None:
        at.user = {"is_logged_in": False}
    else:
        at.user = {
            "is_logged_in": True,
            "sub": subject,
            "email": subject,
            "groups": [GROUP_OF_ROLE[role]],
        }


class _TagsAndText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def html_tags_and_text(page: str) -> tuple[list[str], str]:
    """The start tags of ``page`` in order, and its text, as an HTML parser reads them.

    >>> html_tags_and_text("<p>a <b>b</b></p>")
    (['p', 'b'], 'a b')
    """
    parser = _TagsAndText()
    parser.feed(page)
    parser.close()
    return parser.tags, "".join(parser.text)
