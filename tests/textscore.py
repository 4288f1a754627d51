"""How extracted text is scored against hand-copied gold text, for the tests and bench/parse_speed.py
alike: bag-of-characters F1 after NFKC with white space removed, and the fixed split of the real
pages into a tuning half and a test half."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter

__all__ = ["f1", "HALF", "norm", "gate_aware", "lost_cause", "SHORT_GOLD"]


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


SHORT_GOLD = 200  # a gold text under this many characters is a short item (news), not a report


def gate_aware(score: float, stored_chars: int, gold_chars: int, minimum: int = SHORT_GOLD) -> float:
    """A page's F1 where the product storing nothing for a short item is its rule met, not a loss:
    1.0 for no stored text on a page whose gold is under `minimum` characters, else `score`.
    A second view beside the stored F1, never in its place: it says how much of the stored
    figure's shortfall is pages that are not reports."""
    return 1.0 if stored_chars == 0 and gold_chars < minimum else score


def lost_cause(stored_chars: int, raw_chars: int, raw_f1: float, generic_chars: int,
               generic_f1: float, minimum: int = SHORT_GOLD, slack: float = 0.02) -> str | None:
    """Why a page is "lost" (the product stores under `minimum` characters where the generic
    extractor finds `minimum`+), or None when it is not lost:
    "gate": the extraction without the minimum had the text, as good as the generic one's
    (F1 at most `slack` below it), and only the product's minimum dropped it;
    "extraction": the extraction itself fell short."""
    if stored_chars >= minimum or generic_chars < minimum:
        return None
    return "gate" if raw_chars > 0 and raw_f1 >= generic_f1 - slack else "extraction"
