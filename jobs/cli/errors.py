"""The CLI's error boundary: every failure a user can meet becomes one line on stderr that says
what failed, where, and what to do, with its own exit status; `--debug` (or GOVREPORTS_DEBUG=1)
prints the traceback as well.

Exit statuses (sysexits.h, so scripts can tell them apart):

    0   done                          65  bad input data (corrupt database, undecodable file)
    1   the command failed (its own   66  input missing (no such file or database file)
        message says why)             69  unavailable: database unreachable, a tool missing
    2   usage (bad option, bad query) 70  internal error (a bug: please report it with --debug)
    73  cannot write (read-only, disk full, permission)
    74  I/O error                     75  busy: locked database or source; try again later
    78  configuration (settings.toml, environment)            130 interrupted
"""
from __future__ import annotations

import errno
import logging
import re
import sys
import traceback
from typing import Any

import click

__all__ = ["describe", "run_guarded", "EXIT_DATA", "EXIT_NOINPUT", "EXIT_UNAVAILABLE",
           "EXIT_SOFTWARE", "EXIT_CANTCREAT", "EXIT_IOERR", "EXIT_TEMPFAIL", "EXIT_CONFIG",
           "EXIT_INTERRUPTED"]

EXIT_DATA = 65
EXIT_NOINPUT = 66
EXIT_UNAVAILABLE = 69
EXIT_SOFTWARE = 70
EXIT_CANTCREAT = 73
EXIT_IOERR = 74
EXIT_TEMPFAIL = 75
EXIT_CONFIG = 78
EXIT_INTERRUPTED = 130

# What the running command is about, set by the group (for messages: the database in use).
STATE: dict[str, Any] = {}


def _where_db() -> str:
    url = str(STATE.get("db_url") or "the database")
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)  # no password in messages


def _db_error(exc: BaseException) -> tuple[int, str]:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc).strip() else ""
    low = text.lower()
    where = _where_db()
    if "database is locked" in low or "could not obtain lock" in low or "deadlock" in low:
        return EXIT_TEMPFAIL, f"database {where} is locked by another process; try again later"
    if "readonly" in low or "read-only" in low or "permission denied" in low:
        return EXIT_CANTCREAT, f"database {where} cannot be written ({text}); check its permissions"
    if "disk" in low and ("full" in low or "i/o" in low) or "no space" in low:
        return EXIT_CANTCREAT, f"database {where}: {text}; free some disk space"
    if "not a database" in low or "malformed" in low or "corrupt" in low:
        return EXIT_DATA, (f"database {where} is corrupt or not a govreports database ({text}); "
                           f"restore it from a backup or point --db at another one")
    if "unable to open database" in low:
        return EXIT_NOINPUT, f"database {where} cannot be opened ({text}); check the path"
    if ("connection" in low or "connect" in low or "could not translate host" in low
            or "timeout" in low or "server closed" in low):
        return EXIT_UNAVAILABLE, (f"database {where} is unreachable ({text}); is the server "
                                  f"running and the URL right?")
    if "does not exist" in low or "no such table" in low or "no such column" in low:
        return EXIT_DATA, f"database {where} lacks govreports' tables ({text}); is it the right one?"
    return EXIT_UNAVAILABLE, f"database {where}: {text}"


def describe(exc: BaseException) -> tuple[int, str]:
    """(exit status, one line) for *exc*."""
    import sqlalchemy.exc as sa_exc

    from jobs.config import SettingsError

    try:
        from alembic.util.exc import CommandError
    except ImportError:  # pragma: no cover - alembic is a dependency
        CommandError = ()  # type: ignore[assignment,misc]
    from storage.faults import DatabaseFault

    if isinstance(exc, SettingsError):
        return EXIT_CONFIG, f"settings: {exc}"
    if isinstance(exc, DatabaseFault):  # already worded by storage (read-only, disk full, ...)
        return _db_error(exc.__cause__) if exc.__cause__ is not None else (EXIT_DATA, str(exc))
    if isinstance(exc, CommandError):
        return EXIT_DATA, (f"database {_where_db()} has a schema this govreports does not know "
                           f"({exc}); is it from a newer version?")
    if isinstance(exc, sa_exc.ArgumentError) and "url" in str(exc).lower():
        return EXIT_CONFIG, f"database URL {_where_db()!r} cannot be used: {exc}"
    if isinstance(exc, sa_exc.NoSuchModuleError):
        return EXIT_CONFIG, f"database URL {_where_db()!r}: {exc}"
    if isinstance(exc, sa_exc.DBAPIError) or isinstance(exc, sa_exc.DatabaseError):
        return _db_error(exc)
    if isinstance(exc, ModuleNotFoundError):
        return EXIT_UNAVAILABLE, (f"a component is not installed: {exc.name}; reinstall with "
                                  f"pip install -e . (README)")
    if isinstance(exc, UnicodeError):
        return EXIT_DATA, f"text that cannot be decoded: {exc}"
    if isinstance(exc, OSError):
        name = exc.filename or ""
        where = f" {name}" if name else ""
        if isinstance(exc, FileNotFoundError):
            return EXIT_NOINPUT, f"no such file or directory:{where}"
        if isinstance(exc, IsADirectoryError):
            return EXIT_NOINPUT, f"a directory where a file is needed:{where}"
        if isinstance(exc, PermissionError):
            return EXIT_CANTCREAT, f"permission denied:{where}"
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return EXIT_CANTCREAT, f"disk full writing{where or ' output'}; free some space"
        if exc.errno == errno.EROFS:
            return EXIT_CANTCREAT, f"read-only file system:{where}"
        if isinstance(exc, ConnectionError) or exc.errno in (errno.ECONNREFUSED, errno.EHOSTUNREACH):
            return EXIT_UNAVAILABLE, f"cannot connect{where}: {exc.strerror or exc}"
        return EXIT_IOERR, f"I/O error{where}: {exc.strerror or exc}"
    if isinstance(exc, MemoryError):
        return EXIT_SOFTWARE, "out of memory"
    return EXIT_SOFTWARE, (f"internal error: {type(exc).__name__}: {exc} "
                           f"(run with --debug for the traceback, and please report it)")


def _command(args: list[str]) -> str:
    from jobs.cli.base import cli
    for a in args:
        if a in cli.commands:  # type: ignore[attr-defined]
            return a
    return ""


def run_guarded(args: list[str], debug: bool) -> None:
    """Run the CLI on *args*; turn any exception that escapes a command into one line."""
    from jobs.cli.base import cli
    try:
        cli.main(args=args, prog_name="govreports")
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("govreports: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except BaseException as exc:  # the boundary: whatever escaped a command
        if debug:
            traceback.print_exc()
        code, line = describe(exc)
        stage = _command(args)
        logging.getLogger("govreports").debug("failed", exc_info=debug)
        click.echo(f"govreports{' ' + stage if stage else ''}: error: {line}", err=True)
        sys.exit(code)
