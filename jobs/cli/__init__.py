"""The `govreports` command line, one module per command group; `main` is the entry point."""
from __future__ import annotations

from typing import Iterable

from jobs.cli import admin, crawling, query, service, sources  # noqa: F401  (they register commands)
from jobs.cli import web  # noqa: F401  (the web app)
from jobs.cli.base import cli

__all__ = ["cli", "main"]


def main(argv: Iterable[str] | None = None) -> None:
    cli.main(args=list(argv) if argv is not None else None, prog_name="govreports")
