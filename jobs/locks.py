"""Locks between processes and machines: one parser at a time, one active scheduler, one crawl
of a source (or of a host, across workers), one schema migration.

Two shapes over one set of names (a lock name means one lock, whoever takes it):

- ``Locks.acquire(name)`` — a lock with an owner that `status` can show: the service, the CLI and
  the parse/OCR jobs. The mechanics live in storage/locks.py (an advisory lock on PostgreSQL, a
  lock row with a heartbeat on SQLite); this module adds who the process is, whether a holder is
  still alive, a heartbeat thread and waiting.
- ``try_lock(url, names)`` — a lease on several locks at once, all or none: cluster workers take
  the locks of every host a crawl touches, and the migration lock. On PostgreSQL these are session
  advisory locks on a connection of their own (dropped by the server the moment the holder's
  connection goes: no expiry to guess against crawls lasting seconds to an hour, no renewal thread
  a stalled process could miss; the lock needs nothing but the database every worker reaches
  anyway, whichever broker is used). The connection must reach PostgreSQL itself or a pooler in
  session mode. On SQLite (one machine by nature) they are flock()s on files beside the database
  file, which the kernel drops when the holder dies.
"""
from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import random
import socket
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Sequence
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool

from storage import locks as rows
from storage.db import Database
from storage.locks import Holder, Owner
from storage.models import utcnow

if TYPE_CHECKING:
    from jobs.config import Settings

__all__ = [
    "Locks", "HeldLock", "LockBusy", "crawl_lock_name", "PARSE_LOCK", "SCHEDULER_LOCK",
    "process_started", "process_alive", "HOSTNAME",
    "Lease", "try_lock", "lock", "host_lock_name", "host_lock_names", "MIGRATE_LOCK",
]

log = logging.getLogger("govreports.locks")

HOSTNAME = socket.gethostname()
PARSE_LOCK = "parse"
SCHEDULER_LOCK = "scheduler"
MIGRATE_LOCK = "migrate"


def crawl_lock_name(source_id: int | None, start_urls: Sequence[str]) -> str:
    """The lock a crawl takes: per source, or per set of start URLs for a crawl of bare URLs."""
    if source_id is not None:
        return f"crawl:source:{source_id}"
    digest = hashlib.sha256("\n".join(sorted(start_urls)).encode("utf-8")).hexdigest()[:32]
    return f"crawl:urls:{digest}"


def process_started(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), or None if unknown or gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            stat = fh.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ")".
    fields = stat.rsplit(")", 1)[-1].split()
    try:
        return int(fields[19])  # field 22, starttime
    except (IndexError, ValueError):
        return None


def process_alive(pid: int, started: int | None = None) -> bool:
    """Whether *pid* runs on this host (and, when *started* is given, is that same process)."""
    if pid <= 0:
        return False
    if os.path.isdir("/proc"):
        now_started = process_started(pid)
        return now_started is not None and (started is None or now_started == started)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LockBusy(Exception):
    """The lock is held by another live process (or the wait for it ended)."""

    def __init__(self, name: str, holder: Holder | None) -> None:
        self.name = name
        self.holder = holder
        who = holder.describe() if holder else "another process"
        super().__init__(f"lock {name!r} is held by {who}")


