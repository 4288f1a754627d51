"""`govreports crawl` through the network faults of tests/faultweb.py (gzip, deflate and brotli
bombs as Content-Encoding, a drip-fed body, an endless chunked body ...) stays under its memory
limit: the peak resident memory of the crawl's processes (the CLI and the crawl process it
starts), as the kernel counts it for the children a process has waited for, is under [crawl]
process_memory_mb and near what a crawl of one normal page takes."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

import faultweb
from service_harness import govreports_command, write_settings
from test_crawler_faults import EXPECTED

LIMIT_MB = 400
# Runs a command and prints the largest peak RSS (KB) among the processes it waited for.
_MEASURE = ("import resource, subprocess, sys\n"
            "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
            "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")


def _crawl_peak_mb(tmp_path, name: str, urls: list[str], proxy: str) -> tuple[int, float, str]:
    settings = write_settings(tmp_path / f"{name}.toml", {"crawl": {
        "proxy": proxy, "max_response_bytes": 2_000_000, "download_timeout_seconds": 2.0,
        "retry_times": 1, "concurrent_requests": 16, "process_memory_mb": LIMIT_MB}})
    db_url = f"sqlite:///{tmp_path / (name + '.db')}"
    out = subprocess.run([sys.executable, "-c", _MEASURE, *govreports_command(), "--db", db_url,
                          "--config", str(settings), "crawl", "--no-parse", *urls],
                         capture_output=True, text=True, cwd=tmp_path, timeout=180)
    code, peak_kb = out.stdout.split()
    return int(code), int(peak_kb) / 1024, db_url


@pytest.fixture(scope="module")
def peaks(tmp_path_factory):
    root = tmp_path_factory.mktemp("faultmem")
    with faultweb.FaultWeb() as web:
        base = _crawl_peak_mb(root, "baseline", [f"http://{faultweb.HOST}/ok.html"], web.proxy_url)
        faults = _crawl_peak_mb(root, "faults", [f"http://{faultweb.HOST}{p}" for p in EXPECTED],
                                web.proxy_url)
    return {"baseline": base, "faults": faults}


def test_the_crawl_of_every_fault_finishes_and_records_each(peaks):
    from sqlalchemy import create_engine, text
    code, _, db_url = peaks["faults"]
    assert code == 0
    engine = create_engine(db_url)
    try:
        with engine.connect() as c:
            (status,) = c.execute(text("select status from crawl_runs")).one()
            states = dict(c.execute(text("select url, fetch_state from captures")).all())
    finally:
        engine.dispose()
    assert status == "succeeded"  # not killed at its memory limit
    assert {p: states.get(f"http://{faultweb.HOST}{p}") for p in EXPECTED} == {
        p: state for p, (state, _) in EXPECTED.items()}


def test_memory_stays_under_the_limit_and_near_a_normal_crawls(peaks):
    _, base, _ = peaks["baseline"]
    _, peak, _ = peaks["faults"]
    print(json.dumps({"baseline_mb": round(base), "faults_mb": round(peak), "limit_mb": LIMIT_MB}))
    assert peak < LIMIT_MB, (peak, base)
    # 50 MB bombs, a 6.5 GB endless body: none is held whole (each is cut at 2 MB).
    assert peak < base + 60, (peak, base)
