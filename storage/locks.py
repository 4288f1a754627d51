"""Named locks in the database: who may crawl a source, parse, or run the scheduler right now.

Two mechanisms behind one small surface:

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection kept open by
  the holder. The server drops it the moment that connection ends (process killed, host gone once
  TCP keepalives give up), so a dead holder never blocks anyone.
- SQLite: a row in ``locks`` naming its owner (host, pid, process start time) and refreshed by a
  heartbeat; a row whose owner is dead, or whose heartbeat is older than the stale limit, is taken
  over. The row is written first in its transaction, so two takers serialise on SQLite's write lock.

On PostgreSQL the row is also written, for information only (who holds it, since when): decisions
there rest on the advisory lock alone. Deciding whether an owner is alive is the caller's business
(``is_stale``): this module only reads and writes.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import delete, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from storage.models import Lock, utcnow

__all__ = [
    "Lock", "Owner", "Holder", "try_take_row", "write_row", "heartbeat_row", "release_row",
    "read_holder", "lock_key", "advisory_key", "try_advisory_lock", "advisory_unlock",
]


@dataclass(frozen=True)
class Owner:
    """The process taking a lock."""

    host: str
    pid: int
    started: int | None
    label: str
    token: str


@dataclass(frozen=True)
class Holder:
    """The process holding a lock, as its row says."""

    name: str
    host: str
    pid: int
    started: int | None
    label: str
    acquired_at: dt.datetime
    heartbeat_at: dt.datetime

    def describe(self) -> str:
        return (f"{self.label}, pid {self.pid} on {self.host}, since "
                f"{self.acquired_at.strftime('%Y-%m-%d %H:%M:%S')} UTC")


def _holder(row: Lock) -> Holder:
    return Holder(name=row.name, host=row.owner_host, pid=row.owner_pid, started=row.owner_started,
                  label=row.owner_label, acquired_at=row.acquired_at, heartbeat_at=row.heartbeat_at)


def _values(owner: Owner, now: dt.datetime) -> dict[str, Any]:
    return {"token": owner.token, "owner_host": owner.host, "owner_pid": owner.pid,
            "owner_started": owner.started, "owner_label": owner.label,
            "acquired_at": now, "heartbeat_at": now}


def _insert_if_absent(session: Session, name: str, owner: Owner, now: dt.datetime) -> bool:
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:  # pragma: no cover - only the two supported backends
        raise NotImplementedError(f"locks on {dialect}")
    stmt = insert(Lock).values(name=name, **_values(owner, now)).on_conflict_do_nothing(
        index_elements=["name"])
    return (session.execute(stmt).rowcount or 0) == 1


def try_take_row(session: Session, name: str, owner: Owner, *,
                 is_stale: Callable[[Holder], bool]) -> Holder | None:
    """Take the lock row for *owner*; None on success, else the live holder.

    The insert comes first so the transaction holds SQLite's write lock before it reads: two
    processes taking the same lock at once are serialised, never both told yes.
    """
    now = utcnow()
    if _insert_if_absent(session, name, owner, now):
        return None
    row = session.scalar(select(Lock).where(Lock.name == name))
    if row is None:  # released between the insert and the read
        return None if _insert_if_absent(session, name, owner, now) else _unknown(name)
    holder = _holder(row)
    if not is_stale(holder):
        return holder
    taken = session.execute(update(Lock).where(Lock.name == name, Lock.token == row.token)
                            .values(**_values(owner, now)))
    return None if taken.rowcount == 1 else holder


def _unknown(name: str) -> Holder:
    now = utcnow()
    return Holder(name=name, host="?", pid=0, started=None, label="unknown", acquired_at=now,
                  heartbeat_at=now)


def write_row(session: Session, name: str, owner: Owner) -> None:
    """Record *owner* as the holder unconditionally (PostgreSQL, where the advisory lock decides)."""
    now = utcnow()
    if not _insert_if_absent(session, name, owner, now):
        session.execute(update(Lock).where(Lock.name == name).values(**_values(owner, now)))


def heartbeat_row(session: Session, name: str, token: str) -> bool:
    """Refresh the row; False when it is no longer ours (taken over as stale)."""
    res = session.execute(update(Lock).where(Lock.name == name, Lock.token == token)
                          .values(heartbeat_at=utcnow()))
    return res.rowcount == 1


def release_row(session: Session, name: str, token: str) -> None:
    session.execute(delete(Lock).where(Lock.name == name, Lock.token == token))


def read_holder(session: Session, name: str) -> Holder | None:
    row = session.scalar(select(Lock).where(Lock.name == name))
    return _holder(row) if row is not None else None


# --------------------------------------------------------------------------- PostgreSQL

def lock_key(name: str, schema: str = "") -> int:
    """The signed 64-bit advisory-lock key of lock *name* in *schema*.

    Advisory locks are per database, not per schema, so the schema is part of the key: two
    installations (or two test schemas) in one database never block each other. Every lock of the
    project, whoever takes it, derives its key here: a lock name means one lock.
    """
    digest = hashlib.sha256(f"govreports\0{schema}\0{name}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def advisory_key(conn: Connection, name: str) -> int:
    """The key of *name* in this connection's schema."""
    return lock_key(name, conn.execute(text("select current_schema()")).scalar() or "")


def try_advisory_lock(conn: Connection, key: int) -> bool:
    got = bool(conn.execute(text("select pg_try_advisory_lock(:k)"), {"k": key}).scalar())
    conn.commit()  # end the implicit transaction; the session-level lock stays
    return got


def advisory_unlock(conn: Connection, key: int) -> None:
    conn.execute(text("select pg_advisory_unlock(:k)"), {"k": key})
    conn.commit()
