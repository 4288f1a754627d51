"""A generated web of small government sites, for the worker tests and the cluster benchmark.

Each site is its own HTTP server on 127.0.0.1 (its own host:port, so its own host for politeness),
with one or more report columns (list pages in the TRS style: `index.html`, then
`index_1.html`, ... with the page count in createPageHTML) and report pages whose text is put
together from the seed reports' paragraphs, so that every report is a different text. Reports can
be reposted on another site (the same text at a second URL: one report, two publications).
Every request is logged with its time, host, path and User-Agent, so a test can tell which worker
fetched what, and when.
"""
from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

__all__ = ["ClusterWeb", "LoggedRequest", "Report", "Column", "Site"]

SEEDS = Path(__file__).resolve().parent / "data" / "seeds"
# The annual reports among the seeds (004 is a work summary).
_REPORT_SEEDS = ("000", "001", "002", "003")
_PLACES_A = "东西南北新安平永长清"
_PLACES_B = "阳川宁丰林山河城源泉"
_ARTEFACTS = re.compile(r"\[bookmark: _GoBack\]|\*\*|##paid(begin|end)##")


def _seed_paragraphs() -> list[str]:
    """Body paragraphs of the seed reports: long lines, without their title, header or signature."""
    out: list[str] = []
    for path in sorted(SEEDS.glob("*.txt")):
        if not path.name.startswith(_REPORT_SEEDS):
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            line = _ARTEFACTS.sub("", line).strip()
            if len(line) >= 60 and "来源" not in line and "发布时间" not in line:
                out.append(line)
    return out


@dataclass
class Report:
    title: str
    text: str
    published: str  # YYYY-MM-DD
    paths: list[tuple["Site", str]] = field(default_factory=list)  # where it is published

    @property
    def urls(self) -> list[str]:
        return [site.url(path) for site, path in self.paths]


@dataclass
class Column:
    site: "Site"
    path: str  # the column's directory, e.g. /fzzfjs/
    items: list[tuple[str, Report]] = field(default_factory=list)  # (article path, report)
    per_page: int = 20

    @property
    def url(self) -> str:
        return self.site.url(self.path + "index.html")


@dataclass
class Site:
    index: int
    issuer: str
    columns: list[Column] = field(default_factory=list)
    port: int = 0
    pages: dict[str, bytes] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"site{self.index:03d}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"


@dataclass(frozen=True)
class LoggedRequest:
    start: float
    end: float
    host: str
    path: str
    agent: str
    status: int


def _list_page(site: Site, column: Column, page: int, n_pages: int) -> str:
    items = column.items[page * column.per_page:(page + 1) * column.per_page]
    lis = "\n".join(f'<li><a href="{path}" target="_blank" title="{r.title}">{r.title}</a>'
                    f"<span>{r.published}</span></li>" for path, r in items)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>法治政府建设年度报告_{site.issuer}</title></head>
<body><div class="header">{site.issuer}门户网站</div>
<div class="crumb">当前位置：首页 &gt; 政府信息公开 &gt; 法治政府建设年度报告</div>
<ul class="list">
{lis}
</ul>
<script>createPageHTML({n_pages}, {page}, "index", "html");</script>
<div class="footer">主办：{site.issuer}办公室 网站标识码：5000000{site.index:03d}</div>
</body></html>"""


def _article_page(site: Site, report: Report) -> str:
    paras = "\n".join(f"<p>{p}</p>" for p in report.text.split("\n"))
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{report.title}_{site.issuer}</title>
<meta name="ArticleTitle" content="{report.title}">
<meta name="PubDate" content="{report.published} 09:30">
<meta name="ContentSource" content="{site.issuer}"></head>
<body><div class="header">{site.issuer}门户网站</div>
<div class="crumb">当前位置：首页 &gt; 政府信息公开 &gt; 法治政府建设年度报告</div>
<h1>{report.title}</h1>
<div class="info">发布时间：{report.published} 来源：{site.issuer} 【字体：大 中 小】 打印</div>
<div class="TRS_Editor">
{paras}
</div>
<div class="share">分享到：</div>
<div class="footer">主办：{site.issuer}办公室 网站标识码：5000000{site.index:03d}</div>
</body></html>"""


