"""`govreports serve` as a real process: scheduled crawls recorded, never overlapping, not missed
across a restart; one-off crawls beside it; one scheduler per database; no network."""
from __future__ import annotations

import datetime as dt
import os
import time

import pytest

from clusterweb import ClusterWeb
from service_harness import (
    Reader, Service, add_sources, host_of, overlapping, overlapping_requests, pid_alive, run_cli,
    seeds_web, start_cli, wait_until, web_settings, write_settings,
)

DEAD_SOURCES = [("dead-a", ["http://127.0.0.1:9/"], "every 1h"),
                ("dead-b", ["http://127.0.0.1:1/zwgk/index.html"], "every 1h")]


def _finished(reader: Reader, source: str, *, after: dt.datetime | None = None) -> list:
    return [r for r in reader.runs() if r.source == source and r.finished_at is not None
            and r.status != "running" and (after is None or r.started_at >= after)]


def test_serve_without_network_keeps_running_says_which_sites_failed_and_is_alone(tmp_path):
    """The first thing a new user does: `govreports serve`. No site answers (as on a machine
    without network); it says so per source and keeps running. A second one refuses to start."""
    db_url = f"sqlite:///{tmp_path / 'g.db'}"
    settings = write_settings(tmp_path / "s.toml")
    add_sources(db_url, DEAD_SOURCES)
    service = Service(tmp_path, db_url, settings).start()
    try:
        for name, _, _ in DEAD_SOURCES:
            service.wait_log(rf"ERROR govreports.service: source {name}: the site could not be "
                             rf"reached \(run \d+\): fetch: http://127\.0\.0\.1:\d+/\S*: "
                             rf"connection refused")
        second = run_cli(tmp_path, db_url, settings, "serve", timeout=60)
        assert second.returncode == 1
        assert "another `govreports serve` is already running on sqlite:///" in second.stdout
        assert f"pid {service.pid}" in second.stdout
        time.sleep(1)
        assert service.running()
        assert service.stop() == 0
    finally:
        service.cleanup()
    log_file = settings.with_suffix(".log").read_text(encoding="utf-8")
    assert "source dead-a: the site could not be reached" in log_file  # the file has it too
    reader = Reader(db_url)
    try:
        runs = reader.runs()
        assert {r.source for r in runs} == {"dead-a", "dead-b"}
        assert all(r.status == "failed" and "no page could be fetched" in r.error for r in runs)
        events = {(e.job_id, e.event) for e in reader.events()}
        assert {("crawl:dead-a", "fired"), ("crawl:dead-a", "done"), ("service", "leader"),
                ("service", "stopped")} <= events
    finally:
        reader.close()


@pytest.mark.slow
def test_scheduled_crawls_are_recorded_never_overlap_and_are_caught_up_after_a_restart(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'g.db'}"
    with seeds_web(tmp_path / "web") as (manifest, web):
        settings = web_settings(tmp_path / "s.toml", web)
        # Two report columns of the test web; a crawl takes longer than its interval, so fires
        # come while it runs: they must be skipped, not stacked.
        columns = {host_of(c): c for c in manifest.columns}
        a, b = "sfj.youyang.gov.cn", "www.heping.gov.cn"
        add_sources(db_url, [(a, [columns[a]], "every 2s"), (b, [columns[b]], "every 3s")])
        reader = Reader(db_url)
        service = Service(tmp_path, db_url, settings).start()
        try:
            wait_until(lambda: all(len(_finished(reader, n)) >= 3 for n in (a, b)), 90,
                       what="three finished runs per source", on_timeout=service.text)
            assert service.stop() == 0
            stopped = dt.datetime.now(dt.timezone.utc)
            time.sleep(6)  # fires come due while the service is down
            restarted = dt.datetime.now(dt.timezone.utc)
            service.start()
            wait_until(lambda: all(_finished(reader, n, after=restarted) for n in (a, b)), 60,
                       what="a run per source after the restart", on_timeout=service.text)
            assert service.stop() == 0
        finally:
            service.cleanup()
        runs, events = reader.runs(), reader.events("crawl:")
        leaders = [e for e in reader.events("service") if e.event == "leader"]
        publications, hashes = reader.publications(), reader.report_hashes()
        reader.close()
        requests = [r for r in web.requests() if r.host in (a, b)]
    assert overlapping(runs) == []
    assert requests and overlapping_requests(requests) == []
    assert {r.trigger for r in runs} == {"schedule"}
    assert {r.status for r in runs} <= {"succeeded", "interrupted"}
    for name in (a, b):
        ok = [r for r in runs if r.source == name and r.status == "succeeded"]
        assert len(ok) >= 3 and ok[0].stats["fetch/pages"] >= 3
        # Later crawls revalidate what they know (ETag / Last-Modified): 304s, not new pages.
        assert all(r.stats["fetch/pages"] + r.stats["fetch/not_modified"] >= 2 for r in ok[1:])
    # The planted reports on those two sites were stored once, however many crawls saw them.
    planted = [r for r in manifest.reports if any(host_of(u) in (a, b) for u in r["urls"])]
    assert len(planted) == 2
    assert len({publications[u] for r in planted for u in r["urls"] if host_of(u) in (a, b)}) == 2
    assert len(hashes) == len(set(hashes))
    kinds = {e.event for e in events}
    assert {"fired", "done", "skipped"} <= kinds and "missed" not in kinds
    # No scheduled time ran twice.
    done = [(e.job_id, tuple(e.scheduled)) for e in events if e.event == "done"]
    assert len(done) == len(set(done))
    # The fires due while it was down ran once on restart (coalesced), not dropped.
    up_again = [e.at for e in leaders if e.at > stopped][0]
    for name in (a, b):
        caught_up = [e for e in events if e.job_id == f"crawl:{name}" and e.event == "fired"
                     and e.scheduled and stopped < e.scheduled[-1] < up_again]
        assert len(caught_up) == 1, (name, caught_up)
        assert caught_up[0].at >= up_again
        assert len(caught_up[0].scheduled) == 1  # several came due: one ran


