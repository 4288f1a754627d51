"""Pages per second for parse_document (no jieba keywords) over the zh-extraction pages, next to
readability-lxml and trafilatura in the same run. Medians of several repetitions; each repetition
runs every extractor once, in turn, so that a busy machine slows them all alike.

    .venv/bin/python bench/parse_speed.py [--repeat 5]

Target: extraction and cleaning not slower than readability-lxml (which extracts only). Two rows
of ours: extract_html + clean_lines on decoded text (what readability and trafilatura get), and
the whole parse_document from bytes (decode, extract, clean, fields; no keywords). BeautifulSoup's
tree is timed too: building it alone is why extract.py drives lxml itself.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.clean import clean_lines  # noqa: E402
from pipeline.decode import decode_html  # noqa: E402
from pipeline.extract import extract_html  # noqa: E402
from pipeline.process import parse_document  # noqa: E402
from pipeline.records import ParseOptions  # noqa: E402

PAGES = sorted((ROOT / "tests" / "data" / "zh-extraction" / "html").glob("*.html"))
OURS_CLEAN = "govreports extract_html + clean_lines (text in)"
OURS_PARSE = "govreports parse_document (bytes in: decode+extract+clean+fields)"
READABILITY = "readability-lxml Document(text).summary()"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    bodies = [p.read_bytes() for p in PAGES]
    texts = [decode_html(b) for b in bodies]  # the others get decoded text: decoding is ours alone
    opts = ParseOptions(min_report_chars=0)
    runs: dict[str, Callable[[], object]] = {
        OURS_CLEAN: lambda: [clean_lines(extract_html(t).lines) for t in texts],
        OURS_PARSE: lambda: [parse_document(b, options=opts) for b in bodies],
    }
    try:
        from readability import Document

        runs[READABILITY] = lambda: [Document(t).summary() for t in texts]
    except ImportError:
        print("readability-lxml not installed (pip install -e .[bench])")
    try:
        import trafilatura

        runs["trafilatura.extract(text)"] = lambda: [trafilatura.extract(t) for t in texts]
    except ImportError:
        print("trafilatura not installed (pip install -e .[bench])")
    from bs4 import BeautifulSoup

    runs["BeautifulSoup(text, 'lxml') tree only"] = lambda: [BeautifulSoup(t, "lxml") for t in texts]
    for run in runs.values():  # warm up: imports, lazy tables (divisions, OpenCC), caches
        run()
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeat):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    n = len(bodies)
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"{n} pages, median of {args.repeat} runs")
    print(f"{'extractor':68} {'s/run':>8} {'pages/s':>9}")
    for name, seconds in medians.items():
        print(f"{name:68} {seconds:8.3f} {n / seconds:9.1f}")
    base = medians.get(READABILITY)
    if base:
        for name in (OURS_CLEAN, OURS_PARSE):
            ratio = base / medians[name]
            print(f"{name.split(' (')[0]} is {ratio:.2f}x readability-lxml's speed "
                  f"({'OK' if ratio >= 1 else 'SLOWER'})")


if __name__ == "__main__":
    main()
