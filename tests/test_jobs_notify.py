"""Notices and alerts: new reports (log and webhook), a source failing in a row, nothing published
past the legal deadline; a webhook that fails never breaks a crawl."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from clusterweb import ClusterWeb
from jobs import notify, tasks
from jobs.config import Settings, load_settings
from service_harness import write_settings
from storage import runs
from storage.models import Capture, Report, SchedulerEvent, Source


class Hook:
    """A local webhook receiver that keeps what it was sent."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append({"type": self.headers["Content-Type"], **json.loads(body)})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook():
    h = Hook()
    yield h
    h.close()


def _settings(**service) -> Settings:
    s = Settings()
    return dataclasses.replace(s, service=dataclasses.replace(s.service, **service))


def test_a_notice_is_logged_and_posted(hook, caplog):
    caplog.set_level(logging.INFO, "govreports.notify")
    notice = notify.Notice("new_reports", "hc", "hc: run 3 found 1 new reports: 合川区2024年法治政府建设年度报告",
                           {"run_id": 3, "reports": [{"id": 7, "title": "合川区2024年法治政府建设年度报告"}]})
    notify.emit(_settings(webhook_url=hook.url), notice)
    assert "合川区2024年法治政府建设年度报告" in caplog.text
    [got] = hook.received
    assert got["type"].startswith("application/json")
    assert (got["event"], got["source"], got["run_id"]) == ("new_reports", "hc", 3)
    assert got["reports"][0]["title"] == "合川区2024年法治政府建设年度报告"


def test_a_failing_webhook_is_logged_not_raised(caplog):
    caplog.set_level(logging.WARNING, "govreports.notify")
    notice = notify.Notice("failing", "hc", "ALERT: source hc: 3 crawls in a row failed")
    notify.emit(_settings(webhook_url="http://127.0.0.1:9/hook", webhook_timeout_seconds=2), notice)
    assert "ALERT: source hc" in caplog.text
    assert "webhook http://127.0.0.1:9/hook: could not send failing notice" in caplog.text


@pytest.mark.slow
def test_a_crawl_that_finds_reports_posts_them(tmp_path, hook):
    web = ClusterWeb(1, reports_per_column=2)
    db_url = f"sqlite:///{tmp_path / 'g.db'}"
    settings = load_settings(write_settings(tmp_path / "s.toml", {"service": {"webhook_url": hook.url}}),
                             env={}).with_db(db_url)
    db = tasks.open_db(settings)
    try:
        with web:
            url = web.sources[0][1][0]
            first = tasks.crawl(settings, db, [url])
            again = tasks.crawl(settings, db, [url])  # nothing new: no notice
    finally:
        db.dispose()
    assert first.parse.new_reports == 2 and again.parse.new_reports == 0
    [got] = hook.received
    assert got["event"] == "new_reports" and got["run_id"] == first.run_id
    assert sorted(r["title"] for r in got["reports"]) == sorted(r.title for r in web.reports)
    assert {r["url"] for r in got["reports"]} == {u for r in web.reports for u in r.urls}


def _source_with_history(s, name: str, *, years: list[int], statuses: list[str]) -> Source:
    source = Source(name=name, start_urls=[f"http://{name}.gov.cn/"], hints={}, known_columns=[])
    s.add(source)
    s.flush()
    run_id = runs.start_run(s, start_urls=source.start_urls, source_id=source.id)
    runs.finish_run(s, run_id, status="succeeded")
    for year in years:
        report = Report(title=f"{name}{year}年法治政府建设年度报告", kind="annual_report", text="…",
                        content_sha256=f"{name}{year}".ljust(64, "0"), fields={}, report_year=year)
        s.add(report)
        s.flush()
        s.add(Capture(run_id=run_id, source_id=source.id, url=f"http://{name}.gov.cn/{year}.html",
                      canonical_url=f"http://{name}.gov.cn/{year}.html", report_id=report.id))
    for status in statuses:
        rid = runs.start_run(s, start_urls=source.start_urls, source_id=source.id)
        runs.finish_run(s, rid, status=status, error=f"fetch: {name}: connection refused")
    s.flush()
    return source


@pytest.mark.parametrize("years, statuses, alert", [
    ([2023], ["failed", "failed", "failed"], True),
    ([2023], ["failed", "failed"], False),                       # not yet
    ([2023], ["failed", "failed", "failed", "failed"], False),   # told already, at the third
    ([2023], ["failed", "failed", "interrupted", "failed"], True),  # a stop is not a success
    ([2023], ["failed", "succeeded", "failed", "failed"], False),
    ([], ["failed", "failed", "failed"], False),                 # never yielded anything
])
def test_a_source_that_used_to_yield_reports_and_fails_in_a_row_raises_an_alert(db, years, statuses, alert):
    with db.session() as s:
        source = _source_with_history(s, "hc", years=years, statuses=statuses)
        last = runs.list_runs(s, limit=1)[0].id
        got = notify.failure_alert(s, source, 3, last)
    assert (got is not None) == alert
    if alert:
        assert got.kind == "failing" and "3 crawls in a row failed" in got.message
        assert "connection refused" in got.message


@pytest.mark.parametrize("years, today, alert", [
    ([2022, 2023], dt.date(2025, 4, 1), True),    # nothing on 2024 on the deadline
    ([2022, 2023], dt.date(2025, 3, 31), False),  # not yet due
    ([2023, 2024], dt.date(2025, 6, 1), False),   # published
    ([], dt.date(2025, 6, 1), False),             # never published anything: nothing to expect
])
def test_nothing_published_past_the_legal_deadline_raises_an_alert_once(db, years, today, alert):
    with db.session() as s:
        source = _source_with_history(s, "hc", years=years, statuses=[])
        got = notify.deadline_alert(s, source, today, "04-01")
        again = notify.deadline_alert(s, source, today, "04-01")
        recorded = s.query(SchedulerEvent).filter_by(event="alert").count()
    assert (got is not None) == alert
    assert again is None and recorded == int(alert)
    if alert:
        assert "no annual report on 2024 published by 2025-04-01 (latest found: 2023)" in got.message