@pytest.mark.slow
def test_a_one_off_crawl_never_runs_beside_the_services_crawl_of_its_source(tmp_path):
    web = ClusterWeb(1, reports_per_column=4, latency_seconds=0.4)
    db_url = f"sqlite:///{tmp_path / 'g.db'}"
    settings = write_settings(tmp_path / "s.toml")
    with web:
        name, urls, _ = web.sources[0]
        add_sources(db_url, [(name, urls, "every 1h")])  # never crawled: crawled at once
        reader = Reader(db_url)
        service = Service(tmp_path, db_url, settings).start()
        try:
            scheduled = wait_until(lambda: [r for r in reader.runs() if r.status == "running"],
                                   60, what="the service's first crawl", on_timeout=service.text)[0]
            busy = run_cli(tmp_path, db_url, settings, "crawl", "--source", name)
            assert busy.returncode == 75, busy.stderr
            assert (f"not crawling: source {name} is already being crawled (run {scheduled.id}, "
                    f"schedule, pid") in busy.stderr
            assert "--wait" in busy.stderr
            # The same through its start URL.
            assert run_cli(tmp_path, db_url, settings, "crawl", urls[0]).returncode == 75
            waited = run_cli(tmp_path, db_url, settings, "crawl", "--source", name, "--wait")
            assert waited.returncode == 0, waited.stdout + waited.stderr
            assert "pages fetched:   5" in waited.stdout
            listing = run_cli(tmp_path, db_url, settings, "runs")
            detail = run_cli(tmp_path, db_url, settings, "runs", "show", str(scheduled.id))
            assert service.stop() == 0
        finally:
            service.cleanup()
        runs = reader.runs()
        reader.close()
    assert [(r.trigger, r.status) for r in runs] == [("schedule", "succeeded"), ("cli", "succeeded")]
    assert overlapping(runs) == []
    assert overlapping_requests(web.log) == []
    lines = listing.stdout.splitlines()
    assert lines[0].split() == ["id", "source", "status", "trigger", "started", "(UTC)",
                                "finished", "pages", "new", "upd", "err"]
    assert lines[1].split()[:4] == [str(runs[1].id), name, "succeeded", "cli"]
    assert lines[2].split()[:4] == [str(scheduled.id), name, "succeeded", "schedule"]
    assert lines[2].split()[-4:] == ["5", "4", "0", "0"]  # pages, new, updated, errors
    assert f"run {scheduled.id}: succeeded (schedule)" in detail.stdout
    assert f"source: {name}" in detail.stdout and "fetch/pages: 5" in detail.stdout


