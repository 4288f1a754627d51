"""Duplicate detection: the exact key (hash of normalised clean text)."""
from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = ["normalise_for_hash", "content_sha256"]

_SPACE = re.compile(r"\s+")


def normalise_for_hash(text: str) -> str:
    """NFKC and no white space: the same text with other spacing or full/half-width forms is equal."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


def content_sha256(text: str) -> str:
    """The exact-duplicate key of a clean text."""
    return hashlib.sha256(normalise_for_hash(text).encode("utf-8")).hexdigest()
