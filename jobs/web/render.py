"""What templates need beyond Jinja2's autoescaping: links only to http(s) URLs, labels in
Chinese, dates, numbers, and the report text as headed sections."""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup, escape

__all__ = ["install", "safe_href", "text_blocks", "KIND_LABELS", "STATUS_LABELS"]

KIND_LABELS = {"annual_report": "年度报告", "interpretation": "解读", "work_summary": "工作总结",
               "work_plan": "工作计划", "news": "新闻", "other": "其他"}
STATUS_LABELS = {"on_time": "按时公开", "late": "逾期公开", "undated": "日期不明", "missing": "未公开",
                 "pending": "尚未到期", "no_site": "无已知网站"}
RUN_LABELS = {"running": "运行中", "succeeded": "成功", "failed": "失败", "interrupted": "中断"}


def safe_href(url: Any) -> str | None:
    """*url* when it may be a link (http or https, no control characters); else None, and the
    template shows it as text. Crawled URLs can say javascript: or data:."""
    if not isinstance(url, str) or not url or any(ord(c) < 32 or c == "\x7f" for c in url):
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


def _date(value: Any) -> str:
    if not value:
        return ""
    text = str(value)
    return text[:16].replace("T", " ") if "T" in text else text[:10]


def _number(value: Any) -> str:
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return ""


def _snippet(html: str) -> Markup:
    """storage.search.make_snippet output made with html_escape=True and <mark> marks: every
    piece of crawled text in it is escaped already."""
    return Markup(html)


def text_blocks(text: str, sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The clean text as paragraphs, the section headings (storage's sections: name and first
    line) marked as headings with anchors, for the report page and its table of contents."""
    firsts = {}
    for i, s in enumerate(sections or []):
        line = (s.get("first_line") or "").strip()
        if line and line not in firsts:
            firsts[line] = (i, s.get("name") or line)
    blocks, n = [], 0
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        heading = firsts.pop(line, None)
        if heading is None and _HEADING.match(line) and len(line) <= 40:
            heading = (None, line)
        if heading is not None:
            n += 1
            blocks.append({"kind": "heading", "text": line, "anchor": f"s{n}", "section": heading[1]})
        else:
            blocks.append({"kind": "p", "text": line})
    return blocks


# 一、… / （一）… / 第一部分 …: the headings of a Chinese official report.
_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|（[一二三四五六七八九十]+）|第[一二三四五六七八九十]+[部分章节])")


def install(env: Any) -> None:
    env.filters.update(safe_href=safe_href, date=_date, number=_number, snippet=_snippet,
                       kind_label=lambda k: KIND_LABELS.get(k or "", k or "未知"),
                       status_label=lambda s: STATUS_LABELS.get(s or "", s or ""),
                       run_label=lambda s: RUN_LABELS.get(s or "", s or ""))
    env.globals.update(KIND_LABELS=KIND_LABELS, STATUS_LABELS=STATUS_LABELS, escape=escape)
