"""Celery workers: the app built from settings, host locks across processes, enqueueing and routing,
`govreports worker` and `status`, and crawls of a generated test web by real worker processes on
Redis and PostgreSQL (one killed with SIGKILL mid-crawl)."""
from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import time
import tomllib
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from clusterweb import ClusterWeb, iter_blocks
from jobs import locks
from jobs.cli import cli
from jobs.config import DEFAULT_SETTINGS_FILE, Settings, WorkerSettings, load_settings
from conftest import IN_CI

REDIS_URL = os.environ.get("GOVREPORTS_TEST_REDIS", "redis://127.0.0.1:6379/15")
PROJECT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- fixtures

def require_redis() -> None:
    """Skip locally without Redis; in CI a missing server is a failure, never a skip."""
    import redis
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        reason = f"Redis at {REDIS_URL} is not reachable: {exc.__class__.__name__}: {exc}"
        if IN_CI:
            pytest.fail(reason + " (CI=true: Redis must be up; .ci/run starts it)")
        pytest.skip(reason)


@pytest.fixture
def broker() -> Iterator[str]:
    """The real Redis; each test uses queues of its own (names with a random part), removed after."""
    require_redis()
    import redis
    tag = uuid.uuid4().hex[:8]
    yield tag
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"*{tag}*"):
        client.delete(key)


def make_settings(db_url: str, tag: str = "t", **worker: object) -> Settings:
    base = load_settings(env={})
    w = dataclasses.replace(WorkerSettings(), broker_url=REDIS_URL, crawl_queue=f"crawl-{tag}",
                            parse_queue=f"parse-{tag}", **worker)
    return dataclasses.replace(base, worker=w).with_db(db_url)