def test_runs_lists_filters_and_shows(tmp_path):
    import json

    from click.testing import CliRunner

    from jobs.cli import cli
    from storage import runs as run_rows
    from storage.db import open_database
    from storage.models import Capture
    db_url = f"sqlite:///{tmp_path / 'g.db'}"
    add_sources(db_url, [DEAD_SOURCES[0]])
    db = open_database(db_url)
    try:
        with db.session() as s:
            ok = run_rows.start_run(s, start_urls=["http://a.gov.cn/"], source_id=1, trigger="schedule")
            run_rows.finish_run(s, ok, status="succeeded", stats={
                "fetch/pages": 7, "fetch/errors": 1, "parse/new_reports": 3,
                "parse/updated_reports": 1, "parse/failed": 1})
            bad = run_rows.start_run(s, start_urls=["http://127.0.0.1:9/"], source_id=1)
            s.add(Capture(run_id=bad, source_id=1, url="http://127.0.0.1:9/",
                          canonical_url="http://127.0.0.1:9/", fetch_state="network_error",
                          fetch_error="fetch: http://127.0.0.1:9/: connection refused"))
            run_rows.finish_run(s, bad, status="failed", error="fetch: no page could be fetched")
    finally:
        db.dispose()
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(cli, ["--db", db_url, *args], catch_exceptions=False)
        return result

    lines = run("runs").output.splitlines()
    assert lines[0].split() == ["id", "source", "status", "trigger", "started", "(UTC)",
                                "finished", "pages", "new", "upd", "err"]
    assert lines[1].split()[:4] == [str(bad), "dead-a", "failed", "cli"]
    assert lines[2].split()[:4] == [str(ok), "dead-a", "succeeded", "schedule"]
    assert lines[2].split()[-4:] == ["7", "3", "1", "2"]  # pages, new, updated, errors
    rows = [json.loads(line) for line in run("runs", "--json", "--status", "failed").output.splitlines()]
    assert [(r["id"], r["source"], r["status"], r["error"]) for r in rows] == [
        (bad, "dead-a", "failed", "fetch: no page could be fetched")]
    assert run("runs", "--source", "dead-a", "--limit", "1", "--json").output.count("\n") == 1
    assert run("runs", "--source", "nope").exit_code != 0
    shown = run("runs", "show", str(bad)).output
    assert f"run {bad}: failed (cli)" in shown and "source: dead-a" in shown
    assert "error: fetch: no page could be fetched" in shown
    assert "! fetch: http://127.0.0.1:9/: connection refused" in shown
    missing = run("runs", "show", "999")
    assert missing.exit_code != 0 and "no run with id 999" in missing.output


@pytest.mark.slow
@pytest.mark.postgres
def test_two_services_on_postgresql_elect_one_and_the_standby_takes_over(tmp_path, pg_url):
    db_url = pg_url
    web = ClusterWeb(2, reports_per_column=2, latency_seconds=0.2)
    settings = write_settings(tmp_path / "s.toml")
    first = Service(tmp_path, db_url, settings, name="first")
    second = Service(tmp_path, db_url, settings, name="second")
    try:
        with web:
            (a, urls_a, _), (b, urls_b, _) = web.sources
            add_sources(db_url, [(a, urls_a, "every 2s"), (b, urls_b, "every 2s")])
            reader = Reader(db_url)
            first.start().wait_log("is the active scheduler")
            second.start().wait_log("standing by: another `govreports serve` is the active scheduler")
            wait_until(lambda: all(len(_finished(reader, n)) >= 2 for n in (a, b)), 90,
                       what="two runs per source", on_timeout=first.text)
            # Kill the leader in the middle of a crawl.
            running = wait_until(lambda: [r for r in reader.runs() if r.status == "running"
                                          and r.pid and r.pid != first.pid], 60,
                                 what="a crawl in progress")[0]
            first.kill()
            killed = time.monotonic()
            second.wait_log("is the active scheduler", timeout=30)
            took = time.monotonic() - killed
            wait_until(lambda: not pid_alive(running.pid), 10, what="the dead leader's crawl to end")
            taken_over = dt.datetime.now(dt.timezone.utc)
            wait_until(lambda: all(len(_finished(reader, n, after=taken_over)) >= 2 for n in (a, b)),
                       90, what="two runs per source after the takeover", on_timeout=second.text)
            assert second.stop() == 0
            runs, events = reader.runs(), reader.events()
            reader.close()
    finally:
        first.cleanup()
        second.cleanup()
    assert took < 3 + 5  # takeover_seconds, plus start-up
    leaders = [e.detail for e in events if e.job_id == "service" and e.event == "leader"]
    assert leaders == [f"{os.uname().nodename}:{first.pid}", f"{os.uname().nodename}:{second.pid}"]
    crashed = next(r for r in runs if r.id == running.id)
    assert crashed.status == "failed" and "interrupted" in crashed.error
    assert overlapping(runs) == []
    assert overlapping_requests(web.log) == []
    crawl_events = [e for e in events if e.job_id.startswith("crawl:")]
    fired = [(e.job_id, tuple(e.scheduled)) for e in crawl_events if e.event == "fired"]
    assert len(fired) == len(set(fired)), "a scheduled time fired twice"
    # Each node fired only while it led.
    nodes = [e.node for e in crawl_events if e.event == "fired"]
    switch = nodes.index(leaders[1].split(" ")[0]) if leaders[1] in nodes else len(nodes)
    assert set(nodes[:switch]) == {leaders[0]} and set(nodes[switch:]) == {leaders[1]}
    # Only crawls the dead leader was running failed (found interrupted by the new one).
    for r in runs:
        assert r.status in ("succeeded", "interrupted", "failed"), r
        if r.status == "failed":
            assert r.error.startswith("interrupted") and r.started_at < taken_over, r


