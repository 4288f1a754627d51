"""The sandbox: calls run in reused worker processes; one past its memory, CPU or wall-clock
limit is stopped and replaced, the call fails naming the limit and the stage, the next goes on.
And the parse job under it: hostile captures fail with their stage and limit, the rest is stored,
nothing stored before is changed."""
from __future__ import annotations

import os
import signal
import time

import pytest
from sqlalchemy import select

import hostile
import seedpages
from jobs.config import DatabaseSettings, LimitsSettings, Settings
from jobs.parsing import parse_pending
from jobs.sandbox import LimitExceeded, Sandbox, SandboxLimits, set_stage
from pipeline.urls import canonical_url
from storage.captures import record_capture
from storage.models import Capture, Report

LIMITS = SandboxLimits(memory_mb=200, cpu_seconds=1, wall_seconds=4)


def _pid() -> int:
    return os.getpid()


def _hog() -> int:
    set_stage("file")
    blocks = [bytearray(50_000_000) for _ in range(40)]  # 2 GB
    return len(blocks)


def _sandbox_in_daemon(queue) -> None:
    with Sandbox(LIMITS) as box:
        queue.put(box.run(_pid) != os.getpid())


def test_a_daemonic_process_runs_its_calls_in_the_sandbox_too():
    """A Celery prefork child is a daemonic process: its parse job must still get its workers."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_sandbox_in_daemon, args=(queue,), daemon=True)
    proc.start()
    try:
        assert queue.get(timeout=30) is True
    finally:
        proc.join(10)
    assert proc.exitcode == 0


def _spin() -> None:
    set_stage("clean")
    while True:
        pass


def _sleep() -> None:
    set_stage("extract")
    time.sleep(60)


def _segfault() -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def _raise() -> None:
    raise ValueError("broken input")


def test_worker_is_reused_and_replaced_after_each_limit():
    with Sandbox(LIMITS) as box:
        first = box.run(_pid)
        assert first != os.getpid() and box.run(_pid) == first  # one process, reused
        with pytest.raises(ValueError, match="broken input"):
            box.run(_raise)  # an exception is the call's, the worker stays
        assert box.run(_pid) == first and box.restarts == 0

        with pytest.raises(LimitExceeded) as hit:
            box.run(_hog)
        assert (hit.value.kind, hit.value.stage) == ("memory", "file")
        assert "200 MB" in str(hit.value)
        second = box.run(_pid)
        assert second != first

        with pytest.raises(LimitExceeded) as hit:
            box.run(_spin)
        assert (hit.value.kind, hit.value.stage) == ("time", "clean")
        assert "CPU" in str(hit.value)

        started = time.monotonic()
        with pytest.raises(LimitExceeded) as hit:
            box.run(_sleep)  # no CPU used: only the wall clock stops it
        assert (hit.value.kind, hit.value.stage) == ("time", "extract")
        assert "wall time" in str(hit.value) and time.monotonic() - started < 10

        with pytest.raises(LimitExceeded) as hit:
            box.run(_segfault)
        assert hit.value.kind == "crash" and "SIGSEGV" in str(hit.value)
        assert box.restarts == 4
        assert box.run(_pid) not in (first, second)  # and the batch goes on


def _record(db, url: str, body: bytes, content_type: str) -> int:
    with db.session() as s:
        return record_capture(s, run_id=None, source_id=None, url=url,
                              canonical_url=canonical_url(url), final_url=None,
                              role="attachment", parent_capture_id=None, link_text=None,
                              http_status=200, content_type=content_type, etag=None,
                              last_modified=None, body=body, fetch_state="ok", fetch_error=None)


def _reports(db) -> list[tuple]:
    with db.session() as s:
        return [(r.id, r.title, r.text) for r in s.scalars(select(Report).order_by(Report.id))]


def test_parse_job_fails_hostile_captures_with_stage_and_limit_and_goes_on(db):
    # Readers' limits set wide open, so the sandbox's own limits are what stops these files.
    limits = LimitsSettings(memory_mb=150, cpu_seconds=2, wall_seconds=10,
                            max_unpacked_bytes=2_000_000_000, max_xml_part_bytes=2_000_000_000,
                            max_page_objects=10_000_000,
                            max_glyphs=10_000_000)
    settings = Settings(database=DatabaseSettings(url=db.url), limits=limits)
    base = "http://www.hp.gov.cn/zwgk/fzzf/"
    first, _ = seedpages.build("003", "docx")
    _record(db, base + "before.docx", first, "application/octet-stream")
    assert parse_pending(settings, db).new_reports == 1
    before = _reports(db)

    hostile_files = {
        "part.docx": hostile.docx_huge_part(),  # 190 MB of XML read into memory
        "glyphs.pdf": hostile.many_glyphs(4_000_000),  # minutes of CPU
        "lzw.pdf": hostile.lzw_bomb(),
        "damaged.doc": hostile.doc_random_header(),
    }
    for name, body in hostile_files.items():
        _record(db, base + name, body, "application/octet-stream")
    report, _ = seedpages.build("002", "pdf")
    _record(db, base + "report.pdf", report, "application/pdf")

    summary = parse_pending(settings, db)
    assert (summary.failed, summary.new_reports) == (4, 1), summary.errors
    with db.session() as s:
        errors = {c.url.rsplit("/", 1)[1]: c.parse_error
                  for c in s.scalars(select(Capture).where(Capture.parse_state == "failed"))}
    assert errors["part.docx"].startswith(f"file: {base}part.docx: memory limit: reading it "
                                          "needed more than 150 MB")
    assert errors["glyphs.pdf"].startswith(f"file: {base}glyphs.pdf: time limit:")
    assert errors["lzw.pdf"].startswith(f"file: {base}lzw.pdf: memory limit:")
    assert "header is not valid" in errors["damaged.doc"]
    assert all("\n" not in e and "Traceback" not in e for e in errors.values())
    assert _reports(db)[:1] == before  # nothing stored before is lost or changed
