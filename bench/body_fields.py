"""Kind, year and issuer of untitled documents from their bodies, on real openings, both halves.

    .venv/bin/python bench/body_fields.py [--extra FILE.tsv ...]

Rows: tests/data/body-openings.tsv (real openings of documents without their titles, copied from
public pages, each with what it is), plus any `--extra` file laid out the same way. Every row
belongs to a half by the fixed rule of tests/textscore.py (HALF of its URL): the tuning half, on
which the rules of pipeline/body.py were made, and the test half, reported only in aggregate.
Each row goes through parse_text (as `govreports parse` reads a text file) with the length
minimum off: the opening alone is shorter than a report.
"""
from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from pipeline.process import parse_text  # noqa: E402
from pipeline.records import ParsedDocument, ParseOptions  # noqa: E402
from textscore import HALF  # noqa: E402

COMMITTED = ROOT / "tests" / "data" / "body-openings.tsv"


def load(paths: list[Path]) -> list[dict[str, str]]:
    rows = []
    for path in paths:
        lines = [ln for ln in path.read_text("utf-8").splitlines() if ln and not ln.startswith("#")]
        rows.extend(csv.DictReader(lines, delimiter="\t"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extra", type=Path, action="append", default=[])
    args = parser.parse_args()
    rows = load([COMMITTED, *args.extra])
    opts = ParseOptions(min_report_chars=0)
    tally: dict[str, Counter] = {"tune": Counter(), "test": Counter()}
    for row in rows:
        half = HALF(row["url"])
        doc = parse_text(row["text"].replace(" ⏎ ", "\n"), options=opts)
        kind = doc.kind if isinstance(doc, ParsedDocument) else "skipped"
        t = tally[half]
        t["rows"] += 1
        t["kind"] += kind == row["kind"]
        is_report = row["kind"] == "annual_report"
        t["reports"] += is_report
        t["reports_found"] += is_report and kind == "annual_report"
        t["false_reports"] += (not is_report) and kind == "annual_report"
        if is_report and row["year"]:
            t["years"] += 1
            t["year_ok"] += isinstance(doc, ParsedDocument) and doc.report_year == int(row["year"])
        if row["issuer"]:
            t["issuers"] += 1
            t["issuer_ok"] += isinstance(doc, ParsedDocument) and doc.issuer == row["issuer"]
    print(f"{len(rows)} real untitled openings (HALF: sha256(url) even -> tune)")
    print(f"{'half':6} {'rows':>5} {'kind right':>11} {'reports found':>14} {'false reports':>14} "
          f"{'year right':>11} {'issuer right':>13}")
    for half, t in tally.items():
        def frac(a: str, b: str) -> str:
            return f"{t[a]}/{t[b]}" if t[b] else "-"
        print(f"{half:6} {t['rows']:>5} {frac('kind', 'rows'):>11} {frac('reports_found', 'reports'):>14} "
              f"{t['false_reports']:>14} {frac('year_ok', 'years'):>11} {frac('issuer_ok', 'issuers'):>13}")


if __name__ == "__main__":
    main()
