"""The web app's tests share one database filled by crawling the seeds test web (twice: the second
crawl finds an edited report, so it has a version to compare), with one registered source and a
write token. Built once per test session (tests/conftest.py: `crawled_web`)."""
from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterator

from jobs.config import Settings, load_settings
from storage.db import Database, open_database
from web.build import build_web
from web.crawl import FAST
from web.server import TestWeb

__all__ = ["CrawledWeb", "crawled_web_context", "TOKEN", "EDITED_REPORT", "settings_for"]

TOKEN = "test-token-5b8d0f"
EDITED_REPORT = "hechuan-sfj-2024"
EDIT = "（2025年3月1日更新：补充行政复议案件统计。）"


@dataclass
class CrawledWeb:
    root: Path
    settings: Settings
    db: Database
    web: TestWeb
    manifest: Any
    source_name: str
    source_host: str


def settings_for(root: Path, url: str, proxy: str, **web: Any) -> Settings:
    settings = load_settings(env={})
    crawl = {**{k: v for k, v in FAST.items() if k != "concurrent_requests"},
             "download_timeout_seconds": 1.5}
    return replace(
        settings, base_dir=root,
        database=replace(settings.database, url=url),
        crawl=replace(settings.crawl, proxy=proxy, **crawl,
                      process_timeout_seconds=240),
        ocr=replace(settings.ocr, enabled=False),
        service=replace(settings.service, log_file=str(root / "govreports.log")),
        web=replace(settings.web, **{"token": TOKEN, **web}))


@contextlib.contextmanager
def crawled_web_context(root: Path) -> Iterator[CrawledWeb]:
    from jobs import tasks
    from storage.sources import SourceSpec, add_source
    manifest = build_web(root / "web", profile="seeds", slow_seconds=1.0)
    with TestWeb(manifest.sites_dir) as web:
        url = f"sqlite:///{root / 'govreports.db'}"
        settings = settings_for(root, url, web.proxy_url)
        db = open_database(url)
        try:
            host = manifest.report(EDITED_REPORT)["host"]
            columns = manifest.sites[host]["columns"]
            name = "合川区司法局"
            with db.session() as s:
                source = add_source(s, SourceSpec(name=name, start_urls=tuple(columns),
                                                  issuer="重庆市合川区司法局", division_code="500117"))
            others = [c for c in manifest.columns if c not in columns]
            tasks.crawl(settings, db, others)
            tasks.crawl(settings, db, columns, source=source)
            manifest.edit_report(EDITED_REPORT, EDIT, dt.datetime(2025, 3, 1, 9, 0))
            web.reload()
            tasks.crawl(settings, db, columns, source=source, revisit_seconds=0)
            yield CrawledWeb(root, settings, db, web, manifest, name, host)
        finally:
            db.dispose()

