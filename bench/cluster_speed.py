"""Crawl a generated web of many sites with politeness on, with one worker and then with two, and
print both wall times (the one-worker run is the baseline of the same session).

    .venv/bin/python bench/cluster_speed.py [--sites 100] [--concurrency 2] [--reports 4]

Needs Redis (GOVREPORTS_TEST_REDIS, default redis://127.0.0.1:6379/15) and PostgreSQL
(GOVREPORTS_TEST_PG, default the tests' database); each run gets a fresh schema and queues of its
own. Every site is a server of its own on 127.0.0.1 (tests/clusterweb.py); crawls keep the
default politeness of settings.toml (one request at a time per host, download delay 1 s,
AutoThrottle on). Target: two workers take at most 0.6 of one worker's time.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "tests"))

import sqlalchemy as sa  # noqa: E402

from clusterweb import ClusterWeb, iter_blocks  # noqa: E402

REDIS_URL = os.environ.get("GOVREPORTS_TEST_REDIS", "redis://127.0.0.1:6379/15")
PG_URL = os.environ.get("GOVREPORTS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def fresh_schema() -> str:
    schema = "cluster_bench_" + uuid.uuid4().hex[:10]
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return schema


def drop_schema(schema: str) -> None:
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def run(web: ClusterWeb, n_workers: int, concurrency: int, logdir: Path, timeout: float) -> dict:
    from jobs.config import WorkerSettings, load_settings
    from jobs.worker import enqueue_crawl
    from storage.db import open_database
    from storage.models import Capture, CrawlRun, Publication
    from storage.sources import SourceSpec, add_source
    import dataclasses

    schema = fresh_schema()
    db_url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    tag = uuid.uuid4().hex[:8]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVREPORTS")}
    env.update({"GOVREPORTS_DB": db_url, "GOVREPORTS__WORKER__BROKER_URL": REDIS_URL,
                "GOVREPORTS__WORKER__CRAWL_QUEUE": f"crawl-{tag}",
                "GOVREPORTS__WORKER__PARSE_QUEUE": f"parse-{tag}",
                "PYTHONPATH": str(PROJECT)})
    settings = load_settings(env={})
    settings = dataclasses.replace(settings, worker=dataclasses.replace(
        WorkerSettings(), broker_url=REDIS_URL, crawl_queue=f"crawl-{tag}",
        parse_queue=f"parse-{tag}")).with_db(db_url)
    db = open_database(db_url)
    with db.session() as s:
        for name, urls, issuer in web.sources:
            add_source(s, SourceSpec(name=name, start_urls=tuple(urls), issuer=issuer))
    procs = []
    web.log.clear()
    try:
        for i in range(n_workers):
            log = open(logdir / f"w{n_workers}-{i}.log", "wb")
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "jobs.cli", "-q", "worker", "-n", f"bench{i}@{tag}",
                 "-c", str(concurrency)], env=env, cwd=PROJECT, stdout=log,
                stderr=subprocess.STDOUT))
        _wait_started(settings, [f"bench{i}@{tag}" for i in range(n_workers)])
        started = time.monotonic()
        for name, _, _ in web.sources:
            enqueue_crawl(settings, name)
        planted = set(web.planted_urls)
        while True:
            with db.session() as s:
                stored = {u for (u,) in s.execute(sa.select(Publication.url))}
                pending = s.scalar(sa.select(sa.func.count()).select_from(Capture)
                                   .where(Capture.parse_state == "pending"))
                running = s.scalar(sa.select(sa.func.count()).select_from(CrawlRun)
                                   .where(CrawlRun.status == "running"))
                n_runs = s.scalar(sa.select(sa.func.count()).select_from(CrawlRun))
            # Done when every page is stored, or every source had its crawl (a crawl that failed
            # is a recorded failed run, not retried here) and its captures are parsed.
            if (planted <= stored or n_runs >= len(web.sources)) and not pending and not running:
                break
            if any(p.poll() is not None for p in procs):
                raise SystemExit(f"a worker exited; see {logdir}")
            if time.monotonic() - started > timeout:
                print(f"  timed out after {timeout:.0f} s: {len(planted - stored)} pages not "
                      f"stored, {n_runs} runs; see {logdir}", flush=True)
                break
            time.sleep(0.5)
        wall = time.monotonic() - started
        with db.session() as s:
            n_pubs = s.scalar(sa.select(sa.func.count()).select_from(Publication))
            failed = s.scalar(sa.select(sa.func.count()).select_from(CrawlRun)
                              .where(CrawlRun.status != "succeeded"))
        return {"wall": wall, "stored": len(planted & stored), "publications": n_pubs,
                "runs": n_runs, "failed": failed, **_politeness(web)}
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
        db.dispose()
        drop_schema(schema)
        _drop_queues(tag)


def _wait_started(settings, nodes: list[str], timeout: float = 60) -> None:
    from jobs.worker import make_app
    app = make_app(settings)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = app.control.ping(destination=nodes, timeout=0.5) or []
        if len(replies) == len(nodes):
            return
    raise SystemExit("workers did not start")


def _politeness(web: ClusterWeb) -> dict:
    """The closest two requests to one host, and hosts whose crawls interleaved (should be 0)."""
    closest = float("inf")
    interleaved = 0
    for host, requests in web.requests_by_host().items():
        for a, b in zip(requests, requests[1:]):
            closest = min(closest, b.start - a.start)
        agents = list(iter_blocks([r.agent for r in requests]))
        interleaved += len(agents) != len(set(agents))
    return {"closest_gap": closest, "interleaved_hosts": interleaved}


def _drop_queues(tag: str) -> None:
    import redis
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"*{tag}*"):
        client.delete(key)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sites", type=int, default=100)
    ap.add_argument("--reports", type=int, default=4, help="reports per site")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per run at most")
    ap.add_argument("--concurrency", type=int, default=2, help="processes per worker")
    args = ap.parse_args()
    # Stopped from outside: leave through the finally blocks (workers stopped, schema dropped).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(1))
    web = ClusterWeb(args.sites, reports_per_column=args.reports)
    with web, tempfile.TemporaryDirectory() as tmp:
        print(f"{args.sites} sites, {len(web.reports)} reports, {len(web.planted_urls)} pages; "
              f"politeness: 1 request at a time per host, download delay 1 s; "
              f"{args.concurrency} processes per worker; {os.cpu_count()} CPUs")
        results = {}
        for n in (1, 2):
            r = run(web, n, args.concurrency, Path(tmp), args.timeout)
            results[n] = r
            print(f"{n} worker{'s' if n > 1 else ' '}: {r['wall']:7.1f} s wall  "
                  f"({r['stored']} pages stored, {r['publications']} publications, {r['runs']} "
                  f"crawl runs, {r['failed']} not succeeded; closest two "
                  f"requests to one host {r['closest_gap']:.2f} s apart; hosts crawled by two "
                  f"crawls at once: {r['interleaved_hosts']})", flush=True)
        ratio = results[2]["wall"] / results[1]["wall"]
        print(f"two workers / one worker = {ratio:.2f} (target <= 0.60): "
              f"{'met' if ratio <= 0.6 else 'NOT met'}")


if __name__ == "__main__":
    main()