class HeldLock:
    """A lock this process holds; `lost` is set if it is taken away (connection dropped)."""

    def __init__(self, locks: "Locks", name: str, owner: Owner, *,
                 conn: Connection | None = None, key: int | None = None) -> None:
        self.name = name
        self.owner = owner
        self.lost = threading.Event()
        self._locks = locks
        self._conn = conn
        self._key = key
        self._mutex = threading.Lock()
        self._released = threading.Event()
        self._thread = threading.Thread(target=self._keep, name=f"lock:{name}", daemon=True)
        self._thread.start()

    def _keep(self) -> None:
        interval = self._locks.heartbeat_seconds
        while not self._released.wait(interval):
            try:
                with self._mutex:
                    if self._released.is_set():
                        return
                    if self._conn is not None:
                        self._conn.exec_driver_sql("select 1")
                        self._conn.commit()
                        alive = True
                    else:
                        with self._locks.db.session() as s:
                            alive = rows.heartbeat_row(s, self.name, self.owner.token)
            except Exception as exc:  # a PostgreSQL connection that fails has lost its lock
                if self._conn is not None:
                    log.error("lock %s: its database connection failed (%s): lock lost",
                              self.name, exc)
                    self.lost.set()
                    return
                log.warning("lock %s: heartbeat failed, will retry: %s", self.name, exc)
                continue
            if not alive:
                log.error("lock %s: taken over by another process: lock lost", self.name)
                self.lost.set()
                return

    def release(self) -> None:
        if self._released.is_set():
            return
        with self._mutex:
            self._released.set()
            try:
                if self._conn is not None:
                    try:
                        rows.advisory_unlock(self._conn, self._key)
                    finally:
                        self._conn.close()  # closing alone would release it too
                with self._locks.db.session() as s:
                    rows.release_row(s, self.name, self.owner.token)
            except Exception as exc:  # the lock is gone with the connection or goes stale anyway
                log.warning("lock %s: release failed (%s); it expires on its own", self.name, exc)
        self._thread.join(timeout=5)

    def __enter__(self) -> "HeldLock":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class Locks:
    """Takes named locks in *db* for this process."""

    def __init__(self, db: Database, *, heartbeat_seconds: float = 10, stale_seconds: float = 60,
                 dead_after_seconds: float | None = None) -> None:
        self.db = db
        self.heartbeat_seconds = heartbeat_seconds
        self.stale_seconds = stale_seconds
        # PostgreSQL: how soon the server should notice a holder whose host vanished.
        self.dead_after_seconds = dead_after_seconds or stale_seconds
        self._pg_engine = None
        if db.dialect == "postgresql":
            # Lock connections live outside the pool: each holds its lock for as long as it is open.
            self._pg_engine = create_engine(db.engine.url, poolclass=NullPool)
            event.listen(self._pg_engine, "connect", self._keepalive_settings())

    def _keepalive_settings(self) -> Callable:
        # Server-side keepalives, so PostgreSQL notices a holder whose host died (and frees its lock)
        # within about dead_after_seconds rather than the kernel's default of two hours.
        idle = max(1, int(self.dead_after_seconds / 3))
        interval = max(1, int(self.dead_after_seconds / 9))

        def on_connect(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute(f"set tcp_keepalives_idle = {idle}")
            cur.execute(f"set tcp_keepalives_interval = {interval}")
            cur.execute("set tcp_keepalives_count = 3")
            cur.execute(f"set tcp_user_timeout = {int(self.dead_after_seconds * 1000)}")
            cur.close()
            dbapi_conn.commit()
        return on_connect

    def owner(self, label: str) -> Owner:
        pid = os.getpid()
        return Owner(host=HOSTNAME, pid=pid, started=process_started(pid), label=label,
                     token=uuid.uuid4().hex)

    def is_stale(self, holder: Holder) -> bool:
        """A holder is gone if it ran here and its process is dead, or its heartbeat stopped."""
        age = (utcnow() - holder.heartbeat_at).total_seconds()
        if holder.host == HOSTNAME:
            if holder.started is not None and os.path.isdir("/proc"):
                return not process_alive(holder.pid, holder.started)
            return not process_alive(holder.pid) or age > self.stale_seconds
        return age > self.stale_seconds

    def holder(self, name: str) -> Holder | None:
        with self.db.session() as s:
            return rows.read_holder(s, name)

    def acquire(self, name: str, *, label: str, wait: bool = False, timeout: float | None = None,
                poll_seconds: float = 1.0, stop: threading.Event | None = None,
                on_wait: Callable[[Holder | None], None] | None = None) -> HeldLock:
        """Take lock *name* or raise LockBusy; with *wait*, poll until it is free (or *timeout*,
        or *stop* is set). *on_wait* is called once, with the holder, when waiting starts."""
        owner = self.owner(label)
        deadline = None if timeout is None else time.monotonic() + timeout
        conn = self._pg_engine.connect() if self._pg_engine is not None else None
        try:
            key = rows.advisory_key(conn, name) if conn is not None else None
            waited = False
            while True:
                held, holder = self._try(name, owner, conn, key)
                if held is not None:
                    conn = None  # now owned by the HeldLock
                    return held
                if not wait or (deadline is not None and time.monotonic() >= deadline):
                    raise LockBusy(name, holder)
                if not waited and on_wait is not None:
                    on_wait(holder)
                waited = True
                if stop is not None:
                    if stop.wait(poll_seconds):
                        raise LockBusy(name, holder)
                else:
                    time.sleep(poll_seconds)
        finally:
            if conn is not None:
                conn.close()

    def _try(self, name: str, owner: Owner, conn: Connection | None,
             key: int | None) -> tuple[HeldLock | None, Holder | None]:
        if conn is not None:
            if not rows.try_advisory_lock(conn, key):
                return None, self.holder(name)
            with self.db.session() as s:
                rows.write_row(s, name, owner)
            return HeldLock(self, name, owner, conn=conn, key=key), None
        with self.db.session() as s:
            holder = rows.try_take_row(s, name, owner, is_stale=self.is_stale)
        if holder is not None:
            return None, holder
        return HeldLock(self, name, owner), None

    def close(self) -> None:
        if self._pg_engine is not None:
            self._pg_engine.dispose()


def make_locks(db: Database, settings: "Settings") -> Locks:
    """The locks of *db*, timed by the [service] settings."""
    svc = settings.service
    return Locks(db, heartbeat_seconds=svc.lock_heartbeat_seconds,
                 stale_seconds=svc.lock_stale_seconds,
                 dead_after_seconds=svc.takeover_seconds * 2 / 3)


# --------------------------------------------------------------------------- leases

_DEFAULT_PORTS = {"http": 80, "https": 443}
# libpq keepalives on the lock connection: a machine that vanishes without closing its socket
# loses its locks after about idle + interval * count = 60 s.
_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
               "keepalives_count": 3}


