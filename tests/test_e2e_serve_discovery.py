"""Issue-level check: `govreports serve` on an empty database, against the provinces web through its
proxy, discovers the government sites from the starter registry's portals, then crawls them and
stores their reports; `coverage --year` then lists every county of the province with its status,
those with no known site included.

The default run starts from a registry of the one province portal (a small province web); the slow
run from the starter registry shipped with govreports (32 portals, most not on the test web) on the
full province web."""
from __future__ import annotations

import csv
import io
import json
import subprocess

import pytest
from sqlalchemy import create_engine, text

from service_harness import Service, govreports_command, wait_until, write_settings
from web.provinces import build_provinces
from web.server import TestWeb

PORTAL_REGISTRY = ('[[source]]\nname = "www.jl.gov.cn"\nissuer = "吉林省人民政府"\n'
                   'start_urls = ["http://www.jl.gov.cn/"]\nhints = {discover = true}\n')


def _finished(db_url: str) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """(source name -> status of its first finished crawl, [(trigger, started, finished)] of runs)."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as c:
            if not c.execute(text("select 1 from sqlite_master where name = 'crawl_runs'")).all():
                return {}, []
            crawled = dict(c.execute(text(
                "select s.name, r.status from crawl_runs r join sources s on s.id = r.source_id "
                "where r.status != 'running' order by r.id desc")).all())
            timeline = [tuple(map(str, row)) for row in c.execute(text(
                "select trigger, started_at, finished_at from crawl_runs order by id"))]
        return crawled, timeline
    finally:
        engine.dispose()


def _serve_then_coverage(tmp_path, *, scale: str, registry: bool, timeout: float):
    web = build_provinces(tmp_path / "web", scale=scale)
    db_url = f"sqlite:///{tmp_path / 'govreports.db'}"
    discover = {}
    if registry:
        (tmp_path / "portals.toml").write_text(PORTAL_REGISTRY, encoding="utf-8")
        discover = {"starter_registry": str(tmp_path / "portals.toml")}
    with TestWeb(web.sites_dir) as server:
        settings = write_settings(tmp_path / "settings.toml", {
            "crawl": {"proxy": server.proxy_url, "download_timeout_seconds": 2.0,
                      "concurrent_requests": 16},
            "discover": discover})
        service = Service(tmp_path, db_url, settings).start()
        try:
            want = {s["name"] for s in web.sources if s["state"] not in ("moved", "closed")}
            wait_until(lambda: want <= set(_finished(db_url)[0]), timeout,
                       what="every discovered source crawled", on_timeout=lambda: service.text()[-4000:])
        finally:
            assert service.stop() == 0
    log = service.text()
    crawled, timeline = _finished(db_url)
    out = subprocess.run([*govreports_command(), "--db", db_url, "--config", str(settings), "coverage",
                          "--year", "2024", "--region", "22", "--format", "json"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120, check=True).stdout
    export = subprocess.run([*govreports_command(), "--db", db_url, "--config", str(settings), "export",
                             "--format", "jsonl"], capture_output=True, text=True, cwd=tmp_path,
                            timeout=120, check=True).stdout
    table = subprocess.run([*govreports_command(), "--db", db_url, "--config", str(settings), "coverage",
                            "--year", "2024", "--region", "22", "--level", "county", "--format", "csv"],
                           capture_output=True, text=True, cwd=tmp_path, timeout=120, check=True).stdout
    rows = list(csv.DictReader(io.StringIO(table)))
    assert rows and {r["level"] for r in rows} == {"county"}
    assert {r["issuer"]: r["status"] for r in rows}["梨树县人民政府"] == "missing"
    engine = create_engine(db_url)
    with engine.connect() as c:  # discovery stays scheduled: monthly
        assert "discover-sites" in {job for (job,) in c.execute(text("select id from scheduler_jobs"))}
    engine.dispose()
    return web, log, crawled, timeline, json.loads(out), [json.loads(line) for line in export.splitlines()]


def _check(web, log, crawled, timeline, cov, stored) -> None:
    assert "empty database: discovering government sites" in log
    # Discovery first; the sources' crawls start when it has ended.
    assert timeline[0][0] == "discover"
    discovery_end = timeline[0][2]
    assert all(started >= discovery_end for trigger, started, _ in timeline[1:] if trigger == "schedule")
    assert crawled["www.jl.gov.cn"] == "succeeded"
    titles = {r["title"] for r in stored if r["kind"] == "annual_report"}
    missing = {r["title"] for r in web.reports} - titles
    assert not missing, f"planted reports not stored: {missing}"
    got = {(r["region_code"], r["department"] or ""): r["status"] for r in cov["rows"]}
    counties = {k: v for k, v in web.coverage.items() if k[0][4:] != "00" and not k[1]}
    assert len(counties) == 60  # every county-level division of 吉林省
    assert {k: got.get(k) for k in web.coverage} == web.coverage
    assert cov["totals"]["no_site"] >= sum(1 for v in counties.values() if v == "no_site")


def test_serve_on_an_empty_database_discovers_crawls_and_covers_the_province(tmp_path):
    _check(*_serve_then_coverage(tmp_path, scale="small", registry=True, timeout=240))


@pytest.mark.slow
def test_serve_from_the_starter_registry_covers_the_whole_test_province(tmp_path):
    _check(*_serve_then_coverage(tmp_path, scale="full", registry=False, timeout=900))
