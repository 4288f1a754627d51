"""A served test web: government sites from files, on one 127.0.0.1 port that is also an HTTP proxy.

- Proxy requests (`GET http://www.youyang.gov.cn/… HTTP/1.1`) are routed by host to a site, so sites
  keep real host names and the crawler reaches them through `crawl.proxy` or `http_proxy`.
- `CONNECT host:443` opens a TLS tunnel with a self-signed certificate (as many real hosts have).
- `web.direct(host)` serves one site on its own port, without the proxy (Host 127.0.0.1:port).
- Every request is logged (time, host, path, method, status, validators, cookies, user agent).
- ETag / Last-Modified with 304s, gzip even when not asked, GBK bytes, and faults per path.

A site is a directory `<root>/<host>/` holding `site.json` (behaviour) and `files/` (the pages).
"""
from __future__ import annotations

import email.utils
import gzip
import hashlib
import json
import random
import re
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from . import dynamic

__all__ = ["TestWeb", "LogEntry"]

CONTENT_TYPES = {
    "html": "text/html", "htm": "text/html", "shtml": "text/html", "jsp": "text/html",
    "aspx": "text/html", "txt": "text/plain", "json": "application/json", "xml": "text/xml",
    "pdf": "application/pdf", "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    # Real servers mostly send these two as octet-stream.
    "wps": "application/octet-stream", "ofd": "application/octet-stream",
    "js": "application/javascript", "css": "text/css",
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
}
TEXT_TYPES = ("text/html", "text/plain", "text/xml", "application/json", "application/javascript")


