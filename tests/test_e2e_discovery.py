"""Issue-level check through the real command line on the full test web: `govreports crawl` on
every site's home page stores every planted report (attachment-only ones included) and no
look-alike as an annual report; after one report is added and one edited, `crawl --revisit 0`
adds exactly one report and one new version."""
from __future__ import annotations

import datetime as dt
import json
import re

from web.build import build_web
from web.full import report
from web.server import TestWeb

from test_e2e_crawl import govreports

BUDGET = 80


def _config(root, web) -> object:
    config = root / "settings.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{root / "govreports.db"}"\n'
        f'[crawl]\nproxy = "{web.proxy_url}"\ndownload_delay_seconds = 0.0\nautothrottle = false\n'
        f'download_timeout_seconds = 1.0\nretry_times = 1\nmax_requests_per_site = {BUDGET}\n'
        f'max_list_pages = 10\nmax_response_bytes = 1000000\n', encoding="utf-8")
    return config


def _reports(config) -> list[dict]:
    out = govreports(config, "export", "--format", "jsonl").stdout
    return [json.loads(line) for line in out.splitlines()]


def test_home_pages_to_reports_then_only_what_changed(tmp_path):
    manifest = build_web(tmp_path / "web", profile="full", slow_seconds=1.5)
    with TestWeb(manifest.sites_dir) as web:
        config = _config(tmp_path, web)
        first = govreports(config, "crawl", *manifest.homes).stdout

        # The requests per site are printed and stay within the budget.
        per_host = {m.group(1): int(m.group(2))
                    for m in re.finditer(r"requests to (\S+): (\d+)", first)}
        assert per_host and max(per_host.values()) <= BUDGET

        stored = _reports(config)
        annual = {r["title"] for r in stored if r["kind"] == "annual_report"}
        missing = {r["title"] for r in manifest.reports} - annual
        assert not missing, f"planted reports not stored: {missing}"
        for decoy in manifest.decoys:
            assert decoy["title"] not in annual, decoy

        # One report added, one edited: exactly one new report and one new version.
        manifest.add_report("www.jinghai.gov.cn", report(
            "静海区2024年度法治政府建设情况报告", "天津市静海区人民政府", "静海区", 2024,
            dt.datetime(2025, 3, 27, 9, 0), report_id="jinghai-gov-2024"))
        manifest.edit_report("hechuan-sfj-2024", "（2025年3月1日更新：补充行政复议案件统计。）",
                             dt.datetime(2025, 3, 1, 10, 0))
        web.reload()
        again = govreports(config, "crawl", "--revisit", "0", *manifest.homes).stdout
        assert "new reports:     1" in again, again
        assert "updated reports: 1" in again, again
        titles = {r["title"] for r in _reports(config) if r["kind"] == "annual_report"}
        assert "静海区2024年度法治政府建设情况报告" in titles
