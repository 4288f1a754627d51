"""Discovery at scale: `govreports sources discover --depth 2` on a generated web of 1 province
portal, 300 county portals and 3,000 department sites, next to a bare Scrapy spider fetching the
same pages and Scrapy's own `scrapy bench`, all in this run.

    .venv/bin/python bench/discover_scale.py [--counties 300] [--departments 10] [--repeat 1]
                                             [--bench-seconds 10] [--robots]

The web (tests/web/provinces.py: generated_province) is served by the test web's threaded server
on 127.0.0.1 and reached through its proxy. Rows, each in its own processes:
- `scrapy bench`: Scrapy's spider on Scrapy's own link server (the machine's raw rate);
- bare Scrapy: a spider that follows every link to another host once, two hops deep, with no item
  pipeline (the anchor: the least any crawler fetching these pages must do);
- govreports: the real command (`govreports sources discover URL --depth 2`): the discovery process
  (reading the lists, names under their parent portal, captures written to SQLite) and the
  registry writes of every site found, as a user runs it.
Requests and pages/s are counted by the server; wall time is the whole command; peak memory is
the largest process's max RSS (the command or its discovery process). Politeness is off in all
rows (no delay, 32 at once, 8 per host), and robots.txt is not fetched unless --robots (a real run
asks each host for it once: one more request per site).
"""
from __future__ import annotations

import argparse
import json
import os
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
sys.path.insert(0, str(ROOT / "bench"))

from crawl_speed import scrapy_bench  # noqa: E402
from web.provinces import BENCH_PROVINCE_URL, generated_province  # noqa: E402
from web.server import TestWeb  # noqa: E402

CONCURRENT_REQUESTS, PER_HOST = 32, 8

# Runs a command and prints the largest max RSS (kB) of the processes it waited for.
_MEASURE = """
import resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stderr.write(proc.stderr[-3000:])
print(proc.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(proc.stdout)
"""

_BARE = """
import json, sys
from urllib.parse import urlsplit
from scrapy import Request, Spider
from scrapy.crawler import AsyncCrawlerProcess
from scrapy.http import TextResponse
spec = json.loads(sys.stdin.read())

class Bare(Spider):
    name = "bare"
    seen = set()
    async def start(self):
        yield Request(spec["start"], meta={"hop": 0})
    def parse(self, response):
        if not isinstance(response, TextResponse) or response.meta["hop"] >= 2:
            return
        here = urlsplit(response.url).hostname
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href)
            host = urlsplit(url).hostname
            if url.startswith("http") and host != here and host not in self.seen:
                self.seen.add(host)
                yield Request(url, meta={"hop": response.meta["hop"] + 1})

process = AsyncCrawlerProcess({
    "CONCURRENT_REQUESTS": spec["concurrent"], "CONCURRENT_REQUESTS_PER_DOMAIN": spec["per_host"],
    "DOWNLOAD_DELAY": 0, "ROBOTSTXT_OBEY": spec["robots"], "LOG_LEVEL": "WARNING",
    "TELNETCONSOLE_ENABLED": False, "REMOTE_CONTROL_ENABLED": False})
process.crawl(Bare)
process.start()
"""


def _env(proxy: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PYTHONPATH"] = str(ROOT)
    env["http_proxy"] = proxy
    return env


def _measured(argv: list[str], *, stdin: str | None = None, env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, peak MB, stdout) of *argv*."""
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _MEASURE, *argv], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, env=env)
    wall = time.perf_counter() - t
    first, _, out = proc.stdout.partition("\n")
    code, rss = first.split()
    if code != "0":
        raise SystemExit(f"{argv[:4]} failed ({code}):\n{proc.stderr[-3000:]}")
    return wall, int(rss) / 1024, out


def _served(web: TestWeb) -> tuple[int, float]:
    entries = web.requests()
    seconds = max(e.ended for e in entries) - min(e.started for e in entries)
    return len(entries), len(entries) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=300)
    parser.add_argument("--departments", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--bench-seconds", type=int, default=10)
    parser.add_argument("--robots", action="store_true", help="Fetch robots.txt, as real runs do.")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="govreports-discover-bench-"))
    try:
        t = time.perf_counter()
        sites_dir, n_sites = generated_province(work, counties=args.counties, departments=args.departments)
        print(f"generated web: 1 province, {args.counties} county portals, "
              f"{args.counties * args.departments} department sites ({n_sites} sites) in "
              f"{time.perf_counter() - t:.1f} s; load average {os.getloadavg()[0]:.2f}")
        rows: dict[str, list[tuple[int, float, float, float]]] = {"bare": [], "ours": []}
        anchors = []
        found = {}
        with TestWeb(sites_dir) as web:
            env = _env(web.proxy_url)
            for n in range(args.repeat):
                anchors.append(scrapy_bench(args.bench_seconds))
                web.clear_log()
                spec = {"start": BENCH_PROVINCE_URL, "concurrent": CONCURRENT_REQUESTS,
                        "per_host": PER_HOST, "robots": args.robots}
                wall, mb, _ = _measured([sys.executable, "-c", _BARE], stdin=json.dumps(spec), env=env)
                rows["bare"].append((*_served(web), wall, mb))
                web.clear_log()
                config = work / "settings.toml"
                config.write_text(
                    f'[database]\nurl = "sqlite:///{work / f"bench{n}.db"}"\n'
                    f'[crawl]\nproxy = "{web.proxy_url}"\ndownload_delay_seconds = 0.0\nautothrottle = false\n'
                    f'retry_times = 0\nobey_robots = {"true" if args.robots else "false"}\n'
                    f'concurrent_requests = {CONCURRENT_REQUESTS}\nconcurrent_requests_per_host = {PER_HOST}\n'
                    f'log_level = "WARNING"\n', encoding="utf-8")
                wall, mb, out = _measured(
                    [sys.executable, "-m", "jobs.cli", "-q", "--config", str(config), "sources", "discover",
                     BENCH_PROVINCE_URL, "--depth", "2", "--json"], env=env)
                rows["ours"].append((*_served(web), wall, mb))
                found = json.loads(out)
        med = {k: tuple(statistics.median(r[i] for r in v) for i in range(4)) for k, v in rows.items()}
        print(f"{'(median of ' + str(args.repeat) + ')':<48}{'requests':>9}{'pages/s':>9}{'wall s':>8}{'peak MB':>9}")
        print(f"{'scrapy bench (own spider and server)':<48}{'':>9}{statistics.median(anchors):>9.0f}")
        for name, label in (("bare", "bare Scrapy, every other host once, 2 hops"),
                            ("ours", "govreports sources discover --depth 2")):
            req, rate, wall, mb = med[name]
            print(f"{label:<48}{req:>9.0f}{rate:>9.0f}{wall:>8.1f}{mb:>9.0f}")
        added = sum(1 for c in found.get("changes", []) if c["change"] == "added")
        print(f"sources registered: {added} of {n_sites} sites; discovery / bare Scrapy wall time: "
              f"{med['ours'][2] / med['bare'][2]:.2f}x; not sources: {len(found.get('not_sources', []))}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
