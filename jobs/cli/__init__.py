"""The `govreports` command line, one module per command group; `main` is the entry point."""
from __future__ import annotations

from typing import Iterable

from jobs.cli import admin, crawling, query, service, sources  # noqa: F401  (they register commands)
from jobs.cli.base import cli

__all__ = ["cli", "main"]


def main(argv: Iterable[str] | None = None) -> None:
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="govreports",
                 standalone_mode=True)
    except Exception as exc:  # a database fault reaches a person as one line, not a traceback
        from storage.faults import DatabaseFault, describe_db_error, is_db_error
        if isinstance(exc, DatabaseFault):
            raise SystemExit(f"govreports: {exc}") from None
        if is_db_error(exc):
            raise SystemExit(f"govreports: {describe_db_error(exc)}") from None
        raise
