"""Crash safety: kill -9 of the service (mid-crawl, mid-parse) or of a one-off crawl loses no
capture and stores nothing twice; crawl processes are killed past their time and memory limits."""
from __future__ import annotations

import time

import pytest

from clusterweb import ClusterWeb
from jobs import tasks
from jobs.config import load_settings
from service_harness import (
    Reader, Service, add_sources, host_of, overlapping, pid_alive, run_cli, seeds_web, start_cli,
    wait_until, web_settings, write_settings,
)


def _running_with_captures(reader: Reader, at_least: int, not_pid: int):
    return [r for r in reader.runs() if r.status == "running" and r.pid and r.pid != not_pid
            and reader.captures_of(r.id) >= at_least]


@pytest.mark.slow
def test_kill_9_mid_crawl_and_mid_parse_loses_no_capture_and_stores_each_report_once(
        tmp_path, db_url):
    with seeds_web(tmp_path / "web") as (manifest, web):
        settings = web_settings(tmp_path / "s.toml", web)
        sources = [(host_of(c), [c], "every 1h") for c in manifest.columns]
        add_sources(db_url, sources)
        reader = Reader(db_url)
        try:
            # 1. The service crawls every source at once (never crawled); kill -9 it mid-crawl.
            service = Service(tmp_path, db_url, settings, name="first").start()
            try:
                victim = wait_until(lambda: _running_with_captures(reader, 2, service.pid), 90,
                                    interval=0.05, what="a crawl with captures",
                                    on_timeout=service.text)[0]
                service.kill()
            finally:
                service.cleanup()
            # Its crawl processes die with it: nothing keeps writing for a dead run.
            wait_until(lambda: not pid_alive(victim.pid), 10, what="the crawl process to die")
            kept = reader.captures_of(victim.id)
            assert kept >= 2
            # 2. Capture everything, unparsed (these one-off crawls also find the dead runs).
            for name, _, _ in sources:
                done = run_cli(tmp_path, db_url, settings, "crawl", "--source", name, "--no-parse",
                               "--revisit", "0")
                assert done.returncode == 0, done.stdout + done.stderr
            assert reader.capture_states().get("pending", 0) >= len(manifest.reports)
            # 3. On start the service parses what is pending; kill -9 it in the middle of that.
            service = Service(tmp_path, db_url, settings, name="second").start()
            try:
                wait_until(lambda: (lambda st: st.get("parsed", 0) >= 1 and st.get("pending", 0) >= 1)(
                    reader.capture_states()), 90, interval=0.01, what="a parse under way",
                    on_timeout=service.text)
                service.kill()
            finally:
                service.cleanup()
            assert reader.capture_states().get("pending", 0) >= 1
            # 4. Start again: it finishes the parse; nothing is lost or doubled.
            service = Service(tmp_path, db_url, settings, name="third").start()
            try:
                wait_until(lambda: reader.capture_states().get("pending", 0) == 0
                           and not any(r.status == "running" for r in reader.runs()), 120,
                           what="every capture parsed", on_timeout=service.text)
                assert service.stop() == 0
            finally:
                service.cleanup()
            runs = reader.runs()
            states = reader.capture_states()
            publications = reader.publications()
            hashes = reader.report_hashes()
            annual = reader.annual_report_titles()
        finally:
            reader.close()
    dead = next(r for r in runs if r.id == victim.id)
    assert dead.status == "failed" and dead.error.startswith("interrupted")
    assert kept <= sum(states.values())
    assert "pending" not in states and "failed" not in states, states
    assert overlapping([r for r in runs if r.status != "failed"]) == []
    # Every planted report is stored once, with a publication at each URL it was planted at.
    ids = []
    for report in manifest.reports:
        found = {publications.get(url) for url in report["urls"]}
        assert None not in found, report
        assert len(found) == 1, report
        ids.append(found.pop())
    assert len(set(ids)) == len(manifest.reports)
    assert sorted(annual) == sorted(r["title"] for r in manifest.reports)
    assert len(hashes) == len(set(hashes))


def _settings(tmp_path, db_url: str, **crawl):
    return load_settings(write_settings(tmp_path / "s.toml", {"crawl": crawl}), env={}).with_db(db_url)


@pytest.mark.parametrize("limit, message", [
    pytest.param({"process_timeout_seconds": 3}, "killed after the 3 s time limit",
                 marks=pytest.mark.slow),
    ({"process_memory_mb": 20}, "killed past the 20 MB memory limit"),
])
def test_a_crawl_past_its_time_or_memory_limit_is_killed_and_recorded(tmp_path, limit, message):
    web = ClusterWeb(1, reports_per_column=8, latency_seconds=1.0)
    db_url = f"sqlite:///{tmp_path / 'g.db'}"
    settings = _settings(tmp_path, db_url, **limit)
    db = tasks.open_db(settings)
    try:
        with web:
            started = time.monotonic()
            summary = tasks.crawl(settings, db, [web.sources[0][1][0]], parse=False)
            took = time.monotonic() - started
        reader = Reader(db_url)
        run = reader.runs()[0]
        reader.close()
    finally:
        db.dispose()
    assert summary.status == "failed" and message in summary.error
    assert run.status == "failed" and message in run.error
    assert took < 3 + 5 + 10  # the limit, SIGTERM's grace, and slack for a slow machine
    assert not pid_alive(run.pid)


@pytest.mark.slow
def test_a_one_off_crawl_killed_with_sigkill_takes_its_crawl_process_along(tmp_path):
    web = ClusterWeb(1, reports_per_column=6, latency_seconds=0.4)
    db_url = f"sqlite:///{tmp_path / 'g.db'}"
    settings = write_settings(tmp_path / "s.toml")
    with web:
        name, urls, _ = web.sources[0]
        add_sources(db_url, [(name, urls, None)])
        reader = Reader(db_url)
        try:
            cli = start_cli(tmp_path, db_url, settings, "crawl", "--source", name)
            try:
                victim = wait_until(lambda: _running_with_captures(reader, 1, cli.pid), 60,
                                    what="a crawl with captures")[0]
            finally:
                cli.kill()
                cli.wait()
            wait_until(lambda: not pid_alive(victim.pid), 10, what="its crawl process to die")
            assert [r.status for r in reader.runs()] == ["running"]  # nobody could record it
            again = run_cli(tmp_path, db_url, settings, "crawl", "--source", name)
            assert again.returncode == 0, again.stdout + again.stderr
            runs = reader.runs()
        finally:
            reader.close()
    assert [(r.status, r.trigger) for r in runs] == [("failed", "cli"), ("succeeded", "cli")]
    assert runs[0].error.startswith("interrupted")
    assert runs[1].stats["parse/new_reports"] == 6
