"""Crawl speed and memory: govreports' crawl of a generated web next to bare Scrapy on the same web
and Scrapy's own `scrapy bench`, all in this run, politeness off.

    .venv/bin/python bench/crawl_speed.py [--sites 50] [--pages 200] [--bench-seconds 15] [--repeat 1]

The web (tests/web/generated.py): N county sites of about P pages each (home, list pages, report
pages), served by the test web's threaded server on 127.0.0.1 and reached through its proxy.
Rows, each crawl in its own process:
- `scrapy bench`: Scrapy's spider on Scrapy's own local link server (the machine's raw rate);
- bare Scrapy: a spider that follows every same-host link, no item pipeline (the anchor), with
  Scrapy's defaults, and again with the two settings govreports changes for speed
  (CONCURRENT_ITEMS, WARN_ON_GENERATOR_RETURN_VALUE: see crawler/scrapy_settings.py);
- govreports: run_crawl (link classification, de-duplication by canonical URL, captures written
  to SQLite with bodies compressed).
Pages/s for the crawls of the generated web are counted by the server (responses / time from the
first request to the last response); peak memory is each crawl process's max RSS. With --repeat N
the crawls run N times in turn (so a busy machine slows them alike) and medians are printed.
Targets: govreports >= 70% of bare Scrapy's pages/s, and under 300 MB.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from jobs.config import CrawlSettings  # noqa: E402
from storage.db import open_database  # noqa: E402
from storage.runs import start_run  # noqa: E402
from web.build import render_site  # noqa: E402
from web.generated import generated_sites  # noqa: E402
from web.server import TestWeb  # noqa: E402

CONCURRENT_REQUESTS, PER_HOST = 32, 8
BARE = "bare Scrapy spider, generated web"
TUNED = "bare Scrapy spider, our two speed settings"
OURS = "govreports run_crawl, generated web"
TARGET_RATIO, TARGET_MB = 0.70, 300

_OURS = """
import json, resource, sys
from jobs.config import CrawlSettings
from crawler.run import run_crawl
spec = json.loads(sys.stdin.read())
stats = run_crawl(crawl=CrawlSettings(**spec["crawl"]), database_url=spec["db"], run_id=spec["run_id"],
                  start_urls=spec["start_urls"])
