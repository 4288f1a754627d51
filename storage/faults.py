"""Database faults in words: what went wrong with the database (read-only, full, damaged,
connection lost) and what a person can do about it, in one line, instead of a driver's
exception text. Nothing here retries or hides a fault; callers decide."""
from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

__all__ = ["DatabaseFault", "describe_db_error", "is_disconnect", "is_db_error"]

# (substring of the driver's message, lower case) -> what it means and what to do.
_KNOWN = (
    ("readonly database", "the database is read-only: give govreports write access to the file "
                          "and its folder (nothing was written)"),
    ("read-only", "the database is read-only: give govreports write access to it (nothing was "
                  "written)"),
    ("database or disk is full", "the disk holding the database is full: free some space "
                                 "(the last write was rolled back; what was stored before is kept)"),
    ("no space left on device", "the disk holding the database is full: free some space "
                                "(the last write was rolled back; what was stored before is kept)"),
    ("disk image is malformed", "the database file is damaged (a corrupted page): restore it from "
                                "a backup, or run `sqlite3 FILE .recover`; nothing more was written"),
    ("file is not a database", "the database file is damaged or is not a SQLite database: "
                               "restore it from a backup; nothing was written"),
    ("unable to open database file", "the database file cannot be opened: check that its folder "
                                     "exists and is writable"),
    ("disk i/o error", "the disk holding the database failed to read or write: check the disk"),
    ("terminating connection", "the connection to PostgreSQL was closed by the server (an "
                               "administrator or a restart)"),
    ("server closed the connection", "the connection to PostgreSQL was lost"),
    ("connection is closed", "the connection to PostgreSQL was lost"),
    ("consuming input failed", "the connection to PostgreSQL was lost"),
    ("could not connect", "PostgreSQL cannot be reached: check that it runs and the URL"),
    ("connection refused", "the database server refuses connections: check that it runs"),
    ("database is locked", "the database is locked by another writer for longer than "
                           "[database] busy_timeout_ms"),
)


class DatabaseFault(RuntimeError):
    """A database fault that ends a job: its message is the worded line."""


def is_db_error(exc: BaseException) -> bool:
    return isinstance(exc, SQLAlchemyError)


def is_disconnect(exc: BaseException) -> bool:
    """The connection itself was lost (a new one may work): not a fault of the data."""
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def describe_db_error(exc: BaseException, url: str | None = None) -> str:
    """One line: the database (without password), what went wrong, what to do."""
    where = ""
    if url:
        try:
            where = make_url(url).render_as_string(hide_password=True) + ": "
        except Exception:  # noqa: BLE001 - an odd URL only costs the prefix
            where = ""
    orig = getattr(exc, "orig", None) or exc
    text = " ".join(str(orig).split())
    # The error a fault raised first may be the context of the one that surfaced (SQLite rolls a
    # transaction back on a full disk, and releasing the savepoint then fails).
    chain: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and len(chain) < 10:
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    for link in chain:
        low = " ".join(str(getattr(link, "orig", None) or link).split()).lower()
        for needle, meaning in _KNOWN:
            if needle in low:
                return f"database: {where}{meaning}"
    if is_disconnect(exc):
        return f"database: {where}the connection was lost"
    short = text if len(text) <= 100 else text[:97] + "..."
    return f"database: {where}error from the database ({short})"