def host_lock_name(url: str) -> str | None:
    """'host:www.example.gov.cn' for a URL; the port is kept when it is not the scheme's default
    (two servers on one address are two sites). None for a URL without a host."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".").lower()
        port = parts.port
    except ValueError:
        return None
    if not host:
        return None
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host = f"{host}:{port}"
    return f"host:{host}"


def host_lock_names(urls: Iterable[str]) -> list[str]:
    """The distinct host locks a crawl of *urls* needs, sorted (a fixed order for taking them)."""
    return sorted({name for name in (host_lock_name(u) for u in urls) if name})


class Lease:
    """Locks held until release() (or the end of a with block, or the holder's death)."""

    def __init__(self, names: Sequence[str], release) -> None:
        self.names = tuple(names)
        self._release = release

    def release(self) -> None:
        if self._release is not None:
            release, self._release = self._release, None
            try:
                release()
            except Exception:  # the locks go with the connection or file anyway
                log.warning("releasing locks %s failed", ", ".join(self.names), exc_info=True)

    @property
    def held(self) -> bool:
        return self._release is not None

    def __enter__(self) -> "Lease":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def try_lock(database_url: str, names: Sequence[str]) -> Lease | None:
    """Take every lock in *names* at once, or none of them: None when any is held elsewhere."""
    names = sorted(set(names))
    if make_url(database_url).get_backend_name() == "postgresql":
        return _try_pg(database_url, names)
    return _try_files(_lock_dir(database_url), names)


def lock(database_url: str, names: Sequence[str], *, wait_seconds: float,
         poll_seconds: float = 0.2) -> Lease | None:
    """Like try_lock, but wait up to *wait_seconds* for the locks; None if they stay taken."""
    deadline = time.monotonic() + wait_seconds
    while True:
        lease = try_lock(database_url, names)
        if lease is not None or time.monotonic() >= deadline:
            return lease
        time.sleep(poll_seconds * random.uniform(0.5, 1.5))


# --------------------------------------------------------------------------- leases on PostgreSQL

def _try_pg(database_url: str, names: list[str]) -> Lease | None:
    engine = sa.create_engine(database_url, poolclass=NullPool,
                              connect_args={**_KEEPALIVES, "application_name": "govreports-lock"})
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    taken: list[int] = []
    try:
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar() or ""
        for name in names:
            key = rows.lock_key(name, schema)
            if not conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                break
            taken.append(key)
    except BaseException:
        conn.close()
        engine.dispose()
        raise
    if len(taken) < len(names):
        # Closing the session releases what was taken.
        conn.close()
        engine.dispose()
        return None

    def release() -> None:
        try:
            conn.execute(sa.text("SELECT pg_advisory_unlock_all()"))
        finally:
            conn.close()
            engine.dispose()

    return Lease(names, release)


# --------------------------------------------------------------------------- leases on SQLite: files

def _lock_dir(database_url: str) -> Path:
    path = make_url(database_url).database
    if not path or path == ":memory:":
        return Path(tempfile.gettempdir()) / "govreports-locks"
    p = Path(path)
    return p.parent / f"{p.name}.locks"


def _try_files(directory: Path, names: list[str]) -> Lease | None:
    directory.mkdir(parents=True, exist_ok=True)
    fds: list[int] = []

    def release() -> None:
        for fd in fds:
            os.close(fd)  # closing drops the flock

    for name in names:
        fd = os.open(directory / f"{rows.lock_key(name) & 0xFFFFFFFFFFFFFFFF:016x}.lock",
                     os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            release()
            return None
        except BaseException:
            os.close(fd)
            release()
            raise
        fds.append(fd)
    return Lease(names, release)
