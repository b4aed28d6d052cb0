"""A small OpenID Connect provider for tests, on 127.0.0.1 (no external service).

Discovery, an authorize page with a user picker, the token endpoint (authorization code,
RS256 id_token with the user's ``email`` and ``groups``), JWKS and userinfo. Users are fixed
when it starts: ``OidcProvider({"ana@example.com": ["outcomes-admins"]}).start()``.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
import urllib.parse
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

with warnings.catch_warnings():  # authlib 1.x says jose moves to joserfc; it still works
    warnings.simplefilter("ignore")
    from authlib.jose import JsonWebKey, jwt


class OidcProvider:
    """Serve the provider in a thread; ``issuer`` is its base URL once started."""

    def __init__(self, users: dict[str, list[str]], client_id: str = "outcomes") -> None:
        self.users, self.client_id = users, client_id
        self.key = JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": "k1"})
        self.codes: dict[str, dict] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> OidcProvider:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def claims(self, user: str, nonce: str | None) -> dict:
        now = int(time.time())
        return {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": user,
            "email": user,
            "name": user,
            "groups": self.users[user],
            "iat": now,
            "exp": now + 600,
            **({"nonce": nonce} if nonce else {}),
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _send(self, status: int, body: bytes, kind: str, **headers: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def _json(self, data: dict) -> None:
                self._send(200, json.dumps(data).encode(), "application/json")

            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/.well-known/openid-configuration":
                    return self._json(provider.discovery())
                if url.path == "/jwks":
                    return self._json({"keys": [provider.key.as_dict(is_private=False)]})
                if url.path == "/authorize":
                    hidden = "".join(
                        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                        for k, v in query.items()
                    )
                    options = "".join(f"<option>{html.escape(u)}</option>" for u in provider.users)
                    page = (
                        f'<form method="post" action="/authorize">{hidden}'
                        f'<select name="user" id="user">{options}</select>'
                        '<button id="approve" type="submit">Sign in</button></form>'
                    )
                    return self._send(200, page.encode(), "text/html")
                if url.path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    grant = provider.codes.get(f"token:{token}")
                    if grant:
                        return self._json(provider.claims(grant["user"], None))
                return self._send(404, b"not found", "text/plain")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                if self.path == "/authorize":
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = {"user": form["user"], "nonce": form.get("nonce")}
                    back = {"code": code, "state": form.get("state", "")}
                    target = f"{form['redirect_uri']}?{urllib.parse.urlencode(back)}"
                    return self._send(302, b"", "text/plain", Location=target)
                if self.path == "/token":
                    grant = provider.codes.pop(form.get("code", ""), None)
                    if grant is None:
                        return self._send(400, b'{"error":"invalid_grant"}', "application/json")
                    access = secrets.token_urlsafe(16)
                    provider.codes[f"token:{access}"] = grant
                    claims = provider.claims(grant["user"], grant["nonce"])
                    id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, provider.key)
                    return self._json(
                        {
                            "access_token": access,
                            "token_type": "Bearer",
                            "expires_in": 600,
                            "id_token": id_token.decode(),
                        }
                    )
                return self._send(404, b"not found", "text/plain")

        return Handler
