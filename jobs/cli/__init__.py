"""The `govreports` command line, one module per command group; `main` is the entry point."""
from __future__ import annotations

from typing import Iterable

from jobs.cli import admin, crawling, query, service, sources  # noqa: F401  (they register commands)
from jobs.cli import web  # noqa: F401  (the web app)
from jobs.cli.base import cli

__all__ = ["cli", "main"]


def main(argv: Iterable[str] | None = None) -> None:
    import sys

    from jobs.cli.errors import run_guarded
    from jobs.config import debug_requested
    args = list(argv) if argv is not None else sys.argv[1:]
    # --debug is a group option; it is looked for here too, since a failure may come before
    # the group has parsed it.
    run_guarded(args, debug="--debug" in args or debug_requested())
