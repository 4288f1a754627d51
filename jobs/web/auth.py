"""Who may write: the bearer token of [web] token (the API), or a login session made with it
(the pages: a signed cookie holding a CSRF token that every form posts back)."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request

from jobs.config import WebSettings
from jobs.web.errors import WebError

__all__ = ["Auth", "SESSION_COOKIE"]

SESSION_COOKIE = "govreports_session"
SESSION_SECONDS = 12 * 3600


class Auth:
    def __init__(self, web: WebSettings) -> None:
        self.token = web.token
        secret = web.session_secret or hashlib.sha256(
            b"govreports-web-session:" + web.token.encode("utf-8")).hexdigest()
        self._signer = URLSafeTimedSerializer(secret, salt="govreports-session")

    @property
    def writes_enabled(self) -> bool:
        return bool(self.token)

    def token_matches(self, given: str | None) -> bool:
        return bool(self.token) and given is not None and hmac.compare_digest(
            given.encode("utf-8"), self.token.encode("utf-8"))

    def require_bearer(self, request: Request) -> None:
        """For API writes: Authorization: Bearer <token>, else 401 (403 when writes are off)."""
        if not self.writes_enabled:
            raise WebError(403, "writes are off: no [web] token is configured")
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not self.token_matches(given.strip()):
            raise WebError(401, "a valid bearer token is needed (Authorization: Bearer <token>)",
                           headers={"WWW-Authenticate": 'Bearer realm="govreports"'})

    # -------------------------------------------------------------------- page sessions

    def session(self, request: Request) -> dict[str, Any]:
        """The request's session ({"csrf", "auth"}), or a new one (not yet sent)."""
        raw = request.cookies.get(SESSION_COOKIE)
        if raw:
            try:
                data = self._signer.loads(raw, max_age=SESSION_SECONDS)
                if isinstance(data, dict) and isinstance(data.get("csrf"), str):
                    return {"csrf": data["csrf"], "auth": bool(data.get("auth")), "new": False}
            except BadSignature:
                pass
        return {"csrf": secrets.token_urlsafe(24), "auth": False, "new": True}

    def cookie_value(self, session: dict[str, Any]) -> str:
        return self._signer.dumps({"csrf": session["csrf"], "auth": bool(session.get("auth"))})

    def check_csrf(self, session: dict[str, Any], given: str | None) -> None:
        if session.get("new") or not given or not hmac.compare_digest(
                given.encode("utf-8"), str(session["csrf"]).encode("utf-8")):
            raise WebError(403, "the form has expired or did not come from this site: reload the "
                                "page and try again")

    def require_login(self, session: dict[str, Any], csrf: str | None) -> None:
        """For page writes: a logged-in session and the form's CSRF token."""
        if not self.writes_enabled:
            raise WebError(403, "writes are off: no [web] token is configured")
        self.check_csrf(session, csrf)
        if not session.get("auth"):
            raise WebError(401, "log in first (the [web] token)")