class ClusterWeb:
    """*n_sites* sites; site i has *columns* report columns (each a source of its own, on one
    host) of *reports_per_column* reports each; *reposts* reports are also published on the next
    site. Serve with `with web:`; `sources` are (name, start_urls, issuer) for the registry."""

    def __init__(self, n_sites: int, *, reports_per_column: int = 2, columns: int = 1,
                 two_column_sites: int = 0, reposts: int = 0, per_page: int = 20,
                 latency_seconds: float = 0.0, seed: int = 8) -> None:
        self.latency = latency_seconds
        self.log: list[LoggedRequest] = []
        self._log_lock = threading.Lock()
        self._servers: list[ThreadingHTTPServer] = []
        self._threads: list[threading.Thread] = []
        rng = random.Random(seed)
        pool = _seed_paragraphs()
        self.sites: list[Site] = []
        self.reports: list[Report] = []
        for i in range(n_sites):
            place = _PLACES_A[i // 10 % 10] + _PLACES_B[i % 10] + ("县" if i < 100 else f"{i}县")
            site = Site(index=i, issuer=f"{place}人民政府")
            n_columns = columns + (1 if i < two_column_sites else 0)
            for c in range(n_columns):
                column = Column(site, f"/zwgk/fzzfjs{c}/", per_page=per_page)
                for k in range(reports_per_column):
                    year = 2024 - k
                    day = 1 + (i + 7 * c + k) % 28
                    body = rng.sample(pool, 8)
                    body.insert(rng.randrange(len(body)),
                                f"{year}年，{place}共办理行政复议案件{rng.randint(20, 400)}件，"
                                f"行政应诉案件{rng.randint(10, 200)}件，"
                                f"行政机关负责人出庭应诉率达到{rng.randint(90, 100)}%，"
                                f"编号{i:03d}{c}{k}。")
                    report = Report(title=f"{site.issuer}关于{year}年法治政府建设情况的报告",
                                    text="\n".join(body), published=f"{year + 1}-03-{day:02d}")
                    if c:
                        report.title = (f"{place}司法局关于{year}年"
                                        f"法治政府建设工作情况的报告")
                    path = f"{column.path}{year + 1}03/t{year + 1}03{day:02d}_{i:03d}{c}{k}.html"
                    column.items.append((path, report))
                    report.paths.append((site, path))
                    self.reports.append(report)
                site.columns.append(column)
            self.sites.append(site)
        # Reposts: report j of site j is published again on site j+1's first column.
        for j in range(min(reposts, max(0, n_sites - 1))):
            src = self.sites[j].columns[0].items[0][1]
            target = self.sites[j + 1].columns[0]
            path = f"{target.path}repost/t_{j:03d}.html"
            target.items.append((path, src))
            src.paths.append((self.sites[j + 1], path))

    # ------------------------------------------------------------------ what was planted

    @property
    def sources(self) -> list[tuple[str, list[str], str]]:
        return [(f"{s.name}-c{c}", [col.url], s.issuer) for s in self.sites
                for c, col in enumerate(s.columns)]

    @property
    def planted_urls(self) -> list[str]:
        return [u for r in self.reports for u in r.urls]

    def requests_by_host(self) -> dict[str, list[LoggedRequest]]:
        out: dict[str, list[LoggedRequest]] = {}
        with self._log_lock:
            for req in sorted(self.log, key=lambda r: r.start):
                out.setdefault(req.host, []).append(req)
        return out

    # ------------------------------------------------------------------ serving

    def _render(self, site: Site) -> None:
        site.pages["/robots.txt"] = b"User-agent: *\nAllow: /\n"
        for column in site.columns:
            n_pages = max(1, -(-len(column.items) // column.per_page))
            for page in range(n_pages):
                name = "index.html" if page == 0 else f"index_{page}.html"
                site.pages[column.path + name] = _list_page(site, column, page, n_pages).encode()
            for path, report in column.items:
                site.pages[path] = _article_page(site, report).encode()

    def __enter__(self) -> "ClusterWeb":
        for site in self.sites:
            server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler(site))
            server.daemon_threads = True
            site.port = server.server_address[1]
            self._render(site)
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                      daemon=True)
            thread.start()
            self._servers.append(server)
            self._threads.append(thread)
        return self

    def __exit__(self, *exc) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def _handler(self, site: Site):
        web = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (the http.server name)
                start = time.time()
                if web.latency:
                    time.sleep(web.latency)
                path = self.path.split("?", 1)[0]
                body = site.pages.get(path)
                status = 200 if body is not None else 404
                body = body if body is not None else b"<html><body>404</body></html>"
                ctype = "text/plain" if path.endswith(".txt") else "text/html; charset=utf-8"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                with web._log_lock:
                    web.log.append(LoggedRequest(start, time.time(), site.host, path,
                                                 self.headers.get("User-Agent", ""), status))

            def log_message(self, *args) -> None:
                pass

        return Handler


def iter_blocks(agents: list[str]) -> Iterator[str]:
    """The runs of one value in a sequence: A A B B A -> A, B, A."""
    last = None
    for a in agents:
        if a != last:
            yield a
            last = a
