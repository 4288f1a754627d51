"""Engine, sessions and schema migrations (applied on start)."""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["Database", "open_database", "MIGRATIONS_DIR", "tune_for_reading"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The execution option marking a read session's connections (Database.read_session).
_READ_ONLY = "govreports_read_only"


def _sqlite_pragmas(busy_timeout_ms: int):
    def on_connect(dbapi_conn, _record) -> None:
        cur = dbapi_conn.cursor()
        # WAL lets the service read while a crawl process writes; busy_timeout makes writers wait
        # for each other instead of failing with "database is locked".
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()
        dbapi_conn.isolation_level = None
    return on_connect


class Database:
    """An engine plus a session factory; one per process."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 30000, compression_level: int = 6) -> None:
        self.url = url
        self.compression_level = compression_level
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            db_path = parsed.database
            if db_path and db_path != ":memory:":
                Path(db_path).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(
                url, connect_args={"timeout": busy_timeout_ms / 1000})
            event.listen(self.engine, "connect", _sqlite_pragmas(busy_timeout_ms))
            # pysqlite defers BEGIN until the first write, which breaks SAVEPOINTs; the
            # SQLAlchemy-documented fix: turn its own transaction handling off and emit BEGIN
            # ourselves. IMMEDIATE takes the write lock up front: a deferred transaction that reads
            # and then writes after another connection committed fails at once with "database is
            # locked" instead of waiting out busy_timeout. WAL keeps readers unblocked.
            # A read session (read_session) begins a deferred transaction instead: it never
            # writes, and readers then run side by side instead of queueing for the write lock.
            event.listen(self.engine, "begin", lambda conn: conn.exec_driver_sql(
                "BEGIN" if conn.get_execution_options().get(_READ_ONLY) else "BEGIN IMMEDIATE"))
        else:
            self.engine = create_engine(url, pool_pre_ping=True)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(self.engine.execution_options(**{_READ_ONLY: True}),
                                           expire_on_commit=False)

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error."""
        with self.sessions() as session:
            with session.begin():
                yield session

    @contextlib.contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reads only (the web app's pages). On SQLite its transaction is deferred,
        so it takes no write lock: concurrent readers do not wait for each other, nor writers
        for them (WAL gives each reader its snapshot). Writing in it may fail with "database is
        locked" where another connection wrote first: write in session()."""
        with self._read_sessions() as session:
            with session.begin():
                yield session

    def upgrade(self) -> None:
        """Apply every pending Alembic migration."""
        command.upgrade(alembic_config(self.url, self.engine), "head")

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str, engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def open_database(url: str, *, busy_timeout_ms: int = 30000, compression_level: int = 6,
                  migrate: bool = True) -> Database:
    db = Database(url, busy_timeout_ms=busy_timeout_ms, compression_level=compression_level)
    if migrate:
        db.upgrade()
    return db


def tune_for_reading(db: Database, *, cache_mb: int = 64, mmap_mb: int = 256) -> None:
    """SQLite: a larger page cache and memory-mapped reads for the connections opened from now
    on (the web app's: a search page with facets reads a few thousand index and report pages,
    more than SQLite's 2 MB default cache holds). Nothing on other backends."""
    if db.dialect != "sqlite":
        return

    def on_connect(dbapi_conn, _record) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA cache_size=-{int(cache_mb) * 1024}")
        cur.execute(f"PRAGMA mmap_size={int(mmap_mb) * 2**20}")
        cur.close()

    event.listen(db.engine, "connect", on_connect)
    db.engine.dispose()  # pooled connections were opened without it
