"""Main-text quality and parse speed on real Chinese pages, next to readability-lxml and
trafilatura on the same pages in the same run.

    .venv/bin/python bench/parse_speed.py [--repeat 5] [--extra DIR ...] [--pages]

Pages: tests/data/zh-extraction (committed), plus every `--extra DIR` laid out the same way
(`html/<id>.html`, `gold/<id>.txt`), kept outside the repository: bench/heldout_pages.py lays
out 150 pages of the DAnIEL corpus (news from 150 Chinese-language sites) and the 34 pages of the
committed pages' dataset that are not committed, from git copies of the two public repositories:

    .venv/bin/python bench/heldout_pages.py --daniel WADDLE_GIT --cwced CWCED_GIT --out /tmp/heldout
    .venv/bin/python bench/parse_speed.py --extra /tmp/heldout   # = --extra .../cwced-rest --extra .../daniel-zh

Quality: bag-of-characters F1 against the hand-copied gold text (after NFKC, white space removed),
for govreports' parse_document with the default options, as the product runs it (a page it skips,
e.g. under min_report_chars, scores 0 and counts as an empty output), the same with that minimum
off ("no min": the extraction alone), readability-lxml's summary and trafilatura's text. "lost"
counts the pages where govreports keeps nothing (or under 200 characters) while readability-lxml
finds 200+: a report the product would miss where a generic extractor has it. Every page belongs to one
half by a fixed rule (HALF in tests/textscore.py, decided before any result was looked at): the tuning half, on
which the extractor may be tuned, and the test half, which is only ever reported in aggregate.
`--pages` prints per-page figures for the tuning half only.

Targets (issue 13), checked per half, the test half deciding: mean F1 as stored >= 0.93; no page
group's mean more than 0.02 below readability-lxml's (as stored, and without the minimum); no lost
page. Lost pages are split by cause (g: only the 200-char minimum dropped a text the extraction had
as well as readability-lxml; x: the extraction fell short). Beside the stored F1, never in its
place, a gate-aware view: a page whose gold is under 200 characters (a short item, no report)
scores 1 when nothing is stored; it says how much of the shortfall is pages that are not reports.

Speed: pages/s over all pages, median of --repeat runs, each run timing every extractor once in
turn so that a busy machine slows them all alike. Target: the whole parse_document (decode,
extract with its fallback where it is needed, clean, fields) takes at most 1.5x readability-lxml's
time over the same pages.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from pipeline.clean import clean_lines  # noqa: E402
from pipeline.decode import decode_html  # noqa: E402
from pipeline.cascade import extract_main  # noqa: E402
from pipeline.process import parse_document  # noqa: E402
from pipeline.records import ParsedDocument, ParseOptions  # noqa: E402
from textscore import HALF, f1, gate_aware, lost_cause, norm  # noqa: E402  (the tests score text the same way)

COMMITTED = ROOT / "tests" / "data" / "zh-extraction"
OURS_CLEAN = "govreports extract_main (cascade) + clean_lines (text in)"
OURS_PARSE = "govreports parse_document (bytes in: decode+extract+clean+fields)"
READABILITY = "readability-lxml Document(text).summary()"
TRAFILATURA = "trafilatura.extract(text)"
SPEED_TARGET = 1.5  # the whole parse at most this many times readability-lxml's time
EMPTY_CHARS = 200  # "readability finds text": at least this many characters
MEAN_TARGET = 0.93  # issue 13: mean F1 on the test half, as stored
GROUP_SLACK = 0.02  # issue 13: never more than this below readability-lxml on any page group


@dataclass
class Page:
    id: str
    group: str  # "committed" or the --extra directory's name
    body: bytes
    gold: str

    @property
    def half(self) -> str:
        return HALF(self.id)


def page_dirs(extra: list[Path]) -> list[Path]:
    """Each --extra directory, or, for one without html/ (heldout_pages.py's --out), its
    subdirectories that have one, each a page group of its own."""
    out = []
    for d in extra:
        out.extend([d] if (d / "html").is_dir() else sorted(s for s in d.iterdir() if (s / "html").is_dir()))
    return out


def load_pages(extra: list[Path]) -> list[Page]:
    pages = []
    for group, base in [("committed", COMMITTED)] + [(d.name, d) for d in page_dirs(extra)]:
        for html in sorted((base / "html").glob("*.html")):
            gold = base / "gold" / f"{html.stem}.txt"
            if gold.exists():
                pages.append(Page(html.stem, group, html.read_bytes(), gold.read_text("utf-8")))
    return pages


def _readability_text(text: str) -> str:
    import lxml.html
    from readability import Document

    summary = Document(text).summary()
    return lxml.html.fromstring(summary).text_content() if summary.strip() else ""


def extractors() -> dict[str, Callable[[Page, str], str]]:
    """name -> f(page, decoded text) -> main text ("" for nothing)."""
    opts = ParseOptions()

    raw_opts = ParseOptions(min_report_chars=0)

    def ours(page: Page, _text: str) -> str:
        doc = parse_document(page.body, options=opts)
        return doc.text if isinstance(doc, ParsedDocument) else ""

    def ours_raw(page: Page, _text: str) -> str:
        doc = parse_document(page.body, options=raw_opts)
        return doc.text if isinstance(doc, ParsedDocument) else ""

    # "govreports" is the product: what it stores (a text under min_report_chars is skipped, and
    # scores 0). "govreports, no min" is the extraction alone, with that filter off.
    out: dict[str, Callable[[Page, str], str]] = {"govreports": ours, "govreports, no min": ours_raw}
    try:
        import readability  # noqa: F401

        out["readability-lxml"] = lambda _p, t: _readability_text(t)
    except ImportError:
        print("readability-lxml not installed (pip install -e .[bench])")
    try:
        import trafilatura

        out["trafilatura"] = lambda _p, t: trafilatura.extract(t) or ""
    except ImportError:
        print("trafilatura not installed (pip install -e .[bench])")
    return out


def quality(pages: list[Page], texts: list[str], show_pages: bool) -> None:
    runs = extractors()
    scores: dict[str, list[float]] = {name: [] for name in runs}
    lengths: dict[str, list[int]] = {name: [] for name in runs}
    for page, text in zip(pages, texts):
        for name, run in runs.items():
            got = run(page, text)
            scores[name].append(f1(got, page.gold))
            lengths[name].append(len(norm(got)))
    methods = Counter()
    for page in pages:
        doc = parse_document(page.body, options=ParseOptions())
        methods[doc.meta.get("method", "?") if isinstance(doc, ParsedDocument) else f"skipped: {doc.reason}"] += 1

    groups: list[tuple[str, list[int]]] = []
    for half in ("tune", "test"):
        idx = [i for i, p in enumerate(pages) if p.half == half]
        if not idx:
            continue
        groups.append((f"{half} (all)", idx))
        # Pages whose gold text is report-sized (EMPTY_CHARS+): where the product's minimum is
        # no excuse for storing nothing; a fixed rule on the gold, not a choice of pages.
        groups.append((f"{half} (gold {EMPTY_CHARS}+)", [i for i in idx if len(norm(pages[i].gold)) >= EMPTY_CHARS]))
        for group in dict.fromkeys(p.group for p in pages):
            sub = [i for i in idx if pages[i].group == group]
            if sub:
                groups.append((f"{half}/{group}", sub))
    names = list(runs)
    has_generic = "readability-lxml" in scores
    gen_scores = scores.get("readability-lxml", [0.0] * len(pages))
    gen_lengths = lengths.get("readability-lxml", [0] * len(pages))
    causes = [lost_cause(lengths["govreports"][i], lengths["govreports, no min"][i],
                         scores["govreports, no min"][i], gen_lengths[i], gen_scores[i], EMPTY_CHARS)
              for i in range(len(pages))]
    print("\nMain-text F1 (bag of characters), mean / median; e = pages with no text (a skip for govreports);"
          f"\nlost = pages where govreports stores nothing (or under {EMPTY_CHARS} characters) while"
          f" readability-lxml finds {EMPTY_CHARS}+ (its count holds what it keeps of headline and bylines);"
          f"\n  of them g = the extraction without the minimum had the text, F1 at most 0.02 below"
          f" readability-lxml's, and only the {EMPTY_CHARS}-char minimum dropped it; x = the extraction fell short")
    head = f"{'pages':26} {'n':>3} " + " ".join(f"{n:>24}" for n in names)
    print(head + f" {'lost':>5} {'g/x':>5}")
    for label, idx in groups:
        cells = []
        for name in names:
            values = [scores[name][i] for i in idx]
            empty = sum(1 for i in idx if lengths[name][i] == 0)
            cells.append(f"{statistics.mean(values):.3f} / {statistics.median(values):.3f} e{empty:<3}")
        lost = [causes[i] for i in idx if causes[i]]
        why = f"{lost.count('gate')}/{lost.count('extraction')}"
        print(f"{label:26} {len(idx):3} " + " ".join(f"{c:>24}" for c in cells) + f" {len(lost):>5} {why:>5}")
    targets(pages, groups, scores, lengths, causes, has_generic)
    print("govreports methods: " + ", ".join(f"{k} {v}" for k, v in methods.most_common()))
    if show_pages:
        print("\nTuning half, per page (the test half is never listed):")
        for i, page in enumerate(pages):
            if page.half != "tune":
                continue
            print(f"  {page.group[:10]:10} {page.id[-12:]:12} gold {len(norm(page.gold)):>5} " +
                  " ".join(f"{name[:11]} {scores[name][i]:.3f} ({lengths[name][i]:>5})" for name in names))


def targets(pages: list[Page], groups: list[tuple[str, list[int]]], scores: dict[str, list[float]],
            lengths: dict[str, list[int]], causes: list[str | None], has_generic: bool) -> None:
    """Issue 13's targets, checked per half (the test half is the verdict: it was never tuned on).
    "as stored" is the measure; the other views say where its shortfall comes from."""
    stored, raw = scores["govreports"], scores["govreports, no min"]
    aware = [gate_aware(stored[i], lengths["govreports"][i], len(norm(p.gold)), EMPTY_CHARS)
             for i, p in enumerate(pages)]
    print(f"\nTargets (issue 13), per half; the test half decides. Views of govreports' mean F1: as stored"
          f" (the measure);\n  no min (the extraction alone); gate-aware (a page whose gold is under"
          f" {EMPTY_CHARS} characters, a short item that is no report, scores 1 when nothing is stored)")
    for half in ("tune", "test"):
        idx = [i for i, p in enumerate(pages) if p.half == half]
        if not idx:
            continue
        short = [i for i in idx if len(norm(pages[i].gold)) < EMPTY_CHARS]
        skipped_short = sum(1 for i in short if lengths["govreports"][i] == 0)
        mean = statistics.mean(stored[i] for i in idx)
        print(f"  {half}: mean F1 as stored {mean:.3f} ({'MET' if mean >= MEAN_TARGET else 'NOT MET'}:"
              f" target >= {MEAN_TARGET}); no min {statistics.mean(raw[i] for i in idx):.3f};"
              f" gate-aware {statistics.mean(aware[i] for i in idx):.3f};"
              f" gold under {EMPTY_CHARS}: {len(short)} pages, {skipped_short} stored as nothing")
        lost = [causes[i] for i in idx if causes[i]]
        gen_lengths = lengths.get("readability-lxml", [0] * len(pages))
        raw_empty = sum(1 for i in idx if lengths["govreports, no min"][i] == 0 and gen_lengths[i] >= EMPTY_CHARS)
        print(f"  {half}: lost {len(lost)} ({'MET' if not lost else 'NOT MET'}: target 0;"
              f" by the minimum alone {lost.count('gate')}, the extraction short {lost.count('extraction')});"
              f" the extraction empty where readability-lxml finds {EMPTY_CHARS}+: {raw_empty}")
        if not has_generic:
            continue
        generic = scores["readability-lxml"]
        for view, values in (("as stored", stored), ("no min", raw)):
            deltas = [(statistics.mean(values[i] for i in sub) - statistics.mean(generic[i] for i in sub), label)
                      for label, sub in groups if label.startswith(half)]
            worst, where = min(deltas)
            print(f"  {half}: groups, {view}: worst mean F1 minus readability-lxml's {worst:+.3f} ({where};"
                  f" {'MET' if worst >= -GROUP_SLACK else 'NOT MET'}: target >= -{GROUP_SLACK})")


def speed(pages: list[Page], texts: list[str], repeat: int) -> None:
    bodies = [p.body for p in pages]
    opts = ParseOptions()
    runs: dict[str, Callable[[], object]] = {
        OURS_CLEAN: lambda: [clean_lines(extract_main(t).lines) for t in texts],
        OURS_PARSE: lambda: [parse_document(b, options=opts) for b in bodies],
    }
    try:
        from readability import Document

        runs[READABILITY] = lambda: [Document(t).summary() for t in texts]
    except ImportError:
        pass
    try:
        import trafilatura

        runs[TRAFILATURA] = lambda: [trafilatura.extract(t) for t in texts]
    except ImportError:
        pass
    from bs4 import BeautifulSoup

    runs["BeautifulSoup(text, 'lxml') tree only"] = lambda: [BeautifulSoup(t, "lxml") for t in texts]
    for run in runs.values():  # warm up: imports, lazy tables (divisions, OpenCC), caches
        run()
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    n = len(bodies)
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"\nSpeed: {n} pages, median of {repeat} runs")
    print(f"{'extractor':68} {'s/run':>8} {'pages/s':>9}")
    for name, seconds in medians.items():
        print(f"{name:68} {seconds:8.3f} {n / seconds:9.1f}")
    base = medians.get(READABILITY)
    if base:
        for name in (OURS_CLEAN, OURS_PARSE):
            ratio = medians[name] / base
            print(f"{name.split(' (')[0]} takes {ratio:.2f}x readability-lxml's time "
                  f"({'OK' if ratio <= SPEED_TARGET else 'TOO SLOW'}: target <= {SPEED_TARGET}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--extra", type=Path, action="append", default=[],
                        help="another directory of real pages (html/, gold/), kept outside the repo, or a directory of such "
                             "directories (heldout_pages.py's --out)")
    parser.add_argument("--pages", action="store_true", help="per-page figures (tuning half only)")
    parser.add_argument("--tune-only", action="store_true",
                        help="quality of the tuning half only (while tuning: the test half stays unseen)")
    parser.add_argument("--no-speed", action="store_true")
    args = parser.parse_args()
    pages = load_pages(args.extra)
    if args.tune_only:
        pages = [p for p in pages if p.half == "tune"]
    texts = [decode_html(p.body) for p in pages]  # the others get decoded text: decoding is ours alone
    halves = Counter(p.half for p in pages)
    print(f"{len(pages)} real pages: tuning half {halves['tune']}, test half {halves['test']} "
          f"(HALF: sha256(page id) even -> tune); load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    quality(pages, texts, args.pages)
    if not args.no_speed:
        speed(pages, texts, args.repeat)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
