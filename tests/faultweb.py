"""A hostile web server on 127.0.0.1 (an HTTP proxy for made-up government host names, as the
test web is): compression bombs as Content-Encoding, a body dripped a byte at a time, a body
shorter than its Content-Length, an endless chunked body, a 5xx storm, redirects to loopback and
link-local addresses, and a redirect chain across 20 hosts; plus one normal page."""
from __future__ import annotations

import gzip
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import brotli

HOST = "www.fault.gov.cn"
PAGE = ("<html><head><meta charset='utf-8'><title>XX县2024年法治政府建设年度报告</title></head>"
        "<body><h1>XX县2024年法治政府建设年度报告</h1><p>2024年，我县坚持依法行政。</p></body></html>"
        ).encode("utf-8")
# What each path does; the crawl test names the outcome each must be recorded with.
PATHS = ("/ok.html", "/gzip-bomb.html", "/deflate-bomb.html", "/br-bomb.html", "/drip.html",
         "/short.html", "/chunked-endless.html", "/storm.html", "/to-loopback.html",
         "/to-link-local.html", "/hop/0.html")
BOMB_BYTES = 50_000_000  # 25 times the crawl test's size limit


def _bombs() -> dict[str, bytes]:
    zeros = b"\0" * (1 << 20)
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    gz = b"".join(comp.compress(zeros) for _ in range(BOMB_BYTES >> 20)) + comp.flush()
    comp = zlib.compressobj(9)
    defl = b"".join(comp.compress(zeros) for _ in range(BOMB_BYTES >> 20)) + comp.flush()
    br = brotli.compress(b"\0" * BOMB_BYTES, quality=1)
    return {"gzip": gz, "deflate": defl, "br": br}


class FaultWeb:
    def __init__(self) -> None:
        self.bombs = _bombs()
        self.hits: dict[str, int] = {}
        web = self

        class Handler(_Handler):
            owner = web
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "FaultWeb":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    owner: Any = None
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass

    def do_GET(self) -> None:  # noqa: C901 - one branch per fault
        parts = urlsplit(self.path)
        host = parts.hostname or self.headers.get("Host", "")
        path = parts.path
        key = f"{host}{path}"
        self.owner.hits[key] = self.owner.hits.get(key, 0) + 1
        if path == "/robots.txt":
            return self._send(404, b"")
        if host.startswith("www.hop") and path == "/hop/0.html":
            n = int(host[len("www.hop"):].split(".")[0])
            return self._send(302, b"", {"Location": f"http://www.hop{n + 1}.gov.cn/hop/0.html"})
        if host != HOST and not host.startswith("127."):
            return self._send(502, b"unknown host")
        if path == "/ok.html":
            return self._send(200, PAGE)
        if path.endswith("-bomb.html"):
            kind = path[1:].split("-")[0]
            return self._send(200, self.owner.bombs[kind], {"Content-Encoding": kind})
        if path == "/drip.html":  # one byte a second: never done within the timeout
            self.send_response(200)
            self.send_header("Content-Length", "600")
            self.end_headers()
            try:
                for _ in range(60):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(1)
            except OSError:
                pass
            return None
        if path == "/short.html":
            self.send_response(200)
            self.send_header("Content-Length", "50000")
            self.end_headers()
            self.wfile.write(PAGE)
            self.wfile.flush()
            self.close_connection = True
            return None
        if path == "/chunked-endless.html":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"<p>" + b"x" * 65_000 + b"</p>"
            try:
                for _ in range(100_000):  # 6.5 GB, were it read to the end
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:
                pass
            self.close_connection = True
            return None
        if path == "/storm.html":
            return self._send(503, b"Service Unavailable")
        if path == "/to-loopback.html":
            port = self.server.server_address[1]
            return self._send(302, b"", {"Location": f"http://127.0.0.1:{port}/ok.html"})
        if path == "/to-link-local.html":
            return self._send(302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"})
        return self._send(404, b"not found")


def gzip_page() -> bytes:  # a normal gzip page, for comparison
    return gzip.compress(PAGE)
