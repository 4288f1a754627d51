"""Main-content extraction on real Chinese pages nobody here wrote (tests/data/zh-extraction).

Bag-of-characters F1 after NFKC and removing white space, against hand-copied gold text (which
leaves out title, date and author), and date accuracy against the gold .date files. The floors
are the project's targets; the figures are printed (`pytest -s`) to compare runs.
"""
from __future__ import annotations

import re
import statistics
from collections import Counter
from pathlib import Path

import pytest

from pipeline.decode import decode_html
from pipeline.process import parse_document
from pipeline.records import ParsedDocument, ParseOptions
from textscore import HALF, f1
from textscore import norm as _norm

DATA = Path(__file__).resolve().parent / "data" / "zh-extraction"
PAGES = sorted(p.stem for p in (DATA / "html").glob("*.html"))
MEAN_F1_FLOOR, MEDIAN_F1_FLOOR, DATE_FLOOR = 0.93, 0.99, 0.90


def gold_date(page: str) -> tuple[int, ...] | None | str:
    """(y, m, d) or a prefix of it; None for UNKNOWN; "" when the gold file is empty (unscored)."""
    raw = (DATA / "gold" / f"{page}.date").read_text("utf-8").strip()
    if not raw:
        return ""
    m = re.match(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", raw)
    return tuple(int(x) for x in m.groups() if x) if m else None


@pytest.fixture(scope="module")
def results() -> dict[str, ParsedDocument]:
    opts = ParseOptions(min_report_chars=0)  # news items can be short; score them all
    out = {}
    for page in PAGES:
        doc = parse_document((DATA / "html" / f"{page}.html").read_bytes(), options=opts)
        assert isinstance(doc, ParsedDocument), (page, doc)
        out[page] = doc
    return out


def test_data_present():
    assert len(PAGES) == 35


def test_text_f1_floor(results):
    scores = {page: f1(results[page].text, (DATA / "gold" / f"{page}.txt").read_text("utf-8")) for page in PAGES}
    mean, median = statistics.mean(scores.values()), statistics.median(scores.values())
    # Pages are named only from the tuning half (bench/parse_speed.py's HALF): the test half
    # is reported in aggregate, never page by page.
    tuning = {p: s for p, s in scores.items() if HALF(p) == "tune"}
    print(f"\nzh-extraction F1: mean {mean:.4f}, median {median:.4f}, worst of the tuning half "
          + ", ".join(f"{p[:8]} {s:.3f}" for p, s in sorted(tuning.items(), key=lambda kv: kv[1])[:5]))
    assert mean >= MEAN_F1_FLOOR
    assert median >= MEDIAN_F1_FLOOR


def test_date_accuracy_floor(results):
    right, scored, wrong = 0, 0, []
    for page in PAGES:
        want = gold_date(page)
        if want == "":
            continue
        got = results[page].published_at
        scored += 1
        ok = got is None if want is None else (got is not None and (got.year, got.month, got.day)[:len(want)] == want)
        right += ok
        if not ok:
            wrong.append(f"{page[:8]} want {want} got {got}")
    accuracy = right / scored
    print(f"\nzh-extraction dates: {right}/{scored} = {accuracy:.3f}; wrong: {wrong}")
    assert accuracy >= DATE_FLOOR


@pytest.mark.parametrize("page", PAGES)
def test_no_page_is_garbled(page):
    body = (DATA / "html" / f"{page}.html").read_bytes()
    text = decode_html(body)
    gold = _norm((DATA / "gold" / f"{page}.txt").read_text("utf-8"))
    han = [ch for ch in gold if "\u4e00" <= ch <= "\u9fff"]
    page_chars = Counter(_norm(text))
    found = sum(min(n, page_chars[ch]) for ch, n in Counter(han).items())
    assert found >= 0.97 * len(han), f"{page}: only {found}/{len(han)} of the gold's characters decoded"
    assert text.count("\ufffd") <= 20
