"""A county government site whose report pages carry, as attachments, every hostile file of
tests/hostile.py (and an OFD and a WPS zip bomb), beside one normal report page.

    info = build_hostile_site(tmp_path / "sites")   # then TestWeb(tmp_path / "sites")
    crawl info["column"]; info["hostile"] maps each hostile file's URL to its name,
    info["report"] is the normal report the crawl must store.
"""
from __future__ import annotations

import html
import inspect
import json
from pathlib import Path
from typing import Any, Callable

import filebuilders as fb
import hostile

from .texts import synthetic_report

__all__ = ["build_hostile_site", "HOST", "HOSTILE_FILES"]

HOST = "www.hostile.gov.cn"
SITE = "XX县人民政府"
COLUMN = "/zwgk/fzzfjs/index.html"
e = html.escape

# name -> (builder, file extension): hostile.HOSTILE plus two containers it has no entry for.
HOSTILE_FILES: dict[str, tuple[Callable[..., bytes], str]] = {
    **{name: (build, {"text": "html"}.get(fmt, fmt))
       for name, (build, fmt, _) in hostile.HOSTILE.items()},
    "ofd-zip-bomb": (lambda unpacked=250_000_000: fb.build_zip_bomb("ofd", unpacked), "ofd"),
    "wps-zip-bomb": (lambda unpacked=250_000_000: fb.build_zip_bomb("docx", unpacked, lie=True),
                     "wps"),
}
# Attachments per report page (the crawler takes at most 20 from one page).
_PER_PAGE = 7


def _page(title: str, body: str) -> str:
    return (f'<html><head><meta charset="utf-8"><title>{e(title)}_{SITE}</title></head><body>'
            f'<div class="header"><a href="/">首页</a> | <a href="{COLUMN}">法治政府建设</a></div>'
            f'<div class="article"><h1>{e(title)}</h1><div class="info">发布时间：2025-03-01 '
            f'来源：县司法局</div><div class="content">{body}</div></div>'
            f'<div class="footer">主办：{SITE}</div></body></html>')


def _build(name: str, unpacked: int | None) -> bytes:
    build = HOSTILE_FILES[name][0]
    if unpacked is not None and "unpacked" in inspect.signature(build).parameters:
        return build(unpacked=unpacked)
    return build()


def build_hostile_site(sites_dir: Path, *, unpacked: int | None = None) -> dict[str, Any]:
    """Write the site under *sites_dir*; return its column URL, the hostile files' URLs and the
    normal report. *unpacked*: what each bomb expands to (default: each builder's own, a few
    hundred MB), for tests run under smaller limits."""
    base = Path(sites_dir) / HOST
    files = base / "files"
    pages: dict[str, bytes] = {}
    items: list[tuple[str, str]] = []
    title = f"{SITE}2024年法治政府建设年度报告"
    body = synthetic_report(SITE, "XX县", 2024, "hostilesite")
    report_href = "/zwgk/fzzfjs/202503/t20250301_1001.html"
    pages[report_href] = _page(title, "".join(f"<p>{e(p)}</p>" for p in body)).encode()
    items.append((title, report_href))
    urls: dict[str, str] = {}
    names = sorted(HOSTILE_FILES)
    for k in range(0, len(names), _PER_PAGE):
        n = k // _PER_PAGE + 1
        page_title = f"{SITE}2024年法治政府建设年度报告（附件{n}）"
        links = []
        for name in names[k:k + _PER_PAGE]:
            ext = HOSTILE_FILES[name][1]
            href = f"/zwgk/fzzfjs/202503/P02025030{n}{len(links):02d}_{name}.{ext}"
            if ext == "html":  # plain text at a page's address: the only way text is crawled
                items.append((f"{SITE}关于2024年度法治政府建设工作情况的报告（全文）", href))
            else:
                links.append(f'<p>附件：<a href="{href}">{e(page_title)}-{name}.{ext}</a></p>')
            pages[href] = _build(name, unpacked)
            urls[f"http://{HOST}{href}"] = name
        page_href = f"/zwgk/fzzfjs/202503/t2025030{n}_20{n:02d}.html"
        pages[page_href] = _page(page_title, "<p>现将本县2024年法治政府建设年度报告全文公布如下。</p>"
                                 + "".join(links)).encode()
        items.append((page_title, page_href))
    listing = "".join(f'<li><a href="{href}" title="{e(t)}">{e(t)}</a><span>2025-03-01</span></li>'
                      for t, href in items)
    pages[COLUMN] = _page("法治政府建设", f'<ul class="list">{listing}</ul>').encode()
    pages["/index.html"] = _page("首页", f'<a href="{COLUMN}">法治政府建设</a>').encode()
    pages["/robots.txt"] = b"User-agent: *\nDisallow:\n"
    for href, data in pages.items():
        target = files / href.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (base / "site.json").write_text(json.dumps({"host": HOST, "charset": "utf-8", "faults": {}}),
                                    "utf-8")
    return {"column": f"http://{HOST}{COLUMN}", "hostile": urls,
            "report": {"title": title, "url": f"http://{HOST}{report_href}"}}
