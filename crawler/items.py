"""The one item the spider yields: a capture (a fetched response, or a failed or skipped fetch)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from storage.models import utcnow

__all__ = ["CaptureItem"]


@dataclass
class CaptureItem:
    """A capture to write. `key` is unique within the run, so a child (an attachment, a list
    item) can name its parent before the parent's row exists: `parent_key`. A parent known from an
    earlier run is named by its row id instead: `parent_capture_id`."""

    key: int
    url: str
    canonical_url: str
    role: str  # home | list | detail | attachment
    fetch_state: str
    final_url: str | None = None
    parent_key: int | None = None
    parent_capture_id: int | None = None
    link_text: str | None = None
    http_status: int | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body: bytes | None = None
    body_sha256: str | None = None
    fetch_error: str | None = None
    skip_reason: str | None = None
    fetched_at: dt.datetime = field(default_factory=utcnow)
