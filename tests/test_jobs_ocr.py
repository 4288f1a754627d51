"""The OCR step on both databases, with a stand-in engine (the real one is in test_e2e_ocr.py):
waiting captures are read, parsed and stored; a crash resumes at the first page not stored; the
page limit; `status` counts what waits; OCR switched off leaves scans waiting."""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging

import numpy as np
import pytest
from sqlalchemy import func, select

from jobs import tasks
from jobs.config import OcrSettings, Settings
from jobs.ocr import run_ocr, waiting_documents
from storage.captures import record_capture
from storage.models import Capture, OcrDocument, OcrPage, Report
from storage.queries import status

TITLE = "和平县司法局2024年法治政府建设年度报告"
PARAGRAPHS = [
    "2024年，县司法局坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻落实党的二十大精神，"
    "深入学习贯彻习近平法治思想，扎实推进法治政府建设各项工作，取得了明显成效。",
    "一、主要举措和成效",
    "一是坚持依法行政，全年办理行政复议案件128件，纠错率12.5%，审查规范性文件36件，"
    "提出修改意见91条，行政机关负责人出庭应诉率保持100%。",
    "二是坚持严格执法，开展行政执法案卷评查3次，评查案卷210卷，发现问题45个，督促整改到位，"
    "全县行政执法质量稳步提升，群众满意度不断提高。",
]
SIGNATURE = ["和平县司法局", "2025年2月5日"]
PX = 50 / 72  # pixels a point at the 50 dpi these tests render at


def _page_lines(paragraphs):
    """Printed lines (text, indented) as the stand-in engine 'reads' them, 26 characters a line."""
    out = [(TITLE, "title")]
    for para in paragraphs:
        first, rest = para[:24], para[24:]
        out.append((first, "indent"))
        while rest:
            out.append((rest[:26], "full" if len(rest) > 26 else "last"))
            rest = rest[26:]
    return out + [(s, "sign") for s in SIGNATURE]


class StandIn:
    """Detects and 'recognises' the lines of the report above, half of them on each page."""

    name = "stand-in 1.0"

    def __init__(self, *, crash_on_page: int | None = None):
        lines = _page_lines(PARAGRAPHS)
        half = len(lines) // 2
        self.pages = [lines[:half], lines[half:]]
        self.calls = 0
        self.crash_on_page = crash_on_page
        self._texts: list[str] = []

    def detect(self, image):
        if self.crash_on_page is not None and self.calls == self.crash_on_page:
            raise Crash()
        page = self.pages[self.calls % 2]
        self.calls += 1
        boxes, self._texts = [], []
        char = 16 * PX
        for k, (text, how) in enumerate(page):
            y = (100 + 30 * k) * PX
            units = sum(1 if ord(c) > 0x2E80 else 0.55 for c in text)
            x0 = {"indent": 80 + 32, "title": 140, "sign": 380}.get(how, 80) * PX
            x1 = x0 + units * char
            if how == "full":
                x1 = (80 + 26 * 16) * PX
            boxes.append(np.array([[x0, y], [x1, y], [x1, y + char], [x0, y + char]], np.float32))
            self._texts.append(text)
        return boxes

    def recognise(self, crops):
        out = [(t, 0.97) for t in self._texts[:len(crops)]]
        self._texts = self._texts[len(crops):]
        return out


class Crash(BaseException):
    """The process dying mid-document (not an error the job handles)."""


def _settings(db, *, sandbox: bool = True, **ocr) -> Settings:
    """With *sandbox* off the engine runs here: a test can see its calls and its crash."""
    base = Settings()
    return dataclasses.replace(base, ocr=dataclasses.replace(OcrSettings(dpi=50), **ocr),
                               limits=dataclasses.replace(base.limits, sandbox=sandbox)).with_db(db.url)


def _scan_pdf() -> bytes:
    from PIL import Image
    from io import BytesIO
    pages = [Image.new("RGB", (413, 585), (250, 250, 250)) for _ in range(2)]
    buf = BytesIO()
    pages[0].save(buf, "PDF", save_all=True, append_images=pages[1:], resolution=50)
    return buf.getvalue()


def _capture_scan(db, body: bytes | None = None,
                  url: str = "http://www.heping.gov.cn/zwgk/tzgg/202502/P020250205123.pdf") -> int:
    with db.session() as s:
        cid = record_capture(s, run_id=None, source_id=None, url=url, canonical_url=url, final_url=None,
                             role="attachment", parent_capture_id=None, link_text="报告.pdf",
                             http_status=200, content_type="application/pdf", etag=None,
                             last_modified=None, body=body or _scan_pdf(), fetch_state="ok",
                             fetch_error=None,
                             fetched_at=dt.datetime(2025, 2, 6, tzinfo=dt.timezone.utc))
    return cid


