"""Progress of one-off crawls: bars on a terminal, a few plain log lines elsewhere."""
from __future__ import annotations

import io
import logging

from jobs.progress import Progress, progress_for


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_each_stage_is_a_bar():
    out = Terminal()
    progress = progress_for("run of hc", stream=out)
    assert progress.tty
    progress.stage("fetch", unit="pages")
    for n in (1, 2, 5):
        progress.update(n)
    progress.stage("parse", total=4, unit="captures")
    progress.update(4)
    progress.close()
    text = out.getvalue()
    assert "run of hc: fetch" in text and "5 pages" in text
    assert "run of hc: parse" in text and "4/4" in text


def test_elsewhere_it_logs_now_and_then_and_at_the_end_of_each_stage(caplog):
    caplog.set_level(logging.INFO, "govreports.progress")
    quiet = progress_for("run of hc", stream=io.StringIO(), interval=3600)
    assert not quiet.tty
    quiet.stage("fetch")
    for n in range(1, 50):
        quiet.update(n)
    quiet.stage("parse", total=3, unit="captures")
    quiet.update(3)
    quiet.close()
    assert [r.getMessage() for r in caplog.records] == ["run of hc: fetch: 49 pages",
                                                       "run of hc: parse: 3 captures"]
    caplog.clear()
    chatty = Progress("run of hc", tty=False, interval=0)
    chatty.stage("fetch")
    chatty.update(1)
    chatty.update(2)
    chatty.close()
    assert [r.getMessage() for r in caplog.records] == [
        "run of hc: fetch: 1 pages so far", "run of hc: fetch: 2 pages so far",
        "run of hc: fetch: 2 pages"]


def test_disabled_progress_says_nothing(caplog):
    caplog.set_level(logging.INFO, "govreports.progress")
    out = Terminal()
    off = Progress("x", tty=True, enabled=False, stream=out)
    off.stage("fetch")
    off.update(3)
    off.close()
    assert out.getvalue() == "" and caplog.records == []
