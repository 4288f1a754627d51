"""Progress of a crawl: a tqdm bar per stage on a terminal, a log line now and then otherwise."""
from __future__ import annotations

import contextlib
import logging
import sys
import time
from typing import IO, Iterator

__all__ = ["Progress", "progress_for", "console_logging"]

log = logging.getLogger("govreports.progress")


class Progress:
    """Reports stages ("fetch", "parse") and how far each got; silent when *enabled* is false.

    On a terminal each stage is a tqdm bar; elsewhere (a log file, a pipe, the service) a line is
    logged at most every *interval* seconds and once at the end of each stage, so a long crawl shows
    it is alive without flooding the log.
    """

    def __init__(self, label: str, *, tty: bool, interval: float = 30.0, enabled: bool = True,
                 stream: IO[str] | None = None) -> None:
        self.label = label
        self.tty = tty
        self.interval = interval
        self.enabled = enabled
        self._stream = stream or sys.stderr
        self._bar = None
        self._stage: str | None = None
        self._unit = ""
        self._done = 0
        self._total: int | None = None
        self._last_log = 0.0

    def stage(self, name: str, *, total: int | None = None, unit: str = "pages") -> None:
        self._finish_stage()
        self._stage, self._unit, self._done, self._total = name, unit, 0, total
        self._last_log = time.monotonic()
        if self.enabled and self.tty:
            from tqdm import tqdm
            self._bar = tqdm(total=total, desc=f"{self.label}: {name}", unit=f" {unit}",
                             file=self._stream, leave=True, dynamic_ncols=True)

    def update(self, done: int) -> None:
        """Set how many items the current stage has done so far."""
        if not self.enabled or self._stage is None or done == self._done:
            return
        if self._bar is not None:
            self._bar.update(done - self._done)
        self._done = done
        if self._bar is None and time.monotonic() - self._last_log >= self.interval:
            self._last_log = time.monotonic()
            self._log()

    def _log(self) -> None:
        of = f" of {self._total}" if self._total is not None else ""
        log.info("%s: %s: %d%s %s so far", self.label, self._stage, self._done, of, self._unit)

    def _finish_stage(self) -> None:
        if self._stage is None or not self.enabled:
            return
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        else:
            log.info("%s: %s: %d %s", self.label, self._stage, self._done, self._unit)
        self._stage = None

    def close(self) -> None:
        self._finish_stage()


def progress_for(label: str, *, stream: IO[str] | None = None, interval: float = 30.0,
                 enabled: bool = True) -> Progress:
    """A Progress that draws bars when *stream* (stderr by default) is a terminal."""
    stream = stream or sys.stderr
    return Progress(label, tty=bool(getattr(stream, "isatty", lambda: False)()), interval=interval,
                    enabled=enabled, stream=stream)


@contextlib.contextmanager
def console_logging(progress: Progress) -> Iterator[None]:
    """While bars are drawn, send console log lines through tqdm so they do not tear the bars."""
    if not (progress.enabled and progress.tty):
        yield
        return
    from tqdm.contrib.logging import logging_redirect_tqdm
    with logging_redirect_tqdm():
        yield