def worker_env(db_url: str, tag: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVREPORTS")}
    env.update({
        "GOVREPORTS_DB": db_url,
        "GOVREPORTS__WORKER__BROKER_URL": REDIS_URL,
        "GOVREPORTS__WORKER__CRAWL_QUEUE": f"crawl-{tag}",
        "GOVREPORTS__WORKER__PARSE_QUEUE": f"parse-{tag}",
        "PYTHONPATH": str(PROJECT),
    })
    env.update(extra)
    return env


# --------------------------------------------------------------------------- settings and app

def test_settings_toml_worker_section_matches_the_code():
    raw = tomllib.loads(DEFAULT_SETTINGS_FILE.read_text(encoding="utf-8"))["worker"]
    assert raw == dataclasses.asdict(WorkerSettings())
    assert WorkerSettings().broker_url == ""  # no broker: everything in one process


def test_worker_settings_from_the_environment():
    s = load_settings(env={"GOVREPORTS__WORKER__BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
                           "GOVREPORTS__WORKER__CONCURRENCY": "4",
                           "GOVREPORTS__WORKER__QUEUES": "china,parse"})
    assert s.worker.broker_url.startswith("amqp://")
    assert s.worker.concurrency == 4
    from jobs.worker import serve_queues
    assert serve_queues(s) == ["china", "parse"]
    assert serve_queues(s, "a, b,") == ["a", "b"]
    assert serve_queues(load_settings(env={})) == ["crawl", "parse", "ocr"]


@pytest.mark.parametrize("broker_url, transport", [
    ("redis://127.0.0.1:6379/0", "redis"),
    ("amqp://guest:guest@127.0.0.1:5672//", "amqp"),
])
def test_app_is_configured_for_late_acks_routing_and_limits(broker_url, transport):
    from jobs.worker import TASK_CRAWL, TASK_PARSE, make_app
    settings = dataclasses.replace(load_settings(env={}), worker=dataclasses.replace(
        WorkerSettings(), broker_url=broker_url, crawl_queue="cq", parse_queue="pq",
        visibility_timeout_seconds=600, task_soft_time_limit_seconds=50, task_time_limit_seconds=60))
    app = make_app(settings)
    conf = app.conf
    assert app.connection_for_write().transport_cls == transport
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_routes[TASK_CRAWL] == {"queue": "cq"}
    assert conf.task_routes[TASK_PARSE] == {"queue": "pq"}
    assert conf.broker_transport_options["visibility_timeout"] == 600
    assert conf.broker_transport_options["unacked_restore_interval"] == 60
    assert (conf.task_soft_time_limit, conf.task_time_limit) == (50, 60)
    assert {TASK_CRAWL, TASK_PARSE} <= set(app.tasks)


def test_no_broker_means_no_worker():
    from jobs.worker import WorkerError, cluster_status, make_app
    settings = load_settings(env={})
    with pytest.raises(WorkerError, match="broker_url"):
        make_app(settings)
    assert "none configured" in cluster_status(settings)["broker"]
    result = CliRunner().invoke(cli, ["worker"], env={})
    assert result.exit_code == 2 and "no broker configured" in result.output


def test_status_without_a_broker_says_so(tmp_path):
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{tmp_path / 'g.db'}", "status"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "workers:" in result.output and "none configured" in result.output


# --------------------------------------------------------------------------- host locks

@pytest.mark.parametrize("url, name", [
    ("http://www.Example.gov.cn/col/index.html", "host:www.example.gov.cn"),
    ("https://www.example.gov.cn:443/a", "host:www.example.gov.cn"),
    ("http://www.example.gov.cn:80/a", "host:www.example.gov.cn"),
    ("http://127.0.0.1:8081/col/", "host:127.0.0.1:8081"),
    ("https://sfj.youyang.gov.cn.:8443/", "host:sfj.youyang.gov.cn:8443"),
    ("not a url", None),
])
def test_host_lock_names(url, name):
    assert locks.host_lock_name(url) == name


def test_host_lock_names_are_distinct_and_sorted():
    assert locks.host_lock_names(["http://b.gov.cn/1", "http://a.gov.cn/", "http://b.gov.cn/2"]) \
        == ["host:a.gov.cn", "host:b.gov.cn"]


def test_host_locks_exclude_each_other_all_or_none(db_url):
    a, b = "host:a.gov.cn", "host:b.gov.cn"
    first = locks.try_lock(db_url, [a])
    assert first is not None
    assert locks.try_lock(db_url, [a]) is None
    # Taking [a, b] fails as a whole: b must not be left taken.
    assert locks.try_lock(db_url, [a, b]) is None
    only_b = locks.try_lock(db_url, [b])
    assert only_b is not None
    only_b.release()
    first.release()
    both = locks.try_lock(db_url, [b, a])
    assert both is not None and both.names == (a, b)
    both.release()
    started = time.monotonic()
    assert locks.lock(db_url, [a], wait_seconds=5) is not None  # free: no wait
    assert time.monotonic() - started < 2


def test_a_killed_holder_loses_its_host_lock(db_url):
    """The lock goes with the process that held it: a worker killed mid-crawl blocks no one."""
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from jobs import locks
            lease = locks.try_lock({db_url!r}, ["host:x.gov.cn"])
            print("held" if lease else "busy", flush=True)
            time.sleep(60)
        """)], stdout=subprocess.PIPE, text=True, cwd=PROJECT,
        env={**os.environ, "PYTHONPATH": str(PROJECT)})
    try:
        assert holder.stdout.readline().strip() == "held"
        assert locks.try_lock(db_url, ["host:x.gov.cn"]) is None
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        lease = locks.lock(db_url, ["host:x.gov.cn"], wait_seconds=10)
        assert lease is not None
        lease.release()
    finally:
        holder.kill()
        holder.wait()


# --------------------------------------------------------------------------- enqueue

def _queued(tag: str, queue: str) -> list[dict]:
    import json

    import redis
    client = redis.Redis.from_url(REDIS_URL)
    return [json.loads(m) for m in client.lrange(queue, 0, -1)]


def test_enqueue_routes_to_the_sources_queue(broker, sqlite_db):
    from jobs.worker import TASK_CRAWL, TASK_PARSE, enqueue_crawl, enqueue_parse
    settings = make_settings(sqlite_db.url, broker)
    china = f"china-{broker}"
    t1 = enqueue_crawl(settings, "plain")
    t2 = enqueue_crawl(settings, "behind-proxy", queue=china)
    t3 = enqueue_parse(settings, run_id=7)
    crawl = _queued(broker, settings.worker.crawl_queue)
    proxied = _queued(broker, china)
    parse = _queued(broker, settings.worker.parse_queue)
    assert [(m["headers"]["id"], m["headers"]["task"]) for m in crawl] == [(t1, TASK_CRAWL)]
    assert [(m["headers"]["id"], m["headers"]["task"]) for m in proxied] == [(t2, TASK_CRAWL)]
    assert [(m["headers"]["id"], m["headers"]["task"]) for m in parse] == [(t3, TASK_PARSE)]


def test_enqueue_retries_then_fails_when_the_broker_is_down(sqlite_db):
    from jobs.worker import enqueue_crawl
    settings = make_settings(sqlite_db.url, enqueue_retries=1)
    settings = dataclasses.replace(settings, worker=dataclasses.replace(
        settings.worker, broker_url="redis://127.0.0.1:9/0"))  # nothing listens on port 9
    started = time.monotonic()
    with pytest.raises(Exception) as info:
        enqueue_crawl(settings, "a")
    assert "connect" in str(info.value).lower() or "refused" in str(info.value).lower()
    assert time.monotonic() - started >= 1  # it did wait and retry


def test_enqueue_waits_for_a_broker_that_comes_back(tmp_path, sqlite_db):
    """The broker restarting while the scheduler sends a crawl: the send is retried until it is up,
    and the task is there (a Redis of our own, on a free port, started 1.5 s late)."""
    import shutil
    import socket
    import threading

    import redis
    server = shutil.which("redis-server")
    if server is None:
        if IN_CI:
            pytest.fail("redis-server is not installed (CI=true: it must be)")
        pytest.skip("redis-server is not installed")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    from jobs.worker import enqueue_crawl
    settings = make_settings(sqlite_db.url, "late", enqueue_retries=6)
    settings = dataclasses.replace(settings, worker=dataclasses.replace(
        settings.worker, broker_url=f"redis://127.0.0.1:{port}/0"))
    procs: list[subprocess.Popen] = []

    def start_late() -> None:
        time.sleep(1.5)
        procs.append(subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1",
                                       "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                                      stdout=subprocess.DEVNULL))

    threading.Thread(target=start_late).start()
    try:
        started = time.monotonic()
        task_id = enqueue_crawl(settings, "a")
        assert time.monotonic() - started >= 1.5
        queued = redis.Redis(port=port).lrange(settings.worker.crawl_queue, 0, -1)
        assert len(queued) == 1 and task_id.encode() in queued[0]
    finally:
        time.sleep(0.1)
        for proc in procs:
            proc.terminate()
            proc.wait(10)



AMQP_URL = os.environ.get("GOVREPORTS_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672//")


def test_rabbitmq_broker_takes_a_crawl_and_status_counts_it(sqlite_db):
    """The same app on RabbitMQ: a crawl task lands in its queue, and `status` counts it."""
    import socket
    from urllib.parse import urlsplit

    from kombu import Connection
    parts = urlsplit(AMQP_URL)
    try:
        socket.create_connection((parts.hostname, parts.port or 5672), timeout=2).close()
    except OSError as exc:
        pytest.skip(f"RabbitMQ at {AMQP_URL} is not reachable: {exc}")
    from jobs.worker import cluster_status, enqueue_crawl
    tag = uuid.uuid4().hex[:8]
    settings = make_settings(sqlite_db.url, tag)
    settings = dataclasses.replace(settings, worker=dataclasses.replace(
        settings.worker, broker_url=AMQP_URL, inspect_timeout_seconds=0.3))
    queue = settings.worker.crawl_queue
    try:
        enqueue_crawl(settings, "a")
        status = cluster_status(settings)
        assert status["queues"][queue] == 1, status
        assert status["workers"] == "none answered"
    finally:
        with Connection(AMQP_URL) as conn:
            conn.default_channel.queue_delete(queue)
            conn.default_channel.exchange_delete(queue)


# --------------------------------------------------------------------------- task outcomes, in-process

def _add_source(db, name: str, url: str) -> None:
    from storage.sources import SourceSpec, add_source
    with db.session() as s:
        add_source(s, SourceSpec(name=name, start_urls=(url,)))


def _runs_of(db) -> list:
    from storage.runs import list_runs
    with db.session() as s:
        return [(r.status, r.trigger, r.error) for r in list_runs(s)]


def test_a_crawl_whose_host_stays_busy_waits_then_gives_up_recorded(db):
    """Run eagerly (retries at once, countdowns not slept): while another holder keeps the host,
    the task only retries, never crawls; past host_busy_max_wait_seconds it stops, recorded."""
    from jobs.worker import TASK_CRAWL, make_app
    settings = make_settings(db.url, "busy", host_busy_retry_seconds=1, host_busy_max_wait_seconds=3)
    _add_source(db, "busy", "http://127.0.0.1:9/col/index.html")  # never contacted
    app = make_app(settings)
    with locks.try_lock(db.url, ["host:127.0.0.1:9"]):
        result = app.tasks[TASK_CRAWL].apply(kwargs={"source_name": "busy"})
    assert result.get()["status"] == "failed"
    assert result.get()["error"].endswith("giving up")
    [(status, trigger, error)] = _runs_of(db)
    assert (status, trigger) == ("failed", "worker") and "busy" in error


def test_a_worker_parse_waits_for_the_parse_lock_the_cli_holds(db):
    """`govreports parse`, the service, the OCR job and a worker's parse task take one lock: while
    another parser holds it, the worker's task parses nothing and comes back later."""
    import types

    from celery.exceptions import Retry

    from jobs.locks import PARSE_LOCK, make_locks
    from jobs.worker import _parse_task, _State
    settings = make_settings(db.url, "parselock", parse_lock_wait_seconds=1)
    retries: list[dict] = []
    task = types.SimpleNamespace(request=types.SimpleNamespace(hostname="test@here"),
                                 retry=lambda **kw: retries.append(kw["kwargs"]) or Retry())
    state = _State(settings)
    other = make_locks(db, settings)
    try:
        with other.acquire(PARSE_LOCK, label="parse"):
            with pytest.raises(Retry):
                _parse_task(task, state, None, None, 0, 0.0)
            assert len(retries) == 1 and retries[0]["waited"] > 0
        # free again: the same task now runs (nothing is pending, so it parses nothing)
        assert _parse_task(task, state, None, None, 0, 0.0) is not None
    finally:
        other.close()
        state.db.dispose()


def test_a_task_that_keeps_failing_stops_after_its_retries_recorded(sqlite_db):
    """Database trouble on every attempt (here: the locks table is gone): max_retries more tries,
    then the task fails and a failed crawl run says why."""
    import sqlalchemy as sa
    from jobs.worker import TASK_CRAWL, make_app
    settings = make_settings(sqlite_db.url, "fail", max_retries=2)
    _add_source(sqlite_db, "doomed", "http://127.0.0.1:9/col/index.html")
    with sqlite_db.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE locks"))
    app = make_app(settings)
    result = app.tasks[TASK_CRAWL].apply(kwargs={"source_name": "doomed"})
    assert result.failed()
    [(status, trigger, error)] = _runs_of(sqlite_db)
    assert (status, trigger) == ("failed", "worker")
    assert "gave up after 3 attempts" in error and "locks" in error


# --------------------------------------------------------------------------- real workers

def _descendants(pid: int) -> list[int]:
    """*pid*'s child processes, grandchildren, ... (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


class Workers:
    """`govreports worker` processes, each with its own User-Agent so the test web's log tells
    which worker made a request; stopped (or killed) at the end."""

    def __init__(self, tmp_path: Path, db_url: str, tag: str, **env: str) -> None:
        self.tmp_path, self.db_url, self.tag, self.env = tmp_path, db_url, tag, env
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen:
        env = worker_env(self.db_url, self.tag, GOVREPORTS__CRAWL__USER_AGENT=f"govreports-test/{name}",
                         **self.env)
        log = open(self.tmp_path / f"{name}.log", "wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "jobs.cli", "worker", "-n", f"{name}@{self.tag}",
             *(args or ("-c", "1"))],
            env=env, cwd=PROJECT, stdout=log, stderr=subprocess.STDOUT)
        self.procs[name] = proc
        return proc

    def node(self, name: str) -> str:
        return f"{name}@{self.tag}"

    def kill(self, name: str) -> list[int]:
        """SIGKILL the worker's main process (only that: its pool and crawl processes must die
        with it); returns the pids of those it had."""
        proc = self.procs[name]
        children = _descendants(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        return children

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                for pid in [proc.pid, *_descendants(proc.pid)]:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                proc.wait()


# Fast, still polite crawls: one request at a time per host, 0.2 s apart.
FAST_CRAWL = {"GOVREPORTS__CRAWL__DOWNLOAD_DELAY_SECONDS": "0.2",
              "GOVREPORTS__CRAWL__AUTOTHROTTLE": "false",
              "GOVREPORTS__CRAWL__RETRY_TIMES": "1",
              "GOVREPORTS__WORKER__HOST_BUSY_RETRY_SECONDS": "1",
              "GOVREPORTS__WORKER__RETRY_DELAY_SECONDS": "1"}


def _register(db_url: str, web) -> dict[str, int]:
    from storage.db import open_database
    from storage.sources import SourceSpec, add_source
    db = open_database(db_url)
    try:
        with db.session() as s:
            return {name: add_source(s, SourceSpec(name=name, start_urls=tuple(urls),
                                                   issuer=issuer)).id
                    for name, urls, issuer in web.sources}
    finally:
        db.dispose()


def _collection(db_url: str) -> dict:
    """What the database holds: publications by URL, runs, pending captures."""
    import sqlalchemy as sa

    from storage.models import Capture, CrawlRun, Publication, Report, Source
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            pubs: dict[str, list[int]] = {}
            for url, report_id in conn.execute(sa.select(Publication.url, Publication.report_id)):
                pubs.setdefault(url, []).append(report_id)
            runs = [dict(r._mapping) for r in conn.execute(
                sa.select(CrawlRun.id, Source.name.label("source"), CrawlRun.status,
                          CrawlRun.started_at, CrawlRun.finished_at, CrawlRun.stats, CrawlRun.error)
                .join(Source, Source.id == CrawlRun.source_id).order_by(CrawlRun.id))]
            pending = conn.execute(sa.select(sa.func.count()).select_from(Capture)
                                   .where(Capture.parse_state == "pending")).scalar()
            reports = conn.execute(sa.select(Report.id, Report.content_sha256)).all()
    finally:
        engine.dispose()
    return {"pubs": pubs, "runs": runs, "pending": pending, "reports": reports}


def _wait_for_collection(db_url: str, web, workers: Workers, *, timeout: float) -> dict:
    """Wait until every planted page is stored and nothing is left to parse, then a little more,
    so that a late duplicate would show."""
    deadline = time.monotonic() + timeout
    while True:
        state = _collection(db_url)
        if all(url in state["pubs"] for url in web.planted_urls) and state["pending"] == 0 \
                and all(r["status"] != "running" for r in state["runs"]):
            time.sleep(2)
            return _collection(db_url)
        if time.monotonic() > deadline:
            missing = [u for u in web.planted_urls if u not in state["pubs"]]
            logs = "\n".join(f"--- {n}\n{workers.log(n)}" for n in workers.procs)
            pytest.fail(f"not stored after {timeout} s: {missing[:5]}; pending {state['pending']}; "
                        f"runs {state['runs']}\n{logs}")
        time.sleep(0.5)


def assert_each_report_stored_once(web, state: dict) -> None:
    for url in web.planted_urls:
        assert len(state["pubs"].get(url, [])) == 1, f"{url}: {state['pubs'].get(url)}"
    for report in web.reports:  # a reposted report is one report with two publications
        assert len({state["pubs"][u][0] for u in report.urls}) == 1, report.urls
    assert len({state["pubs"][r.urls[0]][0] for r in web.reports}) == len(web.reports)
    assert len(state["reports"]) == len(web.reports)
    hashes = [h for _, h in state["reports"]]
    assert len(set(hashes)) == len(hashes)


def assert_one_crawl_per_host_at_a_time(web) -> None:
    """From the test web's log: on each host, the requests of its sources' crawls (told apart by
    column path) never interleave, and neither do those of different workers (User-Agent)."""
    columns = {(s.host, col.path): f"{s.name}-c{c}" for s in web.sites
               for c, col in enumerate(s.columns)}
    for host, requests in web.requests_by_host().items():
        site_requests = [r for r in requests if r.path != "/robots.txt"]
        by_source = [next(name for (h, prefix), name in columns.items()
                          if h == host and r.path.startswith(prefix)) for r in site_requests]
        blocks = list(iter_blocks(by_source))
        assert len(blocks) == len(set(blocks)), f"{host}: crawls interleaved: {blocks}"
        agents = list(iter_blocks([r.agent for r in site_requests]))
        assert len(agents) <= len(set(by_source)), f"{host}: workers interleaved: {agents}"


@pytest.mark.postgres
def test_a_worker_crawls_sources_of_one_host_one_after_the_other(tmp_path, pg_url, broker):
    """Two crawl tasks of one host on one worker with two processes: the second waits for the
    host lock (retried with a countdown), the reports are stored once, `status` shows the worker."""
    web = ClusterWeb(1, two_column_sites=1, reports_per_column=2)
    workers = Workers(tmp_path, pg_url, broker, **FAST_CRAWL)
    with web:
        _register(pg_url, web)
        settings = make_settings(pg_url, broker)
        from jobs.worker import enqueue_crawl
        proc = workers.start("solo", "-c", "2")
        try:
            # Both at once: with two processes both are taken at once, one must wait.
            ids = [enqueue_crawl(settings, name) for name, _, _ in web.sources]
            _wait_for_running(settings, workers, "solo")
            status = CliRunner().invoke(cli, ["status"], env=worker_env(pg_url, broker),
                                        catch_exceptions=False)
            assert workers.node("solo") in status.output, status.output
            assert f"crawl-{broker}" in status.output
            state = _wait_for_collection(pg_url, web, workers, timeout=90)
        finally:
            workers.stop()
    assert proc.returncode == 0
    assert_each_report_stored_once(web, state)
    assert_one_crawl_per_host_at_a_time(web)
    crawled = [r for r in state["runs"] if r["stats"].get("worker/task") in ids]
    assert sorted(r["source"] for r in crawled) == sorted(n for n, _, _ in web.sources)
    first, second = sorted(crawled, key=lambda r: r["started_at"])
    assert first["finished_at"] <= second["started_at"]
    assert all(r["status"] == "succeeded" and r["stats"].get("parse/parsed", 0) >= 2
               for r in crawled), crawled


def _wait_for_running(settings, workers: Workers, name: str, timeout: float = 30) -> None:
    """Until the worker answers the broker (it has started and serves its queues)."""
    from jobs.worker import make_app
    app = make_app(settings)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if workers.procs[name].poll() is not None:
            pytest.fail(f"worker {name} exited: {workers.log(name)}")
        replies = app.control.ping(destination=[workers.node(name)], timeout=0.5)
        if replies:
            return
    pytest.fail(f"worker {name} did not start: {workers.log(name)}")


@pytest.mark.slow
@pytest.mark.postgres
def test_one_scheduler_and_two_workers_crawl_a_web_of_ten_sites(tmp_path, pg_url, broker):
    """`govreports serve` with a broker sends the crawls of twelve sources on ten hosts (two hosts
    with two columns each, one report reposted on a second site) to two `govreports worker`
    processes: every report stored once, both workers crawled, and no host was crawled by two
    crawls at once (from the test web's log)."""
    web = ClusterWeb(10, two_column_sites=2, reports_per_column=2, reposts=1)
    workers = Workers(tmp_path, pg_url, broker, **FAST_CRAWL)
    settings = make_settings(pg_url, broker)
    with web:
        _register(pg_url, web)
        try:
            workers.start("w1")
            workers.start("w2")
            _wait_for_running(settings, workers, "w1")
            _wait_for_running(settings, workers, "w2")
            # The scheduler: sources never crawled are due at once; it only sends their tasks.
            workers.procs["serve"] = subprocess.Popen(
                [sys.executable, "-m", "jobs.cli", "serve"], cwd=PROJECT,
                env=worker_env(pg_url, broker, GOVREPORTS__SERVICE__CRAWL_JITTER_SECONDS="0",
                               GOVREPORTS__SERVICE__LOG_FILE=str(tmp_path / "serve-file.log")),
                stdout=open(tmp_path / "serve.log", "wb"), stderr=subprocess.STDOUT)
            state = _wait_for_collection(pg_url, web, workers, timeout=240)
        finally:
            workers.stop()
    assert_each_report_stored_once(web, state)
    assert_one_crawl_per_host_at_a_time(web)
    assert "crawl sent to the workers" in workers.log("serve")
    crawled = [r for r in state["runs"] if r["stats"].get("worker/node")]
    assert sorted(r["source"] for r in crawled) == sorted(n for n, _, _ in web.sources)
    assert len(state["runs"]) == len(web.sources)  # the scheduler crawled nothing itself
    nodes = [r["stats"]["worker/node"] for r in crawled]
    assert {workers.node("w1"), workers.node("w2")} == set(nodes), nodes
    agents = {r.agent for r in web.log}
    assert agents == {"govreports-test/w1", "govreports-test/w2"}


@pytest.mark.slow
@pytest.mark.postgres
def test_a_worker_killed_mid_crawl_loses_and_doubles_nothing(tmp_path, pg_url, broker):
    """SIGKILL one of two workers while it crawls: its pool and crawl processes die with it, its
    task comes back after the visibility timeout and the other worker finishes it; every report
    stored once, no host crawled twice at once."""
    from jobs.worker import enqueue_crawl
    web = ClusterWeb(4, reports_per_column=6, latency_seconds=0.05)
    workers = Workers(tmp_path, pg_url, broker, **FAST_CRAWL,
                      GOVREPORTS__WORKER__VISIBILITY_TIMEOUT_SECONDS="8")
    settings = make_settings(pg_url, broker)
    with web:
        _register(pg_url, web)
        try:
            workers.start("w1")
            workers.start("w2")
            _wait_for_running(settings, workers, "w1")
            _wait_for_running(settings, workers, "w2")
            for name, _, _ in web.sources:
                enqueue_crawl(settings, name)
            # Kill w1 once it has fetched its second report page: in the middle of a crawl.
            deadline = time.monotonic() + 60
            while True:
                mine = [r for r in list(web.log) if r.agent.endswith("/w1") and "/t20" in r.path]
                if len(mine) >= 2:
                    break
                assert time.monotonic() < deadline, workers.log("w1")
                time.sleep(0.05)
            children = workers.kill("w1")
            killed_host = mine[-1].host
            killed_at = time.time()
            assert len(children) >= 2  # its pool process, and the crawl process of that
            deadline = time.monotonic() + 10
            while any(os.path.exists(f"/proc/{pid}") and _state_of(pid) != "Z" for pid in children):
                assert time.monotonic() < deadline, "a child of the killed worker lives on"
                time.sleep(0.1)
            state = _wait_for_collection(pg_url, web, workers, timeout=120)
        finally:
            workers.stop()
    assert_each_report_stored_once(web, state)
    assert_one_crawl_per_host_at_a_time_after(web, killed_at)
    # The host w1 was crawling was crawled again, to the end, by w2.
    again = [r for r in web.requests_by_host()[killed_host] if r.start > killed_at]
    assert again and {r.agent for r in again} == {"govreports-test/w2"}
    finished = [r for r in state["runs"] if r["stats"].get("worker/node") == workers.node("w2")]
    assert any(r["status"] == "succeeded" for r in finished)


def _state_of(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def assert_one_crawl_per_host_at_a_time_after(web, killed_at: float) -> None:
    """For a web where one crawl was cut short by the kill: on every host, each worker's requests
    form one unbroken block (two crawls at once would interleave them), and the killed worker made
    no request after the kill (no orphaned crawl process went on)."""
    for host, requests in web.requests_by_host().items():
        agents = list(iter_blocks([r.agent for r in requests if r.path != "/robots.txt"]))
        assert len(agents) == len(set(agents)), f"{host}: crawls interleaved: {agents}"
        assert not [r for r in requests if r.start > killed_at + 0.5 and r.agent.endswith("/w1")]