@dataclass
class LogEntry:
    started: float
    ended: float
    host: str
    path: str  # with the query
    method: str
    status: int
    via: str  # proxy | tunnel | direct
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""  # of a POST


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    web: "TestWeb"
    direct_host: str | None = None

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hang up (timeouts, resets we caused): expected here, not worth a traceback.
        import sys
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class TestWeb:
    """The served web. Use as a context manager; `proxy_url` for the crawler."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.log: list[LogEntry] = []
        self.lock = threading.Lock()
        self.counters: dict[tuple[str, str], int] = {}
        self._servers: list[_Server] = []
        self._direct: dict[str, int] = {}
        self._tls: ssl.SSLContext | None = None
        self.configs: dict[str, dict[str, Any]] = {}
        self.reload()

    # ---------------------------------------------------------------- lifecycle
    def reload(self) -> None:
        """Re-read every site.json (after the builder changed a site)."""
        configs = {}
        for site in sorted(self.root.iterdir()) if self.root.exists() else []:
            cfg_file = site / "site.json"
            if cfg_file.exists():
                configs[site.name] = json.loads(cfg_file.read_text(encoding="utf-8"))
        self.configs = configs

    def _serve(self, direct_host: str | None = None) -> _Server:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.web = self
        server.direct_host = direct_host
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        self._servers.append(server)
        return server

    def start(self) -> "TestWeb":
        self.port = self._serve().server_address[1]
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()

    def __enter__(self) -> "TestWeb":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def direct(self, host: str) -> str:
        """Base URL of *host* served on a port of its own (no proxy needed)."""
        if host not in self._direct:
            self._direct[host] = self._serve(direct_host=host).server_address[1]
        return f"http://127.0.0.1:{self._direct[host]}"

    def tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            from .certs import self_signed
            cert, key = self_signed(self.root.parent / "tls")
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            self._tls = ctx
        return self._tls

    # ---------------------------------------------------------------- log queries
    def requests(self, host: str | None = None) -> list[LogEntry]:
        with self.lock:
            return [e for e in self.log if host is None or e.host == host]

    def clear_log(self) -> None:
        with self.lock:
            self.log.clear()
            self.counters.clear()

    def record(self, entry: LogEntry) -> None:
        with self.lock:
            self.log.append(entry)

    def count(self, host: str, path: str) -> int:
        """How many times host+path was asked for so far, this one included."""
        with self.lock:
            key = (host, path)
            self.counters[key] = self.counters.get(key, 0) + 1
            return self.counters[key]


def _etag(data: bytes) -> str:
    return '"' + hashlib.sha1(data).hexdigest()[:16] + '"'


def _http_date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    tunnel_host: str | None = None

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    # ---------------------------------------------------------------- routing
    def do_CONNECT(self) -> None:
        host = self.path.split(":", 1)[0].lower()
        web = self.server.web
        if host not in web.configs:
            self._plain(502, f"unknown host {host}")
            return
        self.send_response(200, "Connection Established")
        self.end_headers()
        self.wfile.flush()
        try:
            tls = web.tls_context().wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError):
            self.close_connection = True
            return
        # Serve the tunnel's requests on the TLS socket with a fresh handler.
        handler_cls = type("_TunnelHandler", (_Handler,), {"tunnel_host": host})
        try:
            handler_cls(tls, self.client_address, self.server)
        except (OSError, ssl.SSLError):
            pass
        self.close_connection = True

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _route(self) -> tuple[str, str, str, str]:
        """(host, path with query, scheme, via)."""
        if self.path.startswith(("http://", "https://")):
            parts = urlsplit(self.path)
            path = parts.path or "/"
            return (parts.hostname or "").lower(), path + (f"?{parts.query}" if parts.query else ""), \
                parts.scheme, "proxy"
        if self.tunnel_host:
            return self.tunnel_host, self.path, "https", "tunnel"
        if self.server.direct_host:
            return self.server.direct_host, self.path, "http", "direct"
        host = (self.headers.get("Host") or "").split(":", 1)[0].lower()
        return host, self.path, "http", "direct"

    def _handle(self) -> None:
        started = time.monotonic()
        host, path, scheme, via = self._route()
        web = self.server.web
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()
                   if k.lower() in ("if-none-match", "if-modified-since", "user-agent", "cookie",
                                    "accept-encoding", "referer", "content-type")}
        # Logged as it arrives (a slow answer still counts as asked), completed when answered.
        entry = LogEntry(started=started, ended=started, host=host, path=path, method=self.command,
                         status=0, via=via, headers=headers, body=body)
        web.record(entry)
        try:
            entry.status = self._respond(web, host, path, scheme, body)
        finally:
            entry.ended = time.monotonic()

    # ---------------------------------------------------------------- responses
    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> int:
        try:
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True
        return status

    def _plain(self, status: int, text: str) -> int:
        return self._send(status, text.encode("utf-8"), {"Content-Type": "text/plain; charset=utf-8"})

    def _reset(self) -> int:
        """Abort the connection with a TCP reset."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True
        return 0

    def _respond(self, web: TestWeb, host: str, path: str, scheme: str, body: bytes) -> int:
        cfg = web.configs.get(host)
        if cfg is None:
            return self._plain(502, f"proxy: unknown host {host}")
        # A JSP container ignores the session id in the path (/a.jhtml;jsessionid=…).
        path = re.sub(r";jsessionid=[^/?#]*", "", path, flags=re.I)
        bare = path.split("?", 1)[0]
        # http -> https redirect, and https-only hosts.
        if scheme == "http" and cfg.get("https") == "redirect":
            return self._send(301, b"", {"Location": f"https://{host}{path}"})
        fault = cfg.get("faults", {}).get(path) or cfg.get("faults", {}).get(bare) \
            or cfg.get("faults", {}).get("*")
        if fault:
            handled = self._fault(web, host, path, fault)
            if handled is not None:
                return handled
        generated = dynamic.respond(cfg, web.root / host, self.command, path, body)
        if generated is not None:
            status, data, ctype = generated
            return self._content(cfg, status, data, ctype, None)
        return self._file(cfg, web.root / host / "files", path)

    def _file(self, cfg: dict[str, Any], files: Path, path: str) -> int:
        bare, _, query = path.partition("?")
        rel = unquote(bare).lstrip("/")
        target = (files / rel).resolve()
        # A page with a query (News.aspx?page=2) is stored as "News.aspx@page=2".
        if query and (files / f"{rel}@{query}").is_file():
            target = (files / f"{rel}@{query}").resolve()
        if not str(target).startswith(str(files.resolve())):
            return self._plain(403, "forbidden")
        if target.is_dir():
            if not bare.endswith("/"):
                # Some servers need the trailing slash.
                return self._send(301, b"", {"Location": bare + "/"})
            target = target / cfg.get("index", "index.html")
        if not target.is_file():
            page = files / "404.html"
            data = page.read_bytes() if page.is_file() else b"<html><body>404 Not Found</body></html>"
            return self._content(cfg, 404, data, "text/html", None)
        # Extensionless pages (/gkmlpt/index) are HTML; a "@query" suffix is not an extension.
        name = target.name.split("@", 1)[0]
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else "html"
        return self._content(cfg, 200, target.read_bytes(), CONTENT_TYPES.get(ext, "application/octet-stream"),
                             target.stat().st_mtime)

    def _content(self, cfg: dict[str, Any], status: int, data: bytes, ctype: str,
                 mtime: float | None) -> int:
        headers = {}
        if ctype in TEXT_TYPES:
            headers["Content-Type"] = f"{ctype}; charset={cfg.get('charset', 'utf-8')}" \
                if cfg.get("charset_header", True) else ctype
        else:
            headers["Content-Type"] = ctype
        if status == 200:
            etag = _etag(data)
            if cfg.get("etag", True):
                headers["ETag"] = etag
            if cfg.get("last_modified", True) and mtime is not None:
                headers["Last-Modified"] = _http_date(mtime)
            inm = self.headers.get("If-None-Match")
            ims = self.headers.get("If-Modified-Since")
            if cfg.get("etag", True) and inm and etag in [t.strip() for t in inm.split(",")]:
                return self._send(304, b"", {k: v for k, v in headers.items() if k != "Content-Type"})
            if not inm and cfg.get("last_modified", True) and ims and mtime is not None:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
                if int(mtime) <= since:
                    return self._send(304, b"", {k: v for k, v in headers.items() if k != "Content-Type"})
        if cfg.get("gzip") == "always" and ctype in TEXT_TYPES and data:
            # Sent compressed whatever Accept-Encoding said, as some government servers do.
            data = gzip.compress(data, mtime=0)
            headers["Content-Encoding"] = "gzip"
        if cfg.get("cookie"):
            headers["Set-Cookie"] = cfg["cookie"]
        return self._send(status, data, headers)

    def _fault(self, web: TestWeb, host: str, path: str, fault: dict[str, Any]) -> int | None:
        """Answer with the fault, or None to serve normally."""
        kind = fault["kind"]
        n = web.count(host, path)
        if kind == "flaky":
            if n <= int(fault.get("fail", 1)):
                return self._plain(int(fault.get("status", 500)), "Internal Server Error")
            return None
        if kind == "slow":
            time.sleep(float(fault["seconds"]))
            return None
        if kind == "reset":
            return self._reset()
        if kind == "status":
            data = (fault.get("body") or "").encode(fault.get("charset", "utf-8"))
            return self._send(int(fault["status"]), data, {"Content-Type": "text/html; charset=utf-8"})
        if kind == "redirect":
            return self._send(int(fault.get("status", 302)), b"", {"Location": fault["location"]})
        if kind == "garbage_body":
            rnd = random.Random(path)
            data = bytes(rnd.getrandbits(8) for _ in range(int(fault.get("bytes", 4096))))
            return self._send(200, data, {"Content-Type": "text/html; charset=utf-8"})
        if kind == "garbage_http":
            try:
                self.wfile.write(b"\x00\x17NOT HTTP AT ALL\xff\xfe garbage\r\n\r\n")
                self.wfile.flush()
            except OSError:
                pass
            self.close_connection = True
            return 0
        if kind == "big":
            data = b"<html><body>" + b"<p>padding</p>" * (int(fault["bytes"]) // 14 + 1) + b"</body></html>"
            return self._send(200, data, {"Content-Type": "text/html; charset=utf-8"})
        if kind == "cookie_gate":
            cookie = fault["cookie"]
            if cookie.split(";")[0] in (self.headers.get("Cookie") or ""):
                return None
            return self._send(302, b"", {"Location": path, "Set-Cookie": f"{cookie}; Path=/"})
        raise ValueError(f"unknown fault kind {kind!r}")

