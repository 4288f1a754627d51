"""Cluster-wide locks: at most one crawl of a host at a time across every worker; one parse batch
at a time; one schema migration at a time.

On PostgreSQL these are session advisory locks, each lease holding its own connection. Why there
and not in Redis (SET NX PX with a renewal thread):
- PostgreSQL drops a session's locks the moment its connection goes (a killed worker's TCP socket is
  closed by the kernel; a vanished machine is noticed through TCP keepalives, set below), so there is
  no expiry to guess against crawls lasting from seconds to an hour, and no renewal thread that a
  stalled process could miss while its crawl still runs, letting a second worker onto the site.
- Every worker must reach the one PostgreSQL database anyway; the lock needs nothing else, and works
  the same whichever broker is used (a RabbitMQ deployment has no Redis at all).
Keys are the first 8 bytes of BLAKE2b over the schema and the lock's name, in PostgreSQL's bigint
key space (advisory locks are per database, so two installations, or two test schemas, in one
database never block each other); a collision between two hosts would only make them take turns.
The lock connection must reach PostgreSQL itself (or a pooler in session mode): a transaction-mode
pooler would hand the lock's session to someone else.

On SQLite (one machine by nature) the same leases are flock()s on files beside the database file;
the kernel releases them when the holding process dies, like PostgreSQL does.
"""
from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Iterable, Sequence
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

__all__ = ["Lease", "lock_key", "host_lock_name", "host_lock_names", "try_lock", "lock",
           "PARSE_LOCK", "MIGRATE_LOCK"]

log = logging.getLogger("govreports.hostlock")

PARSE_LOCK = "parse"
MIGRATE_LOCK = "migrate"
_DEFAULT_PORTS = {"http": 80, "https": 443}
# libpq keepalives on the lock connection: a machine that vanishes without closing its socket
# loses its locks after about idle + interval * count = 60 s.
_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
               "keepalives_count": 3}


def lock_key(name: str, schema: str = "") -> int:
    """The signed 64-bit advisory-lock key of *name* in *schema*."""
    digest = hashlib.blake2b(f"govreports-hostlock\0{schema}\0{name}".encode("utf-8"),
                             digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


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


# --------------------------------------------------------------------------- PostgreSQL

def _try_pg(database_url: str, names: list[str]) -> Lease | None:
    engine = sa.create_engine(database_url, poolclass=NullPool,
                              connect_args={**_KEEPALIVES, "application_name": "govreports-lock"})
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    taken: list[int] = []
    try:
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar() or ""
        for name in names:
            key = lock_key(name, schema)
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


# --------------------------------------------------------------------------- SQLite: files

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
        fd = os.open(directory / f"{lock_key(name) & 0xFFFFFFFFFFFFFFFF:016x}.lock",
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
