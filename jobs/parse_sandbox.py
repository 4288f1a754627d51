"""Parsing of crawled bodies in the sandbox (jobs.sandbox): every capture's parse runs in a
worker process under [limits], so no file built to hurt a reader can take the service's memory
or time. A capture that hits a limit fails with the stage and the limit, in words."""
from __future__ import annotations

from typing import Any

from jobs.config import Settings
from jobs.sandbox import LimitExceeded, Sandbox, SandboxLimits, set_stage
from pipeline.records import ParsedDocument, ParseFailure, ParseOptions, Skipped

__all__ = ["ParseRunner", "sandbox_limits", "limit_failure"]

_WARM_TEXT = ("XX县2024年法治政府建设年度报告\n2024年，我县深入学习贯彻习近平法治思想，"
              "推进依法行政，建设法治政府。\nXX县人民政府\n2025年3月1日")
# Set in each worker when it starts (inherited from the caller: forked, not pickled).
_tokenizer: Any = None


def sandbox_limits(settings: Settings) -> SandboxLimits:
    lim = settings.limits
    return SandboxLimits(memory_mb=lim.memory_mb, cpu_seconds=lim.cpu_seconds,
                         wall_seconds=lim.wall_seconds)


def limit_failure(exc: LimitExceeded) -> ParseFailure:
    """The failure a capture is recorded with when its parse hit a limit."""
    stage = exc.stage or "parse"
    if exc.kind == "memory":
        return ParseFailure(stage, f"memory limit: reading it {exc.detail}; left unread")
    if exc.kind == "time":
        return ParseFailure(stage, f"time limit: reading it took too long, {exc.detail}; "
                            "left unread")
    return ParseFailure(stage, f"{exc.detail}; left unread")


def _init(tokenizer: Any) -> None:
    global _tokenizer
    _tokenizer = tokenizer


def warm(tokenizer: Any) -> None:
    """Load the tokenizer's dictionary (two seconds of CPU) here, once, so every worker forked
    after has it and no document's CPU limit pays for it."""
    if tokenizer is None:
        return
    from pipeline.fields import keywords
    keywords(_WARM_TEXT, tokenizer, boost=getattr(tokenizer, "user_words", ()))


def _parse(body: bytes, url: str | None, content_type: str | None, filename: str | None,
           options: ParseOptions, ocr: Any) -> ParsedDocument | Skipped:
    from pipeline.process import parse_document
    return parse_document(body, url=url, content_type=content_type, filename=filename,
                          options=options, tokenizer=_tokenizer, ocr=ocr, on_stage=set_stage)


class ParseRunner:
    """parse_document for the parse job: in the sandbox when [limits] sandbox is on, else in
    this process. Use as a context manager (it owns the worker processes)."""

    def __init__(self, settings: Settings, tokenizer: Any = None) -> None:
        self.tokenizer = tokenizer
        self.sandbox: Sandbox | None = None
        if settings.limits.sandbox:
            warm(tokenizer)
            self.sandbox = Sandbox(sandbox_limits(settings), workers=settings.limits.workers,
                                   initializer=_init, initargs=(tokenizer,))

    def __enter__(self) -> "ParseRunner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.close()

    def parse(self, body: bytes, *, url: str | None, content_type: str | None,
              filename: str | None, options: ParseOptions,
              ocr: Any = None) -> ParsedDocument | Skipped:
        """Raises ParseFailure for broken input and for a limit hit (jobs.sandbox)."""
        if self.sandbox is None:
            from pipeline.process import parse_document
            return parse_document(body, url=url, content_type=content_type, filename=filename,
                                  options=options, tokenizer=self.tokenizer, ocr=ocr)
        try:
            return self.sandbox.run(_parse, body, url, content_type, filename, options, ocr)
        except LimitExceeded as exc:
            raise limit_failure(exc) from None
