"""The crawl's link to the database: the spider's reads (what is known, how to revalidate it) and
the item pipeline that writes captures in batches, one transaction each."""
from __future__ import annotations

import logging
import time
from typing import Iterable

from storage.captures import (
    KnownDocument, NewCapture, Revalidation, known_documents, record_captures, revalidation_info,
)
from storage.db import Database
from storage.raw import get_body
from storage.sources import remember_columns

from crawler.items import CaptureItem

__all__ = ["CaptureStore", "CapturePipeline"]

log = logging.getLogger(__name__)

# A batch is written when it holds this many captures, this many body bytes, or is this old:
# few transactions on the hot path, little lost if the process is killed.
BATCH_ITEMS = 200
BATCH_BYTES = 8_000_000
BATCH_SECONDS = 2.0


class CaptureStore:
    """Database access for one crawl run."""

    def __init__(self, db: Database, *, run_id: int, source_id: int | None,
                 compression_level: int = 6) -> None:
        self.db = db
        self.run_id = run_id
        self.source_id = source_id
        self.compression_level = compression_level
        self.ids: dict[int, int] = {}  # item key -> capture id, for children written later

    def lookup(self, canonical_urls: Iterable[str]) -> dict[str, Revalidation]:
        urls = list(canonical_urls)
        if not urls:
            return {}
        with self.db.session() as s:
            return revalidation_info(s, urls)

    def documents(self, hosts: Iterable[str]) -> list[KnownDocument]:
        """Documents captured before on *hosts* (or of this run's source), to revalidate."""
        with self.db.session() as s:
            return known_documents(s, hosts=list(hosts), source_id=self.source_id)

    def load_body(self, digest: str) -> bytes | None:
        with self.db.session() as s:
            return get_body(s, digest)

    def write(self, items: list[CaptureItem]) -> None:
        """Write *items* in one transaction, resolving parents named by item key."""
        positions = {item.key: i for i, item in enumerate(items)}
        rows = []
        for item in items:
            parent_id = item.parent_capture_id
            parent_index = None
            if parent_id is None and item.parent_key is not None:
                parent_id = self.ids.get(item.parent_key)
                if parent_id is None:
                    parent_index = positions.get(item.parent_key)
            rows.append(NewCapture(
                url=item.url, canonical_url=item.canonical_url, role=item.role,
                fetch_state=item.fetch_state, run_id=self.run_id, source_id=self.source_id,
                final_url=item.final_url, parent_capture_id=parent_id, parent_index=parent_index,
                link_text=item.link_text, http_status=item.http_status,
                content_type=item.content_type, etag=item.etag, last_modified=item.last_modified,
                body=item.body, body_sha256=item.body_sha256, fetch_error=item.fetch_error,
                skip_reason=item.skip_reason, fetched_at=item.fetched_at))
        with self.db.session() as s:
            ids = record_captures(s, rows, compression_level=self.compression_level)
        for item, capture_id in zip(items, ids):
            self.ids[item.key] = capture_id

    def remember_columns(self, columns: Iterable[str]) -> None:
        columns = sorted(set(columns))
        if self.source_id is None or not columns:
            return
        with self.db.session() as s:
            remember_columns(s, self.source_id, columns)


class CapturePipeline:
    """Item pipeline: buffers CaptureItems and writes them in batches."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.buffer: list[CaptureItem] = []
        self.buffer_bytes = 0
        self.last_flush = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler) -> "CapturePipeline":
        return cls(crawler)

    @property
    def store(self) -> CaptureStore:
        return self.crawler.spider.store

    def process_item(self, item: CaptureItem) -> CaptureItem:
        self.buffer.append(item)
        self.buffer_bytes += len(item.body or b"")
        if (len(self.buffer) >= BATCH_ITEMS or self.buffer_bytes >= BATCH_BYTES
                or time.monotonic() - self.last_flush >= BATCH_SECONDS):
            self.flush()
        return item

    def flush(self) -> None:
        items, self.buffer, self.buffer_bytes = self.buffer, [], 0
        self.last_flush = time.monotonic()
        if not items:
            return
        stats = self.crawler.stats
        try:
            self.store.write(items)
        except Exception:  # a failed batch must not stop the crawl; it is logged once, here
            log.exception("capture: run %s: writing %d captures failed (first: %s)",
                          self.store.run_id, len(items), items[0].url)
            stats.inc_value("capture/write_errors", len(items))
            return
        stats.inc_value("capture/rows", len(items))
        stats.inc_value("capture/batches")

    def close_spider(self) -> None:
        self.flush()
