"""A crawl that must stay on the public internet ([crawl] refuse_private_addresses: one-off crawls
of URLs submitted through the web app) checks each address where it connects, not only where
the URL was submitted: a name resolving to 127.0.0.1 at fetch time (DNS rebinding) and an
address literal are refused, and nothing reaches the server; the same crawl without the setting
fetches them."""
from __future__ import annotations

import http.server
import threading
from typing import Iterator

import pytest

from storage.db import Database
from web.crawl import captures, crawl_settings, run_crawl_process


class _Counting(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        type(self).hits.append(self.path)
        body = "<html><head><title>内部服务</title></head><body><p>内部</p></body></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def internal() -> Iterator[tuple[int, list[str]]]:
    """A service on the loopback address: what an SSRF is after."""
    _Counting.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], _Counting.hits
    finally:
        server.shutdown()
        server.server_close()


def _db(tmp_path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'govreports.db'}")
    db.upgrade()
    return db


def test_names_and_literals_resolving_inside_are_refused_at_fetch_time(tmp_path, internal):
    port, hits = internal
    # localhost stands for a public name whose DNS answer changed to 127.0.0.1 after the check.
    starts = [f"http://localhost:{port}/rebound.html", f"http://127.0.0.1:{port}/literal.html"]
    db = _db(tmp_path)
    try:
        stats = run_crawl_process(db, starts, crawl=crawl_settings(refuse_private_addresses=True,
                                                                   obey_robots=False))
        got = {c.url: c for c in captures(db, stats["run_id"])}
    finally:
        db.dispose()
    assert hits == []
    for url in starts:
        assert got[url].fetch_state != "ok"
        assert "127.0.0.1 is a loopback address: refused (this crawl may reach public addresses only)" in got[url].fetch_error, got[url].fetch_error
        assert "Traceback" not in got[url].fetch_error


def test_without_the_setting_the_same_crawl_fetches_them(tmp_path, internal):
    port, hits = internal
    starts = [f"http://localhost:{port}/rebound.html", f"http://127.0.0.1:{port}/literal.html"]
    db = _db(tmp_path)
    try:
        stats = run_crawl_process(db, starts, crawl=crawl_settings(obey_robots=False))
        got = {c.url: c for c in captures(db, stats["run_id"])}
    finally:
        db.dispose()
    assert sorted(hits) == ["/literal.html", "/rebound.html"]
    assert all(got[u].fetch_state == "ok" for u in starts)
