"""Logging: one format, to stderr and optionally a file; set up once by the CLI."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

__all__ = ["setup_logging"]

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(level: str = "INFO", *, log_file: Path | None = None,
                  stream=None) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(log_file, encoding="utf-8")
        file_handler.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(file_handler)
    root.setLevel(level.upper())
    # jieba prints its dictionary loading at INFO through its own logger.
    logging.getLogger("jieba").setLevel(logging.WARNING)
    # Alembic announces every plugin and migration check at INFO on each start.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # readability-lxml logs each page it cannot parse at ERROR, with a traceback, then raises
    # Unparseable, which the pipeline handles (pipeline.cascade): the page's one line is ours.
    logging.getLogger("readability.readability").setLevel(logging.CRITICAL)
