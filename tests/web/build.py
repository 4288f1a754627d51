"""Builds the test web into a directory: sites (site.json + files/) and manifest.json.

    manifest = build_web(tmp_path / "web", profile="seeds")  # tests on sys.path: `from web.build import …`
    with TestWeb(manifest.sites_dir) as web: ...

Profiles: "seeds" (tests/web/seeds.py: four sites around the five seeds), "full"
(tests/web/full.py: every site system, attachment-only reports, traps, protections, a spam clone)
and "scans" (tests/web/scans.py: reports posted as scans).
The manifest lists what a careful reader takes from each planted report's page, for assertions;
`manifest.add_report` / `manifest.edit_report` change a site between two crawls.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import styles

__all__ = ["build_web", "Manifest", "Site", "Column", "Doc", "Attachment", "Hub", "render_site"]

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# Pages with no date of their own (home, hubs) carry this one, so rebuilding a site leaves them
# byte-identical, with the same Last-Modified.
SITE_EPOCH = dt.datetime(2025, 3, 1, 8, 0)


@dataclass
class Attachment:
    href: str  # absolute path on the site
    label: str  # link text, e.g. 附件：….pdf
    data: bytes | None = None  # None: the link is dead (404)
    served_at: str | None = None  # the file lives here (download scripts redirect to it)


@dataclass
class Doc:
    title: str
    kind: str  # annual_report | interpretation | news | work_plan | work_summary | other | filler
    published: dt.datetime
    source: str
    body: list[str]
    issuer: str | None = None
    report_year: int | None = None
    seed: str | None = None
    report_id: str | None = None  # planted reports: the same id on every site that posts it
    attachments: list[Attachment] = field(default_factory=list)
    # The report is in the attachment only (the page just links it).
    attachment_only: bool = False
    fault: dict[str, Any] | None = None  # the page answers with this fault
    expect: str | None = None  # the fetch_state a fault should leave on the capture
    official: bool = True
    seq: int = 0
    path: str | None = None  # a fixed URL path instead of the system's scheme
    modified: dt.datetime | None = None  # last edit (Last-Modified); default: published
    # Pictures of the report's pages shown in the body, in order (hrefs; files in extra_files).
    pictures: list[str] = field(default_factory=list)
    href: str = ""  # set when rendered
    column_name: str = ""


@dataclass
class Column:
    path: str  # the directory, "/zwgk_264/zfxxgkml/fdzdgknr/qtfdgkxx/" (Hanweb: "/col/col123/")
    name: str
    docs: list[Doc]
    per_page: int = 8
    crumbs: tuple[tuple[str, str], ...] = ()
    columnid: str = ""  # Hanweb column id / gkmlpt category


@dataclass
class Hub:
    """A navigation page (政务公开, 政府信息公开, …) linking to columns and other hubs."""

    href: str
    name: str
    links: list[tuple[str, str]]


@dataclass
class Site:
    host: str
    name: str  # SiteName
    organizer: str  # 主办
    idcode: str  # 网站标识码: division code + 4 digits
    credit_code: str  # 统一社会信用代码 (索引号 prefix)
    system: str  # trs | trs_cq | aspx | nfcms | hanweb | gkmlpt | govcn | jeecms
    style: str  # header-line style
    columns: list[Column]
    charset: str = "utf-8"
    icp: str = "渝ICP备05003300号"
    psb: str = "渝公网安备 50024202000001号"
    address: str = ""
    postcode: str = ""
    phone: str = ""
    nav: list[tuple[str, str]] = field(default_factory=list)
    hubs: list[Hub] = field(default_factory=list)
    info_table: bool = False
    robots: str = "User-agent: *\nDisallow: /admin/\n"
    config: dict[str, Any] = field(default_factory=dict)  # site.json extras
    webid: str = "1"
    sid: str = ""  # gkmlpt site id
    extra_files: dict[str, bytes] = field(default_factory=dict)
    official: bool = True


def _seq(*parts: object) -> int:
    return int(hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:7], 16)


# ------------------------------------------------------------------ URL schemes per system
def article_path(site: Site, column: Column, doc: Doc) -> str:
    d = doc.published
    if site.system in ("trs", "trs_cq"):
        return f"{column.path}{d:%Y%m}/t{d:%Y%m%d}_{doc.seq}.html"
    if site.system == "aspx":
        return f"/Detail.aspx?id={doc.seq % 100000}"
    if site.system == "nfcms":
        return f"{column.path}content/post_{doc.seq}.html"
    if site.system == "hanweb":
        return f"/art/{d.year}/{d.month}/{d.day}/art_{column.columnid}_{doc.seq}.html"
    if site.system == "gkmlpt":
        return f"/gkmlpt/content/{doc.seq // 10000 % 10}/{doc.seq // 1000}/post_{doc.seq}.html"
    if site.system == "govcn":
        return f"{column.path}{d:%Y-%m}/content_{doc.seq}.htm"
    if site.system == "jeecms":
        return f"{column.path}{doc.seq}.jhtml"
    raise ValueError(site.system)


def list_href(site: Site, column: Column, page_no: int) -> str:
    """URL of list page *page_no* (1-based) of *column*."""
    if site.system in ("trs", "trs_cq"):
        return column.path + ("index.html" if page_no == 1 else f"index_{page_no - 1}.html")
    if site.system == "aspx":
        return f"{column.path}?page={page_no}"
    if site.system == "nfcms":
        return column.path + ("index.html" if page_no == 1 else f"index_{page_no}.html")
    if site.system == "hanweb":
        return column.path + "index.html"  # the rest comes from dataproxy.jsp
    if site.system == "gkmlpt":
        return "/gkmlpt/index"
    if site.system == "govcn":
        return column.path + f"home_{page_no - 1}.htm"
    if site.system == "jeecms":
        return column.path + ("index.jhtml" if page_no == 1 else f"index_{page_no}.jhtml")
    raise ValueError(site.system)


def _file_for(href: str) -> str:
    """Where the server looks for *href*: the query, if any, after an @."""
    path, _, query = href.partition("?")
    if path.endswith("/"):
        path += "index.html"
    return path.lstrip("/") + (f"@{query}" if query else "")


# ------------------------------------------------------------------ rendering
_SITE_LINK = re.compile(r'href="(/[^"?#;]+\.jhtml)"')


class _Writer:
    def __init__(self, site: Site, files: Path) -> None:
        self.site, self.files = site, files

    def __call__(self, href: str, text: str | bytes, when: dt.datetime | None = None) -> None:
        target = self.files / _file_for(href)
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, str) and self.site.config.get("session_ids"):
            # Old JSP sites put the session in every link: the same page under many URLs.
            session = hashlib.sha1(href.encode()).hexdigest()[:16].upper()
            text = _SITE_LINK.sub(lambda m: f'href="{m.group(1)};jsessionid={session}"', text)
        data = text if isinstance(text, bytes) else text.encode(self.site.charset, "xmlcharrefreplace")
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
        ts = (when or SITE_EPOCH).replace(tzinfo=SHANGHAI).timestamp()
        os.utime(target, (ts, ts))


def _render_column(site: Site, column: Column, write: _Writer, faults: dict[str, Any],
                   base: Path) -> None:
    docs = sorted(column.docs, key=lambda d: d.published, reverse=True)
    for doc in docs:
        doc.seq = doc.seq or _seq(site.host, doc.title)
        doc.href = doc.path or article_path(site, column, doc)
        doc.column_name = column.name
    first = list_href(site, column, 1)
    crumbs = [("首页", "/")] + list(column.crumbs) + [(column.name, first)]
    for i, doc in enumerate(docs):
        prev = docs[i - 1] if i > 0 else None
        nxt = docs[i + 1] if i + 1 < len(docs) else None
        when = doc.modified or doc.published
        if site.system == "gkmlpt":
            page = styles.gkmlpt_detail(site, doc, site.sid)
        else:
            page = styles.article(site, doc, crumbs=crumbs, prev=prev, nxt=nxt)
        write(doc.href, page, when)
        for att in doc.attachments:
            if att.data is not None:
                write(att.served_at or att.href, att.data, when)
                if att.served_at:
                    faults[att.href] = {"kind": "redirect", "status": 302, "location": att.served_at}
        if doc.fault:
            faults[doc.href] = doc.fault
    if site.system == "hanweb":
        records = [styles.hanweb_record(d) for d in docs]
        (base / "hanweb").mkdir(exist_ok=True)
        (base / "hanweb" / f"{column.columnid}.json").write_text(
            json.dumps(records, ensure_ascii=False), encoding="utf-8")
        write(first, styles.hanweb_column(site, name=column.name, columnid=column.columnid,
                                          unitid=str(_seq(column.columnid) % 100000),
                                          records=docs[:column.per_page], crumbs=crumbs),
              docs[0].published if docs else None)
        return
    if site.system == "gkmlpt":
        articles = [{"id": d.seq, "title": d.title, "url": f"http://{site.host}{d.href}",
                     "create_time": int(d.published.replace(tzinfo=SHANGHAI).timestamp()),
                     "publisher": d.issuer or site.organizer, "category": column.columnid}
                    for d in docs]
        (base / "gkmlpt").mkdir(exist_ok=True)
        (base / "gkmlpt" / "articles.json").write_text(json.dumps(articles, ensure_ascii=False),
                                                        encoding="utf-8")
        write(first, styles.gkmlpt_index(site, site.sid, [(column.columnid, column.name)]))
        return
    pages = max(1, (len(docs) + column.per_page - 1) // column.per_page)
    for n in range(1, pages + 1):
        chunk = docs[(n - 1) * column.per_page: n * column.per_page]
        if site.system == "govcn":
            listing = styles.item_table(chunk)
        else:
            listing = styles.item_list(chunk, cut=24 if site.system == "trs" else None)
        if site.system == "trs":
            pager = styles.trs_pager(pages, n - 1)
        elif site.system == "trs_cq":
            pager = styles.trs_pager(pages, n - 1, func="createPage")
        else:
            pager = styles.next_pager(n, pages, lambda k: list_href(site, column, k))
        body = f'<div class="lm-name">{styles.e(column.name)}</div>{listing}{pager}'
        newest = max((d.modified or d.published for d in chunk), default=None)
        write(list_href(site, column, n),
              styles.shell(site, title=f"{column.name}_{site.name}", body=body, crumbs=crumbs,
                           meta={"ColumnName": column.name, "ColumnType": column.name}), newest)


def render_site(site: Site, sites_dir: Path) -> None:
    """Write site.json and every page of *site* (again: unchanged pages keep bytes and mtime)."""
    base = sites_dir / site.host
    files = base / "files"
    files.mkdir(parents=True, exist_ok=True)
    faults: dict[str, Any] = dict(site.config.get("faults", {}))
    write = _Writer(site, files)
    for column in site.columns:
        _render_column(site, column, write, faults, base)
    for hub in site.hubs:
        write(hub.href, styles.hub(site, hub.name, hub.links))
    boxes = [(c.name, list_href(site, c, 1), sorted(c.docs, key=lambda d: d.published, reverse=True)[:5])
             for c in site.columns[:2] if site.system not in ("gkmlpt",)]
    write("/index.html", styles.home(site, boxes))
    write("/404.html", styles.shell(site, title="404", body="<p>对不起，您访问的页面不存在或已删除。</p>"))
    write("/robots.txt", site.robots.encode("ascii"))
    for href, data in site.extra_files.items():
        write(href, data)
    config = {"host": site.host, "charset": site.charset, "system": site.system,
              **{k: v for k, v in site.config.items() if k != "faults"}, "faults": faults}
    if site.system == "hanweb":
        config.setdefault("dynamic", {})["hanweb"] = {"proxy_path": "/module/web/jpage/dataproxy.jsp"}
    if site.system == "gkmlpt":
        config.setdefault("dynamic", {})["gkmlpt"] = {"sid": site.sid, "per_page": 5}
    (base / "site.json").write_text(json.dumps(config, ensure_ascii=False, indent=1), encoding="utf-8")


# ------------------------------------------------------------------ manifest
@dataclass
class Manifest:
    root: Path
    sites_dir: Path
    sites_spec: list[Site]
    columns: list[str] = field(default_factory=list)  # start URLs of the report columns
    homes: list[str] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)
    decoys: list[dict[str, Any]] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)
    spam: list[dict[str, Any]] = field(default_factory=list)
    blocked: list[dict[str, Any]] = field(default_factory=list)  # hosts behind a challenge or WAF
    sites: dict[str, dict[str, Any]] = field(default_factory=dict)

    def report(self, report_id: str) -> dict[str, Any]:
        return next(r for r in self.reports if r["id"] == report_id)

    def planted_urls(self, host: str | None = None) -> set[str]:
        """URLs of the planted reports' documents (pages, or the attachments that hold them)."""
        return {u for r in self.reports for u in r["urls"] if host is None or f"//{host}/" in u}

    def site(self, host: str) -> Site:
        return next(s for s in self.sites_spec if s.host == host)

    def refresh(self) -> None:
        """Re-render every site and rewrite manifest.json (after a change to the specs)."""
        for site in self.sites_spec:
            render_site(site, self.sites_dir)
        _describe(self)

    def add_report(self, host: str, doc: Doc, column: int = 0) -> None:
        """Publish *doc* in a column of *host* (newest first, so it lands on the first page)."""
        self.site(host).columns[column].docs.append(doc)
        self.refresh()

    def edit_report(self, report_id: str, paragraph: str, when: dt.datetime) -> list[str]:
        """Append *paragraph* to every page of a planted report; returns the paths changed."""
        changed = []
        for site in self.sites_spec:
            for column in site.columns:
                for doc in column.docs:
                    if doc.report_id == report_id and not doc.attachment_only:
                        doc.body = doc.body + [paragraph]
                        doc.modified = when
                        changed.append(doc.href)
        self.refresh()
        return changed


