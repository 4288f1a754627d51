"""Issue-level check: `govreports serve` keeps running while a crawl's attachments are every
hostile file of tests/hostile.py (PDF filter bombs, zip bombs in DOCX, OFD and WPS, XML entity
tricks, broken DOC, a page of 6 million characters ...) beside a normal report. The normal report
is stored, another source's schedule goes on, the log has one worded line for each hostile file
(its URL, the stage, the cause; no exception text, no traceback), and what was stored before is
unchanged."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select

from conftest import pg_schema
from jobs.config import Settings
from jobs.parsing import parse_pending
from service_harness import Reader, Service, add_sources, wait_until, write_settings
from storage.captures import record_capture
from storage.db import Database
from storage.models import Capture, Report
from web.hostilesite import HOST, build_hostile_site
from web.server import TestWeb
from web.texts import synthetic_report

CLOCK = "www.clock.gov.cn"
# Small reader limits keep the run short; each hostile file meets one of them, or the sandbox's.
LIMITS = {"memory_mb": 512, "cpu_seconds": 20.0, "wall_seconds": 30.0,
          "max_unpacked_bytes": 20_000_000, "max_xml_part_bytes": 10_000_000,
          "max_glyphs": 50_000, "max_page_objects": 20_000, "max_text_chars": 1_000_000}
# A worded cause: no Python exception class or message shape.
EXCEPTION_TEXT = re.compile(r"Traceback|\b[A-Z][A-Za-z]+(Error|Exception)\b|File \"|line \d+, in")


def _clock_site(sites_dir) -> str:
    base = sites_dir / CLOCK
    (base / "files").mkdir(parents=True)
    (base / "files" / "index.html").write_text(
        "<html><head><meta charset='utf-8'><title>首页</title></head><body>XX镇</body></html>",
        encoding="utf-8")
    (base / "files" / "robots.txt").write_text("User-agent: *\nDisallow:\n", encoding="utf-8")
    (base / "site.json").write_text(json.dumps({"host": CLOCK, "charset": "utf-8", "faults": {}}))
    return f"http://{CLOCK}/index.html"


def _store_earlier_report(db_url: str) -> dict[int, tuple[str, str]]:
    """A report stored before the service starts: id -> (hash, text)."""
    db = Database(db_url)
    db.upgrade()
    title = "YY市司法局2024年法治政府建设年度报告"
    body = "".join(f"<p>{p}</p>" for p in synthetic_report("YY市司法局", "YY市", 2024, "earlier"))
    page = (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><h1>{title}</h1>"
            f"<div class='info'>发布时间：2025-02-10</div><div class='content'>{body}</div>"
            "</body></html>").encode()
    url = "http://sfj.yy.gov.cn/zwgk/202502/t20250210_1.html"
    try:
        with db.session() as s:
            record_capture(s, run_id=None, source_id=None, url=url, canonical_url=url,
                           final_url=None, role="detail", parent_capture_id=None, link_text=title,
                           http_status=200, content_type="text/html; charset=utf-8", etag=None,
                           last_modified=None, body=page, fetch_state="ok", fetch_error=None,
                           fetched_at=dt.datetime(2025, 2, 11, tzinfo=dt.timezone.utc))
        assert parse_pending(Settings().with_db(db_url), db).new_reports == 1
        return _reports(db)
    finally:
        db.dispose()


def _reports(db: Database) -> dict[int, tuple[str, str]]:
    with db.session() as s:
        return {r.id: (r.content_sha256, r.text) for r in s.scalars(select(Report))}


@pytest.mark.parametrize("backend", [
    "sqlite", pytest.param("postgresql", marks=[pytest.mark.postgres, pytest.mark.slow])])
def test_serve_keeps_running_through_every_hostile_attachment(tmp_path, backend):
    if backend == "sqlite":
        _serve_through_hostile_attachments(tmp_path, f"sqlite:///{tmp_path / 'govreports.db'}")
    else:
        with pg_schema() as url:
            _serve_through_hostile_attachments(tmp_path, url)


def _serve_through_hostile_attachments(tmp_path, db_url: str) -> None:
    sites = tmp_path / "sites"
    info = build_hostile_site(sites, unpacked=4 * LIMITS["max_unpacked_bytes"])
    clock = _clock_site(sites)
    before = _store_earlier_report(db_url)
    hostile = info["hostile"]
    with TestWeb(sites) as web:
        settings = write_settings(tmp_path / "settings.toml", {
            "crawl": {"proxy": web.proxy_url, "download_timeout_seconds": 5.0},
            "ocr": {"enabled": False}, "limits": LIMITS})
        add_sources(db_url, [("hostile", [info["column"]], "every 1h"),
                             ("clock", [clock], "every 3s")])
        service = Service(tmp_path, db_url, settings).start()
        reader = Reader(db_url)
        try:
            def settled() -> bool:
                with reader.db.session() as s:
                    states = dict(s.execute(select(Capture.url, Capture.parse_state)
                                            .where(Capture.url.startswith(f"http://{HOST}/"))).all())
                return all(states.get(u) not in (None, "pending") for u in hostile) and \
                    states.get(info["report"]["url"]) == "parsed"
            wait_until(settled, 150, what="every hostile file parsed", interval=0.5,
                       on_timeout=lambda: service.text()[-4000:])
            settled_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
            # The schedule goes on: the clock source's crawl fires again after the hostile parse.
            wait_until(lambda: [e for e in reader.events("crawl:clock") if e.event == "fired"
                                and e.at.replace(tzinfo=None) > settled_at], 30,
                       what="a scheduled crawl after the parse",
                       on_timeout=lambda: service.text()[-4000:])
            assert all(r.status in ("succeeded", "running") for r in reader.runs()), reader.runs()
            assert service.running()
            with reader.db.session() as s:
                rows = {c.url: c for c in s.scalars(select(Capture).where(
                    Capture.url.in_([*hostile, info["report"]["url"]])))}
                stored = {r.title for r in s.scalars(select(Report))}
        finally:
            reader.close()
            code = service.stop()
    assert code == 0
    log = service.text()
    assert "Traceback" not in log
    assert info["report"]["title"] in stored
    lines = log.splitlines()
    for url, name in sorted(hostile.items()):
        capture = rows[url]
        about = [ln for ln in lines if url in ln]
        assert len(about) == 1, (name, capture.parse_state, capture.parse_error, about)
        line = about[0]
        stage = line.split(f": {url}: ")[0].rsplit(" ", 1)[-1]
        cause = line.split(f": {url}: ", 1)[1]
        assert stage in ("file", "parse", "extract", "decode", "ocr"), (name, line)
        assert not EXCEPTION_TEXT.search(cause), (name, line)
        # Refused or failed with its reason; the page of nested arrays has no text: it waits for OCR.
        assert capture.parse_state in ("failed", "possible_report", "needs_ocr"), (name, line)
    db = Database(db_url)
    try:
        after = _reports(db)
    finally:
        db.dispose()
    assert {k: after[k] for k in before} == before  # nothing stored before lost or changed
