"""The web app's speed at scale: the search page (filters, facets, snippets, paging) on 100,000
synthetic reports, on SQLite and PostgreSQL, quiet and under a load of concurrent clients.

    .venv/bin/python bench/web_speed.py [--n 100000] [--backends sqlite,postgresql] [--clients 8]
                                        [--seconds 20] [--keep]
    .venv/bin/python bench/web_speed.py --db URL [--db URL]      # a database kept by --keep

Reports are made as bench/search_scale.py makes them (the seeds' paragraphs recombined with other
counties, years and figures; rare sentences of known frequency), 8 to 14 paragraphs each (about
3,000 characters: --paragraphs 18-32 gives full-length ones, at four times the indexing time), and
bulk-inserted and indexed once per database. The app is served by `govreports web` in a process
of its own on 127.0.0.1.

Prints, per backend:
- quiet: server-side time of each search page (the app's Server-Timing header: from request to
  response, template included), p50/p95 over the page set and rounds, next to the baseline measured
  in the same run: storage.search.search() alone for the same queries (what `govreports search`
  costs: no facets, no page);
- loaded: N client threads with keep-alive connections requesting the page set for --seconds:
  pages a second, errors, client-side p50/p95, and server-side p95 under that load.
Target (the issue): server-side p95 under 50 ms with filters and facets, on both backends.
"""
from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sqlalchemy as sa  # noqa: E402

import search_scale  # noqa: E402  (the same generated reports as the search benchmark)
from pipeline.dedup import content_sha256  # noqa: E402
from pipeline.tokens import make_tokenizer  # noqa: E402
from storage.db import Database, open_database  # noqa: E402
from storage.models import Report  # noqa: E402
from storage.search import Filters, search  # noqa: E402

PG_URL = search_scale.PG_URL

