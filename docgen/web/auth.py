"""Who is asking: local users (session cookie for the pages, HTTP Basic for the API) or the
reverse proxy's headers (``web_auth = "proxy"``), and the CSRF token of a session.

In proxy mode the headers are believed only from the configured proxy: a request that did not
come through the unix socket (``web_socket``) or from ``web_proxy_from`` is refused, so nobody
can name himself by sending the header straight to the app.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import HTTPConnection

from docgen.settings import Settings
from docgen.web import users

SESSION_COOKIE = "docgen_sitzung"
SESSION_SECONDS = 8 * 3600
_BASIC_CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class Identity:
    name: str
    rollen: frozenset[str]
    sitzung: str  # binds the CSRF token: the session nonce, or the user in proxy mode

    @property
    def darf_siegeln(self) -> bool:
        return "freigabe" in self.rollen

    @property
    def ist_admin(self) -> bool:
        return "admin" in self.rollen

    @property
    def rollen_text(self) -> str:
        return ", ".join(sorted(self.rollen)) or "keine"


def _secret(settings: Settings) -> bytes:
    path = users.web_dir(settings) / "geheimnis"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    tmp = path.with_name(f".geheimnis.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(secrets.token_bytes(32))
    try:
        os.link(tmp, path)  # the first writer wins; a second process reads the same secret
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_bytes()


class Auth:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.secret = _secret(settings)
        self.serializer = URLSafeTimedSerializer(self.secret, salt="docgen-sitzung")
        self._basic: dict[str, tuple[float, users.Benutzer]] = {}

    @property
    def proxy(self) -> bool:
        return self.settings.web_auth == "proxy"

    def via_proxy(self, conn: HTTPConnection) -> bool:
        """Did this request come through the configured proxy (socket or address)?"""
        client = conn.scope.get("client")
        if self.settings.web_socket is not None:
            return client is None or not client[0]
        return client is not None and client[0] == self.settings.web_proxy_from

    def from_proxy(self, conn: HTTPConnection) -> Identity | None:
        name = conn.headers.get(self.settings.web_proxy_user_header, "").strip()
        if not name:
            return None
        groups = {g.strip() for g in conn.headers.get(self.settings.web_proxy_groups_header, "").replace(";", ",")
                  .split(",") if g.strip()}
        mapping = {self.settings.web_gruppe_sachbearbeitung: "sachbearbeitung",
                   self.settings.web_gruppe_freigabe: "freigabe", self.settings.web_gruppe_admin: "admin"}
        return Identity(name, frozenset(role for group, role in mapping.items() if group in groups),
                        "proxy:" + name)

    def session_cookie(self, benutzer: users.Benutzer) -> str:
        return self.serializer.dumps({"u": benutzer.name, "n": secrets.token_hex(16)})

    def from_session(self, conn: HTTPConnection) -> Identity | None:
        raw = conn.cookies.get(SESSION_COOKIE)
        if not raw:
            return None
        try:
            data = self.serializer.loads(raw, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        benutzer = users.finden(self.settings, str(data.get("u", "")))
        if benutzer is None:  # removed since the login
            return None
        return Identity(benutzer.name, frozenset({benutzer.rolle}), str(data.get("n", "")))

    def from_basic(self, conn: HTTPConnection) -> Identity | None:
        header = conn.headers.get("authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            name, _, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        key = hashlib.sha256(f"{name}\0{password}".encode()).hexdigest()
        cached = self._basic.get(key)
        benutzer = cached[1] if cached and time.monotonic() - cached[0] < _BASIC_CACHE_SECONDS else None
        if benutzer is None:
            benutzer = users.pruefen(self.settings, name, password)
            if benutzer is None:
                return None
            self._basic[key] = (time.monotonic(), benutzer)
        if users.finden(self.settings, name) is None:
            return None
        return Identity(benutzer.name, frozenset({benutzer.rolle}), "basic:" + benutzer.name)

    def csrf_token(self, identity: Identity) -> str:
        return hmac.new(self.secret, ("csrf:" + identity.sitzung).encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, identity: Identity, token: str) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf_token(identity), token)
