"""Answers no static file can give: Hanweb's dataproxy.jsp (a POST), gkmlpt's JSON list API, and
crawler traps (an endless calendar, endless pagination, URLs that keep growing, session ids)."""
from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

__all__ = ["respond"]

Answer = tuple[int, bytes, str]


def respond(cfg: dict[str, Any], site_dir: Path, method: str, path: str, body: bytes) -> Answer | None:
    dyn = cfg.get("dynamic") or {}
    parts = urlsplit(path)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    charset = cfg.get("charset", "utf-8")
    if "hanweb" in dyn and parts.path == dyn["hanweb"].get("proxy_path", "/module/web/jpage/dataproxy.jsp"):
        form = dict(parse_qsl(body.decode("utf-8", "replace"))) if method == "POST" else query
        return _dataproxy(site_dir, {**query, **form}, charset)
    if "gkmlpt" in dyn and "/gkmlpt/api/all/" in parts.path:
        return _gkmlpt(site_dir, dyn["gkmlpt"], parts.path, query)
    if "calendar" in dyn and parts.path.startswith(dyn["calendar"]):
        return _calendar(dyn["calendar"], query, charset)
    if "endless" in dyn and parts.path.startswith(dyn["endless"]):
        return _endless(dyn["endless"], parts.path, charset)
    if "longurl" in dyn and parts.path.startswith(dyn["longurl"]):
        return _longurl(dyn["longurl"], parts.path, charset)
    return None


def _html(text: str, charset: str) -> Answer:
    return 200, text.encode(charset, "xmlcharrefreplace"), "text/html"


def _dataproxy(site_dir: Path, params: dict[str, str], charset: str) -> Answer:
    """Hanweb jpage: records startrecord..endrecord of a column, as XML."""
    column = params.get("columnid", "")
    records_file = site_dir / "hanweb" / f"{column}.json"
    if not column or not records_file.exists():
        return 200, b"<?xml version='1.0' encoding='UTF-8'?><datastore></datastore>", "text/xml"
    records = json.loads(records_file.read_text(encoding="utf-8"))
    start = max(int(params.get("startrecord", 1)), 1)
    end = int(params.get("endrecord", start + 44))
    per = int(params.get("perpage", 15))
    chosen = records[start - 1:end]
    xml = ["<?xml version='1.0' encoding='UTF-8'?><datastore>",
           f"<totalrecord>{len(records)}</totalrecord>",
           f"<totalpage>{(len(records) + per - 1) // per}</totalpage><recordset>"]
    xml += [f"<record><![CDATA[{r}]]></record>" for r in chosen]
    xml.append("</recordset></datastore>")
    return 200, "".join(xml).encode("utf-8"), "text/xml"


def _gkmlpt(site_dir: Path, cfg: dict[str, Any], path: str, query: dict[str, str]) -> Answer:
    """gkmlpt: /gkmlpt/api/all/<category>?page=N&sid=SID -> {"articles": [...], "total": n}."""
    if query.get("sid") != str(cfg["sid"]):
        return 200, json.dumps({"articles": [], "total": 0}).encode(), "application/json"
    category = path.rsplit("/", 1)[-1]
    articles = json.loads((site_dir / "gkmlpt" / "articles.json").read_text(encoding="utf-8"))
    if category != "0":
        articles = [a for a in articles if str(a.get("category")) == category]
    per = int(cfg.get("per_page", 10))
    page = max(int(query.get("page", 1) or 1), 1)
    chosen = articles[(page - 1) * per: page * per]
    data = {"articles": chosen, "total": len(articles), "page": page, "classify": {"id": category}}
    return 200, json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json"


def _calendar(prefix: str, query: dict[str, str], charset: str) -> Answer:
    """An events calendar: every day links to the next and previous day, forever."""
    try:
        day = dt.date.fromisoformat(query.get("date", "2025-01-01"))
    except ValueError:
        day = dt.date(2025, 1, 1)
    prev, nxt = day - dt.timedelta(days=1), day + dt.timedelta(days=1)
    return _html(f"""<html><head><title>活动日历 {day}</title></head><body>
<h1>活动日历 {day}</h1><p>今日无活动安排。</p>
<a href="{prefix}index.jsp?date={prev}">上一天</a> <a href="{prefix}index.jsp?date={nxt}">下一页</a>
<a href="{prefix}index.jsp?date={nxt}&amp;view=month">法治政府建设活动月历</a>
</body></html>""", charset)


def _endless(prefix: str, path: str, charset: str) -> Answer:
    """A news column whose pagination never ends: index_N.html exists for every N."""
    name = path.rsplit("/", 1)[-1]
    n = int(name[6:-5]) if name.startswith("index_") and name[6:-5].isdigit() else 0
    rnd = random.Random(n)
    items = "".join(
        f'<li><a href="{prefix}t2024{rnd.randint(1, 12):02d}{rnd.randint(1, 28):02d}_{n * 100 + i}.html">'
        f'县领导调研第{n * 100 + i}期基层工作</a><span>2024-01-01</span></li>' for i in range(10))
    return _html(f"""<html><head><title>工作动态</title></head><body>
<div class="list"><ul>{items}</ul></div>
<script>createPageHTML(99999, {n}, "index", "html");</script></body></html>""", charset)


def _longurl(prefix: str, path: str, charset: str) -> Answer:
    """A page whose link always adds a level: /trap/a/ -> /trap/a/a/ -> … (a relative-link bug)."""
    return _html(f"""<html><head><title>专题</title></head><body>
<a href="{path.rstrip('/')}/more/">法治政府建设专题</a></body></html>""", charset)
