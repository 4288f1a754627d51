"""Scanned reports through the real command line and the real OCR engine (one thread):

- `govreports parse scan.pdf` on a scanned copy of a seed prints the report with its fields and
  its text (bag-of-characters F1 against the seed's text at least 0.97);
- a crawl of the scans web stores the report that is only a scanned PDF, the one that is page
  pictures, and merges the sealed scan of a report published as HTML into it;
- the measured set's ground truth is what the generator makes (slow: the whole set read, with the
  issue's targets for character error rate).
"""
from __future__ import annotations

import collections
import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

import scans
from web.build import build_web
from web.scans import SCANNED
from web.server import TestWeb
from web.texts import SEEDS

REPO = Path(__file__).resolve().parent.parent


def govreports(config: Path | None, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "jobs.cli"] + (["--config", str(config)] if config else []) + list(args)
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=600)
    if result.returncode != 0:
        raise AssertionError(f"govreports {' '.join(args)} exited {result.returncode}:\n"
                             f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    return result


def _chars(text: str) -> collections.Counter:
    return collections.Counter(re.sub(r"\s", "", unicodedata.normalize("NFKC", text)))


def bag_f1(got: str, want: str) -> float:
    """F1 of the two texts' bags of characters (white space out, full/half width alike)."""
    a, b = _chars(got), _chars(want)
    common = sum((a & b).values())
    if not common:
        return 0.0
    precision, recall = common / sum(a.values()), common / sum(b.values())
    return 2 * precision * recall / (precision + recall)


def test_parse_prints_a_scanned_seed_with_its_fields_and_text(tmp_path):
    seed = "001"
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(scans.scanned_seed(seed, 150).pdf())
    doc = json.loads(govreports(None, "parse", "--no-keywords", str(scan)).stdout)
    spec = SEEDS[seed]
    assert (doc["title"], doc["issuer"], doc["report_year"], doc["published_at"], doc["kind"]) == (
        spec.title, spec.issuer, spec.report_year, spec.published.date().isoformat(), "annual_report")
    assert (doc["status"], doc["format"]) == ("ok", "pdf")
    assert doc["ocr"]["engine"].startswith("rapidocr") and doc["ocr"]["confidence"] > 0.95
    assert doc["ocr"]["pages_not_read"] == []
    assert bag_f1(doc["text"], "\n".join(scans.body_text(seed))) >= 0.97
    # Page furniture and the seal are not text; the title and signature are fields, not text.
    assert "—" not in doc["text"] and spec.title not in doc["text"]
    assert doc["signature"].startswith(spec.issuer)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    root = tmp_path_factory.mktemp("ocr-web")
    manifest = build_web(root / "web", profile="scans")
    with TestWeb(manifest.sites_dir) as web:
        config = root / "settings.toml"
        config.write_text(
            f'[database]\nurl = "sqlite:///{root / "govreports.db"}"\n'
            f'[crawl]\nproxy = "{web.proxy_url}"\ndownload_delay_seconds = 0.0\n'
            f'autothrottle = false\ndownload_timeout_seconds = 5\nretry_times = 1\n', encoding="utf-8")
        first = govreports(config, "crawl", *manifest.columns)
        export = govreports(config, "export", "--format", "jsonl")
        reports = {r["title"]: r for r in map(json.loads, export.stdout.splitlines())}
        shown = {title: json.loads(govreports(config, "show", str(r["id"]), "--json").stdout)
                 for title, r in reports.items()}
        state = json.loads(govreports(config, "status", "--json").stdout)
        second = govreports(config, "crawl", "--revisit", "0", *manifest.columns)
        yield {"first": first.stdout, "second": second.stdout, "reports": reports, "shown": shown,
               "status": state, "manifest": manifest}


def test_crawl_stores_scanned_pdf_and_page_pictures_with_their_text(crawled):
    reports = crawled["reports"]
    assert len(reports) == len(SCANNED)
    for report_id, seed, pages, how in SCANNED:
        spec = SEEDS[seed]
        r = reports[spec.title]
        assert (r["issuer"], r["report_year"], r["published_at"]) == (
            spec.issuer, spec.report_year, spec.published.date().isoformat()), report_id
        printed = scans.scanned_seed(seed, 150, max_pages=pages, header=False, images=False)
        body = printed.truth[len(scans._title_lines(spec.title, spec.issuer)):-2]  # no title, signature
        assert bag_f1(r["text"], "".join(body)) >= 0.95, report_id
        urls = r["urls"]
        if how == "pdf":
            assert len(urls) == 1 and urls[0].endswith(".pdf")
        elif how == "pictures":
            assert len(urls) == 1 and urls[0].endswith(".html")
        else:
            assert sorted(u.rsplit(".", 1)[1] for u in urls) == ["html", "pdf"]
    assert "OCR documents:   3 (5 pages read" in crawled["first"]


def test_ocr_results_say_they_came_from_ocr_and_how_sure_the_engine_was(crawled):
    for report_id, seed, _, how in SCANNED:
        detail = crawled["shown"][SEEDS[seed].title]
        meta = detail["fields"]["meta"]
        if how == "html+pdf":  # the HTML page is what the report shows; the scan merged into it
            assert "ocr" not in meta
            scan = next(p for p in detail["publications"] if p["url"].endswith(".pdf"))
            assert scan["merge_reason"]["method"] in ("exact", "near"), scan["merge_reason"]
            continue
        assert meta["ocr"].startswith("rapidocr") and float(meta["ocr_confidence"]) > 0.95
    ocr = crawled["status"]["ocr"]
    assert (ocr["waiting"], ocr["pages_read"], ocr["documents"]) == (0, 5, {"done": 3})


def test_a_second_crawl_reads_nothing_again(crawled):
    assert "new reports:     0" in crawled["second"]
    assert "OCR documents" not in crawled["second"]  # nothing changed, nothing waits


def test_the_generator_makes_the_committed_ground_truth():
    stored = json.loads(scans.TRUTH_FILE.read_text(encoding="utf-8"))
    assert stored == scans.truth_table()


@pytest.mark.slow
def test_the_measured_set_meets_the_targets():
    """Every seed at 150 and 300 dpi (about 60 pages; bench/ocr_speed.py prints the figures)."""
    sys.path.insert(0, str(REPO / "bench"))
    import ocr_speed
    figures = ocr_speed.measure(dpis=(300, 150), seeds=sorted(SEEDS))
    assert figures[300]["cer"] <= 0.02 and figures[150]["cer"] <= 0.05