# The page set: words, phrases, OR and NOT, with the filters people use (year, province, city,
# county by name or code, kind, issuer, a date range), and a second page.
def page_set(gen: search_scale.Generator) -> list[dict[str, str]]:
    county = gen.counties[len(gen.counties) // 3][0]
    return [
        {"q": "行政复议 败诉", "year": "2023"},
        {"q": "法律援助 公证", "region": county[:2]},
        {"q": "合法性审查 规范性文件", "region": county[:4], "year": "2022"},
        {"q": '"重大行政决策"', "kind": "annual_report", "year": "2024", "region": county[:2]},
        {"q": "府院联动"},
        {"q": "无人机 执法", "from": "2024-01-01", "to": "2024-03-31"},
        {"q": "复议 OR 诉讼", "issuer": "司法局", "year": "2021"},
        {"q": "法治政府", "region": county},
        {"q": "行政执法 -无人机", "year": "2020", "page": "2"},
        {"q": "", "year": "2022", "region": county[:2]},
        {"q": '"证明事项告知承诺制"', "kind": "annual_report"},
        {"q": "法治政府"},  # in every report: counts estimated past [web] exact_count_limit
    ]


def _filters(p: dict[str, str]) -> Filters:
    import datetime as dt
    return Filters(year=int(p["year"]) if p.get("year") else None, region=p.get("region"),
                   kind=p.get("kind"), issuer=p.get("issuer"),
                   date_from=dt.date.fromisoformat(p["from"]) if p.get("from") else None,
                   date_to=dt.date.fromisoformat(p["to"]) if p.get("to") else None)


def load(db: Database, n: int, paragraphs: tuple[int, int]) -> tuple[float, int]:
    """Insert N generated reports of *paragraphs* paragraphs; returns seconds and characters."""
    gen, chars, secs = search_scale.Generator(), 0, 0.0
    rng = random.Random(11)
    for lo in range(1, n + 1, search_scale.BATCH):
        rows = []
        for i in range(lo, min(lo + search_scale.BATCH, n + 1)):
            row = gen.doc(i)
            paras = row["text"].split("\n")
            row["text"] = "\n".join(paras[:rng.randint(*paragraphs)])
            row["content_sha256"] = content_sha256(row["text"])
            rows.append(row)
        chars += sum(len(r["text"]) for r in rows)
        start = time.perf_counter()
        with db.session() as s:
            s.execute(sa.insert(Report), rows)
        secs += time.perf_counter() - start
    return secs, chars


def pct(values: list[float], p: float) -> float:
    return search_scale.pct(values, p) if values else float("nan")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`govreports web` on a database, in its own process."""

    def __init__(self, url: str, root: Path) -> None:
        self.port = _free_port()
        config = root / "web-bench.toml"
        config.write_text(
            f'[database]\nurl = "{url}"\n[web]\nrequests_per_minute = 0\nwrites_per_minute = 0\n'
            f'[service]\nlog_file = "{root / "web-bench.log"}"\n', encoding="utf-8")
        self.proc = subprocess.Popen([sys.executable, "-m", "jobs.cli", "--config", str(config), "-q",
                                      "web", "--port", str(self.port)], cwd=ROOT)
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the web app did not start") from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(20)


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[int, float]:
    conn.request("GET", path)
    resp = conn.getresponse()
    resp.read()
    timing = resp.getheader("Server-Timing") or ""
    server_ms = float(timing.split("dur=", 1)[1]) if "dur=" in timing else float("nan")
    return resp.status, server_ms


def quiet(port: int, paths: list[str], rounds: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for path in paths:  # warm-up
        status, _ = _get(conn, path)
        if status != 200:
            raise SystemExit(f"GET {path}: HTTP {status}")
    out = []
    for _ in range(rounds):
        for path in paths:
            out.append(_get(conn, path)[1])
    conn.close()
    return out


def loaded(port: int, paths: list[str], clients: int, seconds: float,
           max_requests: int = 200_000) -> dict[str, Any]:
    """*clients* threads requesting the pages until *seconds* pass (or *max_requests* in all)."""
    stop_at = time.monotonic() + seconds
    lock = threading.Lock()
    done: list[tuple[float, float]] = []
    errors: list[str] = []
    count = [0]

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = k
        while time.monotonic() < stop_at:
            with lock:
                if count[0] >= max_requests:
                    break
                count[0] += 1
            path = paths[i % len(paths)]
            i += 1
            start = time.perf_counter()
            try:
                status, server_ms = _get(conn, path)
                if status != 200:
                    raise RuntimeError(f"HTTP {status}")
            except Exception as exc:  # an error is counted, and the client reconnects
                with lock:
                    errors.append(f"{path}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            with lock:
                done.append(((time.perf_counter() - start) * 1000, server_ms))
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    return {"pages": len(done), "seconds": elapsed, "errors": errors,
            "client": [c for c, _ in done], "server": [s for _, s in done]}


def baseline(db: Database, pages: list[dict[str, str]], rounds: int) -> list[float]:
    """storage.search.search() alone, as `govreports search` calls it, for the same queries."""
    tokenizer = make_tokenizer("auto")
    out = []
    with db.session() as s:
        for p in pages:
            search(s, p["q"], tokenizer=tokenizer, filters=_filters(p), limit=20)
        for _ in range(rounds):
            for p in pages:
                start = time.perf_counter()
                search(s, p["q"], tokenizer=tokenizer, filters=_filters(p), limit=20,
                       offset=20 * (int(p.get("page", 1)) - 1))
                out.append((time.perf_counter() - start) * 1000)
    return out


def measure(name: str, url: str, args: argparse.Namespace) -> None:
    gen = search_scale.Generator()
    pages = page_set(gen)
    paths = ["/search?" + urlencode({k: v for k, v in p.items() if v}) for p in pages]
    root = Path(tempfile.mkdtemp(prefix="govreports-web-bench-"))
    db = open_database(url)
    try:
        base = baseline(db, pages, args.rounds)
        server = Server(url, root)
        try:
            calm = quiet(server.port, paths, args.rounds)
            busy = loaded(server.port, paths, args.clients, args.seconds)
            per_page = {path: statistics.median(calm[i::len(paths)]) for i, path in enumerate(paths)}
        finally:
            server.stop()
    finally:
        db.dispose()
        shutil.rmtree(root, ignore_errors=True)
    with db.session() as s:
        n = s.scalar(sa.select(sa.func.count()).select_from(Report))
    print(f"\n== {name}: {n:,} reports; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"baseline: search() alone       ({len(base):4d})  p50 {pct(base, 50):6.1f} ms  p95 {pct(base, 95):6.1f} ms")
    print(f"search page, quiet, server     ({len(calm):4d})  p50 {pct(calm, 50):6.1f} ms  p95 {pct(calm, 95):6.1f} ms"
          f"   (target p95 < 50 ms)")
    rate = busy["pages"] / busy["seconds"] if busy["seconds"] else 0.0
    print(f"{args.clients} clients, {busy['seconds']:.0f} s: {rate:6.1f} pages/s, {len(busy['errors'])} errors; "
          f"client p50 {pct(busy['client'], 50):.1f} ms p95 {pct(busy['client'], 95):.1f} ms; "
          f"server p95 {pct(busy['server'], 95):.1f} ms")
    for e in busy["errors"][:5]:
        print(f"   error: {e}")
    for path, ms in sorted(per_page.items(), key=lambda kv: kv[1], reverse=True)[:4]:
        print(f"   slowest page: {ms:6.1f} ms  {path}")


def build(name: str, args: argparse.Namespace) -> tuple[str, Any]:
    """A new database on *name* with N reports, indexed; returns its URL and a cleanup."""
    if name == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="govreports-web-bench-")) / "bench.db"
        url = f"sqlite:///{path}"

        def drop() -> None:
            for p in path.parent.glob("*"):
                p.unlink()
            path.parent.rmdir()
    else:
        schema = "webbench_" + uuid.uuid4().hex[:10]
        engine = sa.create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"

        def drop() -> None:
            engine = sa.create_engine(PG_URL)
            with engine.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            engine.dispose()
    db = open_database(url)
    try:
        lo, hi = (int(x) for x in args.paragraphs.split("-"))
        load_s, chars = load(db, args.n, (lo, hi))
        index_s = search_scale.index_all(db, make_tokenizer("auto"), args.workers)
    finally:
        db.dispose()
    print(f"\n{name}: {args.n:,} reports, {chars / 1e6:,.0f}M characters, inserted in {load_s:.0f} s, "
          f"indexed in {index_s:.0f} s")
    return url, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--paragraphs", default="8-14", help="paragraphs per report (default 8-14)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the load (default 20)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the quiet page set")
    parser.add_argument("--workers", type=int, default=1, help="tokenizing processes while indexing")
    parser.add_argument("--keep", action="store_true", help="keep the databases (printed)")
    parser.add_argument("--db", action="append", default=[], metavar="URL",
                        help="measure a database kept by --keep (repeatable)")
    args = parser.parse_args()
    print(f"web_speed: n={args.n:,}, clients={args.clients}, cores={os.cpu_count()}")
    if args.db:
        for url in args.db:
            measure(url.split(":", 1)[0].split("+")[0], url, args)
        return
    for name in args.backends.split(","):
        url, drop = build(name.strip(), args)
        try:
            measure(name.strip(), url, args)
        finally:
            if args.keep:
                print(f"kept: {url}")
            else:
                drop()


if __name__ == "__main__":
    main()
