"""`govreports serve` with [web] enabled starts the web app beside the scheduler, which shows
the sources' next scheduled crawls; SIGTERM stops both."""
from __future__ import annotations

import json
import socket
import urllib.request

from service_harness import Service, add_sources, wait_until, write_settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:  # 127.0.0.1 only
            return json.loads(resp.read())
    except OSError:
        return None


def test_serve_starts_the_web_app_when_enabled(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'g.db'}"
    port = _free_port()
    settings = write_settings(tmp_path / "s.toml", {
        "web": {"enabled": True, "port": port}, "discover": {"on_empty_database": False}})
    add_sources(db_url, [("dead-a", ["http://127.0.0.1:9/"], "every 1h")])
    service = Service(tmp_path, db_url, settings).start()
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        status = wait_until(lambda: _get(f"{base}/status"), 60, what="the web app to answer",
                            on_timeout=lambda: service.text()[-3000:])
        assert status["sources"]["total"] == 1
        def crawled():
            found = _get(f"{base}/sources/dead-a") or {}
            last = found.get("last_run") or {}
            return found if last.get("status") not in (None, "running") else None
        source = wait_until(crawled, 60, what="the first crawl to end",
                            on_timeout=lambda: service.text()[-3000:])
        assert source["last_run"]["status"] == "failed" and source["next_run"]
        assert service.stop() == 0
    finally:
        service.cleanup()
    assert _get(f"{base}/status") is None  # stopped with the service
