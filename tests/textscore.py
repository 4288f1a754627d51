"""How extracted text is scored against hand-copied gold text, for the tests and bench/parse_speed.py
alike: bag-of-characters F1 after NFKC with white space removed, and the fixed split of the real
pages into a tuning half and a test half."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter

__all__ = ["f1", "HALF", "norm"]


def norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def f1(pred: str, gold: str) -> float:
    p, g = Counter(norm(pred)), Counter(norm(gold))
    overlap = sum((p & g).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(p.values()), overlap / sum(g.values())
    return 2 * precision * recall / (precision + recall)


def HALF(page_id: str) -> str:
    """The fixed split: by the SHA-256 of the page id (the file name's stem), never by hand.
    Decided before any result was looked at; the test half is only reported in aggregate."""
    return "tune" if int(hashlib.sha256(page_id.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "test"