print(json.dumps({"stats": stats, "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

_BARE = """
import json, resource, sys
from urllib.parse import urlsplit
from scrapy import Request, Spider
from scrapy.crawler import AsyncCrawlerProcess
from scrapy.http import TextResponse
spec = json.loads(sys.stdin.read())

class Bare(Spider):
    name = "bare"
    async def start(self):
        for url in spec["start_urls"]:
            yield Request(url)
    def parse(self, response):
        if not isinstance(response, TextResponse):
            return
        host = urlsplit(response.url).hostname
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href)
            if url.startswith("http") and urlsplit(url).hostname == host:
                yield Request(url)

process = AsyncCrawlerProcess({
    "CONCURRENT_REQUESTS": spec["concurrent"], "CONCURRENT_REQUESTS_PER_DOMAIN": spec["per_host"],
    "DOWNLOAD_DELAY": 0, "ROBOTSTXT_OBEY": False, "LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False,
    "REMOTE_CONTROL_ENABLED": False, **spec["extra"]})
process.crawl(Bare)
process.start()
print(json.dumps({"max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def _child(code: str, spec: dict, env: dict | None = None) -> dict:
    child_env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    child_env.update(env or {})
    child_env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, "-c", code], input=json.dumps(spec), text=True,
                          capture_output=True, cwd=ROOT, env=child_env)
    if proc.returncode != 0:
        raise SystemExit(f"crawl process failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _rate(web: TestWeb) -> tuple[int, float]:
    entries = web.requests()
    seconds = max(e.ended for e in entries) - min(e.started for e in entries)
    return len(entries), len(entries) / seconds


def scrapy_bench(seconds: int) -> float:
    """Pages/s of `scrapy bench` (its own spider and link server) over *seconds*."""
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds}",
         "-s", "LOGSTATS_INTERVAL=1", "-s", "TELNETCONSOLE_ENABLED=False", "-s", "REMOTE_CONTROL_ENABLED=False"],
        capture_output=True, text=True, cwd=tempfile.gettempdir())
    log = proc.stderr + proc.stdout
    count = re.search(r"'response_received_count': (\d+)", log)
    elapsed = re.search(r"'elapsed_time_seconds': ([\d.]+)", log)
    if not (count and elapsed):
        raise SystemExit(f"scrapy bench gave no stats:\n{log[-3000:]}")
    return int(count.group(1)) / float(elapsed.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--bench-seconds", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="govreports-crawl-bench-"))
    try:
        t = time.perf_counter()
        sites = generated_sites(args.sites, args.pages)
        for site in sites:
            render_site(site, work / "sites")
        homes = [f"http://{s.host}/" for s in sites]
        print(f"generated web: {args.sites} sites x ~{args.pages} pages in {time.perf_counter() - t:.1f} s")

        anchors = [scrapy_bench(args.bench_seconds)]
        rows: dict[str, list[tuple[int, float, float]]] = {BARE: [], TUNED: [], OURS: []}
        captures = 0
        with TestWeb(work / "sites") as web:
            for n in range(args.repeat):
                spec = {"start_urls": homes, "concurrent": CONCURRENT_REQUESTS, "per_host": PER_HOST,
                        "extra": {}}
                for name, extra in ((BARE, {}), (TUNED, {"CONCURRENT_ITEMS": 4,
                                                         "WARN_ON_GENERATOR_RETURN_VALUE": False})):
                    web.clear_log()
                    out = _child(_BARE, {**spec, "extra": extra}, env={"http_proxy": web.proxy_url})
                    rows[name].append((*_rate(web), out["max_rss_kb"] / 1024))
                web.clear_log()
                db = open_database(f"sqlite:///{work / f'bench{n}.db'}")
                with db.session() as s:
                    run_id = start_run(s, start_urls=homes, trigger="bench")
                crawl = CrawlSettings(
                    proxy=web.proxy_url, download_delay_seconds=0.0, autothrottle=False, obey_robots=False,
                    concurrent_requests=CONCURRENT_REQUESTS, concurrent_requests_per_host=PER_HOST,
                    retry_times=0, max_requests_per_site=args.pages * 2, max_list_pages=args.pages,
                    log_level="WARNING")
                out = _child(_OURS, {"crawl": dataclasses.asdict(crawl), "db": db.url, "run_id": run_id,
                                     "start_urls": homes})
                rows[OURS].append((*_rate(web), out["max_rss_kb"] / 1024))
                captures = out["stats"].get("capture/rows", 0)
                db.dispose()
                if n + 1 < args.repeat:
                    anchors.append(scrapy_bench(args.bench_seconds))
        med = {name: tuple(statistics.median(r[i] for r in runs) for i in range(3)) for name, runs in rows.items()}
        print(f"{'crawler (median of ' + str(args.repeat) + ')':<44}{'pages':>8}{'pages/s':>10}{'peak MB':>10}")
        print(f"{'scrapy bench (own spider and server)':<44}{'':>8}{statistics.median(anchors):>10.0f}{'':>10}")
        for name, (pages, rate, mb) in med.items():
            print(f"{name:<44}{pages:>8.0f}{rate:>10.0f}{mb:>10.0f}")
        ours, bare, tuned = med[OURS], med[BARE], med[TUNED]
        print(f"govreports / bare Scrapy: {ours[1] / bare[1]:.0%} (target >= {TARGET_RATIO:.0%}); "
              f"/ bare Scrapy with our speed settings: {ours[1] / tuned[1]:.0%}; "
              f"peak {ours[2]:.0f} MB (target < {TARGET_MB} MB); captures written per run: {captures}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
