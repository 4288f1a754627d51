"""Pages per second for parse_document (no jieba keywords) over the zh-extraction pages, next to
readability-lxml and trafilatura in the same run. Medians of several repetitions.

    .venv/bin/python bench/parse_speed.py [--repeat 5]

Target: parse_document not slower than readability-lxml (which extracts only; we also decode,
clean and read fields). BeautifulSoup's tree is timed too: it is why extract.py drives lxml itself.
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

from pipeline.decode import decode_html  # noqa: E402
from pipeline.process import parse_document  # noqa: E402
from pipeline.records import ParseOptions  # noqa: E402

PAGES = sorted((ROOT / "tests" / "data" / "zh-extraction" / "html").glob("*.html"))


def _time(run: Callable[[], None], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    bodies = [p.read_bytes() for p in PAGES]
    texts = [decode_html(b) for b in bodies]  # the others get decoded text: decoding is ours alone
    opts = ParseOptions(min_report_chars=0)
    rows: list[tuple[str, float]] = []

    def ours() -> None:
        for body in bodies:
            parse_document(body, options=opts)

    rows.append(("govreports parse_document (bytes in, decode+extract+clean+fields)", _time(ours, args.repeat)))
    try:
        from readability import Document

        rows.append(("readability-lxml Document(text).summary()",
                     _time(lambda: [Document(t).summary() for t in texts], args.repeat)))
    except ImportError:
        print("readability-lxml not installed (pip install -e .[bench])")
    try:
        import trafilatura

        rows.append(("trafilatura.extract(text)",
                     _time(lambda: [trafilatura.extract(t) for t in texts], args.repeat)))
    except ImportError:
        print("trafilatura not installed (pip install -e .[bench])")
    from bs4 import BeautifulSoup

    rows.append(("BeautifulSoup(text, 'lxml') tree only", _time(lambda: [BeautifulSoup(t, "lxml") for t in texts], args.repeat)))
    n = len(bodies)
    print(f"{n} pages, median of {args.repeat} runs")
    print(f"{'extractor':68} {'s/run':>8} {'pages/s':>9}")
    for name, seconds in rows:
        print(f"{name:68} {seconds:8.3f} {n / seconds:9.1f}")
    base = dict(rows).get("readability-lxml Document(text).summary()")
    if base:
        ratio = base / rows[0][1]
        print(f"parse_document is {ratio:.2f}x readability-lxml's speed ({'OK' if ratio >= 1 else 'SLOWER'})")


if __name__ == "__main__":
    main()