def _describe(m: Manifest) -> None:
    reports: dict[str, dict[str, Any]] = {}
    m.decoys, m.faults, m.columns, m.homes, m.spam, m.blocked, m.sites = [], [], [], [], [], [], {}
    for site in m.sites_spec:
        # Hosts that redirect to https are listed as the crawler ends up capturing them.
        scheme = "https" if site.config.get("https") == "redirect" else "http"
        home = f"http://{site.host}/"
        cols = [f"{scheme}://{site.host}{list_href(site, c, 1)}" for c in site.columns]
        if site.official:
            m.homes.append(home)
            m.columns += cols
        m.sites[site.host] = {"system": site.system, "charset": site.charset, "home": home,
                              "columns": cols, "official": site.official}
        everywhere = site.config.get("faults", {}).get("*")
        if everywhere:
            m.blocked.append({"host": site.host, "url": home, "status": everywhere.get("status"),
                              "fetch_state": "blocked"})
        for column in site.columns:
            for doc in column.docs:
                url = f"{scheme}://{site.host}{doc.href}"
                for a in doc.attachments:
                    if a.data is None:
                        m.faults.append({"url": f"{scheme}://{site.host}{a.href}", "title": a.label,
                                         "fault": {"kind": "missing"}, "fetch_state": "http_error",
                                         "parent": url})
                if doc.report_id and not site.official:
                    m.spam.append({"url": url, "title": doc.title, "copy_of": doc.report_id})
                elif doc.report_id:
                    r = reports.setdefault(doc.report_id, {
                        "id": doc.report_id, "seed": doc.seed, "title": doc.title, "issuer": doc.issuer,
                        "report_year": doc.report_year, "published_at": doc.published.date().isoformat(),
                        "kind": doc.kind, "urls": [], "pages": [], "attachment_only": doc.attachment_only,
                        "host": site.host})
                    r["pages"].append(url)
                    if doc.attachment_only:
                        r["urls"] += [f"{scheme}://{site.host}{a.href}" for a in doc.attachments if a.data]
                    else:
                        r["urls"].append(url)
                elif doc.expect:
                    m.faults.append({"url": url, "title": doc.title, "fault": doc.fault,
                                     "fetch_state": doc.expect})
                elif doc.kind != "filler":
                    m.decoys.append({"url": url, "title": doc.title, "kind": doc.kind, "issuer": doc.issuer,
                                     "report_year": doc.report_year, "seed": doc.seed,
                                     "published_at": doc.published.date().isoformat()})
    m.reports = list(reports.values())
    data = {k: getattr(m, k) for k in ("columns", "homes", "reports", "decoys", "faults", "spam", "blocked",
                                       "sites")}
    (m.root / "manifest.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def build_web(root: Path, *, profile: str = "seeds", slow_seconds: float = 5.0) -> Manifest:
    """Build the test web of *profile* under *root*; return its manifest."""
    from . import full, seeds

    root = Path(root)
    sites_dir = root / "sites"
    sites_dir.mkdir(parents=True, exist_ok=True)
    from . import scans

    builders: dict[str, Callable[..., list[Site]]] = {"seeds": seeds.sites, "full": full.sites,
                                                      "scans": scans.sites}
    manifest = Manifest(root=root, sites_dir=sites_dir,
                        sites_spec=builders[profile](slow_seconds=slow_seconds))
    manifest.refresh()
    return manifest
