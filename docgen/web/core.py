"""What the routes of docgen web share: settings, auth, stores, the service, response helpers."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from docgen.settings import Settings
from docgen.web import store
from docgen.web.auth import Auth
from docgen.web.service import Service

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; object-src 'none'; frame-ancestors 'self'; base-uri 'none'; "
                               "form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class Web:
    """What the routes share: settings, auth, stores and the service with the warm LibreOffice."""

    def __init__(self, settings: Settings, service: Service) -> None:
        self.settings = settings
        self.auth = Auth(settings)
        self.service = service
        self.entwuerfe = store.Entwuerfe(settings)
        self.auftraege = store.Auftraege(settings)


def web_of(request: Request) -> Web:
    return request.app.state.web  # type: ignore[no-any-return]


def problem_json(status: int, meldung: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"fehler": meldung, **extra}, status_code=status, headers=SECURITY_HEADERS)
