"""Database faults during a parse batch: a read-only SQLite file, a full disk (SQLite's page
limit standing in for a full file system), a corrupted page, a PostgreSQL connection dropped
mid-batch. Each ends with one worded line (or, for the dropped connection, the batch goes on on a
new connection), and nothing stored before is lost or changed."""
from __future__ import annotations

import hashlib
import uuid

import pytest
from sqlalchemy import event, select, text

import seedpages
from jobs.cli import main
from jobs.config import DatabaseSettings, Settings
from jobs.parsing import parse_pending
from pipeline.urls import canonical_url
from storage.captures import record_capture
from storage.db import Database
from storage.faults import DatabaseFault
from storage.models import Capture, Report

BASE = "http://www.hp.gov.cn/zwgk/fzzf/"


def _record(db, name: str, key: str, fmt: str = "docx") -> int:
    body, _ = seedpages.build(key, fmt)
    with db.session() as s:
        return record_capture(s, run_id=None, source_id=None, url=BASE + name,
                              canonical_url=canonical_url(BASE + name), final_url=None,
                              role="attachment", parent_capture_id=None, link_text=None,
                              http_status=200, content_type="application/octet-stream",
                              etag=None, last_modified=None, body=body, fetch_state="ok",
                              fetch_error=None)


def _stored(db) -> list[tuple]:
    with db.session() as s:
        return [(r.id, r.title, r.text) for r in s.scalars(select(Report).order_by(Report.id))]


def _states(db) -> dict[str, str]:
    with db.session() as s:
        return {c.url.rsplit("/", 1)[1]: c.parse_state for c in s.scalars(select(Capture))}


@pytest.fixture
def stored(tmp_path):
    """A SQLite database with one report stored and one more capture pending."""
    url = f"sqlite:///{tmp_path / 'govreports.db'}"
    db = Database(url)
    db.upgrade()
    settings = Settings(database=DatabaseSettings(url=url))
    _record(db, "first.docx", "003")
    assert parse_pending(settings, db).new_reports == 1
    _record(db, "second.docx", "002")
    yield settings, db, tmp_path / "govreports.db"
    db.dispose()


def _one_line(msg: str) -> None:
    assert "\n" not in msg and "Traceback" not in msg and "sqlite3." not in msg


def test_read_only_sqlite_fails_in_one_line_and_changes_nothing(stored):
    settings, db, _ = stored
    before = _stored(db)
    ro = Database(settings.database.url)
    event.listen(ro.engine, "connect",
                 lambda conn, _: conn.execute("PRAGMA query_only = ON"))  # what a read-only file does
    with pytest.raises(DatabaseFault) as fault:
        parse_pending(settings, ro)
    ro.dispose()
    _one_line(str(fault.value))
    assert "the database is read-only" in str(fault.value)
    assert _stored(db) == before and _states(db)["second.docx"] == "pending"


def test_full_disk_rolls_back_the_capture_and_keeps_what_was_stored(stored):
    settings, db, _ = stored
    before = _stored(db)
    full = Database(settings.database.url)

    def no_room(conn, _):
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")  # not one page more
    event.listen(full.engine, "connect", no_room)
    with pytest.raises(DatabaseFault) as fault:
        parse_pending(settings, full)
    full.dispose()
    _one_line(str(fault.value))
    assert "the disk holding the database is full" in str(fault.value)
    assert _stored(db) == before and _states(db)["second.docx"] == "pending"
    # With room again, the capture that did not fit is parsed.
    assert parse_pending(settings, db).new_reports == 1


def test_corrupted_page_is_named_and_the_file_is_not_written(stored, capsys):
    settings, db, path = stored
    db.dispose()
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    for start in range(page, len(data), page):  # every page but the first (the schema's root)
        data[start + 8:start + 64] = b"\xa5" * 56
    path.write_bytes(bytes(data))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(SystemExit) as end:
        main(["--db", settings.database.url, "reparse"])
    from jobs.cli.errors import EXIT_DATA
    assert end.value.code == EXIT_DATA
    msg = capsys.readouterr().err.strip()
    _one_line(msg)
    assert msg.startswith("govreports reparse: error: ") and ("damaged" in msg or "corrupt" in msg), msg
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


@pytest.mark.postgres
def test_postgres_connection_dropped_mid_batch_goes_on_on_a_new_one(pg_url, caplog, monkeypatch):
    app = f"govreports-fault-{uuid.uuid4().hex[:8]}"
    url = pg_url + ("&" if "?" in pg_url else "?") + f"application_name={app}"
    db = Database(url)
    db.upgrade()
    settings = Settings(database=DatabaseSettings(url=url))
    _record(db, "first.docx", "003")
    assert parse_pending(settings, db).new_reports == 1
    before = _stored(db)
    for name, key in (("a.docx", "000"), ("b.docx", "002"), ("c.docx", "001")):
        _record(db, name, key)
    admin = Database(pg_url)
    from jobs.parse_sandbox import ParseRunner
    original = ParseRunner.parse
    calls: list[int] = []
    killed: list[bool] = []

    def parse_then_drop(self, body, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the second capture's transaction is open, its row claimed
            with admin.engine.connect() as c:
                killed.extend(c.scalars(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :a AND state = 'idle in transaction'"), {"a": app}))
                c.commit()
        return original(self, body, **kwargs)

    monkeypatch.setattr(ParseRunner, "parse", parse_then_drop)
    summary = parse_pending(settings, db)
    admin.dispose()
    assert killed and all(killed)
    assert summary.new_reports == 3 and summary.failed == 0, summary.errors
    dropped = [r.getMessage() for r in caplog.records if "trying again" in r.getMessage()]
    assert len(dropped) == 1 and "connection to PostgreSQL was" in dropped[0], dropped
    assert _stored(db)[:1] == before
    assert set(_states(db).values()) == {"parsed"}
    db.dispose()
