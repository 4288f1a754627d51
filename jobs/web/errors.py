"""The one error type of the web layer: a status and a message for people (never a traceback)."""
from __future__ import annotations

__all__ = ["WebError"]


class WebError(Exception):
    """Shown as {"error": message, "status": status} by the API and as an error page by the pages."""

    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