def test_a_scanned_pdf_waits_for_ocr_then_is_stored_with_its_text(db):
    settings = _settings(db)
    cid = _capture_scan(db)
    parsed = tasks.parse_pending(settings, db)
    assert parsed.needs_ocr == 1
    with db.session() as s:
        assert waiting_documents(s) == 1 and status(s)["ocr"]["waiting"] == 1
    summary = run_ocr(settings, db, engine=StandIn())
    assert (summary.documents, summary.pages_read, summary.new_reports, summary.waiting) == (1, 2, 1, 0)
    with db.session() as s:
        capture = s.get(Capture, cid)
        assert capture.parse_state == "parsed"
        report = s.get(Report, capture.report_id)
        assert (report.title, report.issuer, report.report_year, report.published_at) == (
            TITLE, "和平县司法局", 2024, dt.date(2025, 2, 5))
        assert "办理行政复议案件128件" in report.text and "一、主要举措和成效" in report.text
        meta = report.fields["meta"]
        assert meta["ocr"] == "stand-in 1.0" and float(meta["ocr_confidence"]) == pytest.approx(0.97)
        doc = s.get(OcrDocument, cid)
        assert (doc.status, doc.pages_total, doc.pages_done, doc.engine) == ("done", 2, 2, "stand-in 1.0")
        info = status(s)["ocr"]
        assert (info["waiting"], info["pages_read"], info["documents"]) == (0, 2, {"done": 1})


def test_an_ocr_run_killed_mid_document_resumes_at_the_next_page(db):
    settings = _settings(db, sandbox=False)
    cid = _capture_scan(db)
    tasks.parse_pending(settings, db)
    with pytest.raises(Crash):
        run_ocr(settings, db, engine=StandIn(crash_on_page=1))
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(OcrPage)) == 1  # page 1 kept
        assert s.get(Capture, cid).parse_state == "needs_ocr"
    engine = StandIn()
    engine.calls = 1  # it will be asked for the second page only
    summary = run_ocr(settings, db, engine=engine)
    assert (summary.pages_reused, summary.pages_read, summary.new_reports) == (1, 1, 1)
    assert engine.calls == 2
    with db.session() as s:
        assert "纠错率12.5%" in s.get(Report, s.get(Capture, cid).report_id).text


def test_pages_past_the_limit_are_not_read_and_the_report_says_so(db):
    settings = _settings(db, max_pages=1)
    cid = _capture_scan(db)
    tasks.parse_pending(settings, db)
    summary = run_ocr(settings, db, engine=StandIn())
    assert (summary.pages_read, summary.pages_failed) == (1, 1)
    with db.session() as s:
        capture = s.get(Capture, cid)
        if capture.report_id is not None:  # half a report may be too short to be one
            assert s.get(Report, capture.report_id).fields["meta"]["ocr_failed_pages"] == "2"
        assert s.get(OcrDocument, cid).error == "pages not read: 2"


def test_ocr_switched_off_leaves_scans_waiting(db):
    settings = _settings(db, enabled=False)
    _capture_scan(db)
    tasks.parse_pending(settings, db)
    summary = run_ocr(settings, db, engine=StandIn())
    assert (summary.documents, summary.waiting) == (0, 1)


def test_read_pages_never_raises_for_bad_input_and_skips_pictures_that_are_not_pages():
    from io import BytesIO

    from PIL import Image

    from jobs.ocr import read_pages
    args = dict(dpi=50, page_seconds=10, max_pixels=10**7, engine=StandIn())
    (broken,) = read_pages(b"%PDF-1.4 not really\n%%EOF", "pdf", [0], **args)
    assert broken["status"] == "failed" and "broken PDF" in broken["error"]
    buf = BytesIO()
    Image.new("RGB", (900, 300), "white").save(buf, "JPEG")  # a banner, not a page
    (banner,) = read_pages(buf.getvalue(), "image", [0], **args)
    assert banner["status"] == "skipped" and "900x300" in banner["error"]
    (junk,) = read_pages(b"\xff\xd8\xff junk", "image", [0], **args)
    assert junk["status"] == "failed"


@functools.lru_cache(maxsize=1)
def _hostile_scan() -> bytes:
    import hostile
    return hostile.huge_image_scan()


def test_a_hostile_scan_stops_at_the_time_limit_and_the_batch_goes_on(db, caplog):
    # Rendering the 1.6-gigapixel picture takes seconds of CPU; a page here gets about one.
    settings = _settings(db, page_seconds=0.5)
    settings = dataclasses.replace(settings, limits=dataclasses.replace(
        settings.limits, cpu_seconds=1.0, wall_seconds=20.0))
    bad = _capture_scan(db, _hostile_scan(), "http://www.heping.gov.cn/zwgk/tzgg/202502/P0202502051.pdf")
    good = _capture_scan(db)
    assert tasks.parse_pending(settings, db).needs_ocr == 2  # no text layer on either
    with caplog.at_level("WARNING", logger="govreports.ocr"):
        summary = run_ocr(settings, db, engine=StandIn())
    assert (summary.failed, summary.new_reports) == (1, 1)
    with db.session() as s:
        capture = s.get(Capture, bad)
        assert capture.parse_state == "failed"
        assert capture.parse_error.startswith(
            "ocr: http://www.heping.gov.cn/zwgk/tzgg/202502/P0202502051.pdf: page 1: time limit: ")
        assert "CPU" in capture.parse_error and "Error" not in capture.parse_error
        assert s.get(OcrDocument, bad).status == "failed"
        page = s.scalars(select(OcrPage).where(OcrPage.source_sha256 == capture.body_sha256)).one()
        assert page.status == "failed" and page.error.startswith("time limit")  # not read again
        assert s.get(Capture, good).parse_state == "parsed"
    # the OCR job's own lines (parse's INFO "needs OCR" line is another stage's)
    lines = [r.getMessage() for r in caplog.records
             if r.levelno >= logging.WARNING and "P0202502051.pdf" in r.getMessage()]
    assert len(lines) == 1 and "time limit" in lines[0], lines