@pytest.mark.slow
def test_a_crawl_process_killed_by_the_system_is_recorded_and_the_service_goes_on(tmp_path):
    web = ClusterWeb(1, reports_per_column=4, latency_seconds=0.3)
    db_url = f"sqlite:///{tmp_path / 'g.db'}"
    settings = write_settings(tmp_path / "s.toml")
    with web:
        name, urls, _ = web.sources[0]
        add_sources(db_url, [(name, urls, "every 2s")])
        reader = Reader(db_url)
        service = Service(tmp_path, db_url, settings).start()
        try:
            victim = wait_until(lambda: [r for r in reader.runs() if r.status == "running"
                                         and r.pid and r.pid != service.pid], 60,
                                what="a crawl process", on_timeout=service.text)[0]
            os.kill(victim.pid, 9)  # as the OOM killer would
            wait_until(lambda: any(r.status == "succeeded" and r.id > victim.id
                                   for r in reader.runs()), 60,
                       what="a later run to succeed", on_timeout=service.text)
            assert service.running()
            assert service.stop() == 0
        finally:
            service.cleanup()
        runs = reader.runs()
        reader.close()
    dead = next(r for r in runs if r.id == victim.id)
    assert dead.status == "failed" and "crawl process killed by signal 9" in dead.error
    assert overlapping(runs) == []


@pytest.mark.slow
def test_a_one_off_crawl_interrupted_by_ctrl_c_is_marked_interrupted(tmp_path):
    web = ClusterWeb(1, reports_per_column=6, latency_seconds=0.5)
    db_url = f"sqlite:///{tmp_path / 'g.db'}"
    settings = write_settings(tmp_path / "s.toml")
    with web:
        name, urls, _ = web.sources[0]
        add_sources(db_url, [(name, urls, None)])
        reader = Reader(db_url)
        cli = start_cli(tmp_path, db_url, settings, "crawl", "--source", name)
        try:
            run = wait_until(lambda: [r for r in reader.runs() if r.status == "running"
                                      and reader.captures_of(r.id) >= 1], 60,
                             what="a crawl that captured something")[0]
            cli.send_signal(2)
            assert cli.wait(timeout=30) == 130
        finally:
            if cli.poll() is None:
                cli.kill()
        wait_until(lambda: not pid_alive(run.pid), 10, what="its crawl process to end")
        runs = reader.runs()
        states = reader.capture_states()
        reader.close()
    assert runs[0].status == "interrupted" and "interrupted" in runs[0].error
    assert states.get("pending", 0) >= 1  # kept, for the next parse


def test_a_fresh_database_gets_the_starter_sources_once(sqlite_db):
    from sqlalchemy import func, select

    from jobs.config import Settings
    from jobs.scheduler import parse_schedule
    from jobs.service import _import_starter_sources, schedule_defaults
    from storage.models import Source
    _import_starter_sources(sqlite_db)
    with sqlite_db.session() as s:
        names = set(s.scalars(select(Source.name)))
        s.delete(s.scalar(select(Source).limit(1)))
    _import_starter_sources(sqlite_db)  # not empty: left as it is
    with sqlite_db.session() as s:
        assert s.scalar(select(func.count()).select_from(Source)) == len(names) - 1 >= 19
    # The shipped defaults make a valid schedule.
    assert parse_schedule(None, schedule_defaults(Settings())).peak_months == "1-4"
