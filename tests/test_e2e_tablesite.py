"""A crawl, through the command line, of a site whose report page uses a template unlike any other
in the test web (tests/web/tablesite.py: table layout, each paragraph in a nested cell, a long
相关链接 table under it, GB2312): the report is stored, clean, with its fields."""
from __future__ import annotations

import json
import re

from test_e2e_crawl import govreports
from web.server import TestWeb
from web.tablesite import build_table_site


def test_table_layout_site_is_crawled_and_its_report_stored(tmp_path):
    sites = tmp_path / "web" / "sites"
    info = build_table_site(sites)
    with TestWeb(sites) as web:
        config = tmp_path / "settings.toml"
        config.write_text(
            f'[database]\nurl = "sqlite:///{tmp_path / "govreports.db"}"\n'
            f'[crawl]\nproxy = "{web.proxy_url}"\ndownload_delay_seconds = 0.0\n'
            f'autothrottle = false\ndownload_timeout_seconds = 2.0\nretry_times = 1\n', encoding="utf-8")
        crawl = govreports(config, "crawl", info["column"])
        export = govreports(config, "export", "--format", "jsonl")
        status = json.loads(govreports(config, "status", "--json").stdout)
    assert "new reports:     1" in crawl.stdout
    assert "possible reports, not parsed: 0" in crawl.stdout
    (report,) = [json.loads(line) for line in export.stdout.splitlines()]
    want = info["report"]
    assert {k: report[k] for k in ("title", "issuer", "report_year", "published_at", "kind", "url")} == {
        "title": want["title"], "issuer": want["issuer"], "report_year": 2024,
        "published_at": want["published_at"], "kind": "annual_report", "url": want["url"]}
    assert report["region_code"] == "420204"
    text = report["text"]
    # Every paragraph, one a line, and nothing else.
    assert [re.sub(r"\s+", "", ln) for ln in text.splitlines()] == [re.sub(r"\s+", "", p) for p in want["body"]]
    for chrome in ("相关链接", "关于开展2025年度", "文章来源", "点击数", "打印本页", "网站标识码", "您现在的位置"):
        assert chrome not in text, chrome
    assert status["possible_reports"]["total"] == 0
    # The 图解 of it was seen on the list and left alone, not stored as a report.
    assert info["decoy"] not in export.stdout
