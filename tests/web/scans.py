"""The scans web: one county portal (TRS) whose justice bureaus post their reports as scans, the
three ways sites do it (tests/scans.py makes the scans; one to two pages each, to keep OCR cheap):

- 和平县司法局: the report only as a scanned PDF attachment (the page just links it);
- 重庆市合川区司法局: the report as a row of page pictures (JPEG) in the article body;
- 酉阳土家族苗族自治县司法局: the report as HTML text, with its signed and sealed scan attached
  (the scan is a second publication of the same report, merged into it).

`SCANNED` says what a careful reader takes from each (title, issuer, year, date, the text printed).
"""
from __future__ import annotations

import datetime as dt

from .build import Attachment, Column, Doc, Hub, Site
from .texts import SEEDS

__all__ = ["sites", "SCANNED"]

D = dt.datetime
HOST = "www.scanxian.gov.cn"
COLUMN = "/zwgk/fzzfjsndbg/"
# (report id, seed, pages, how it is posted)
SCANNED = (
    ("heping-scan-pdf", "003", 1, "pdf"),
    ("hechuan-scan-pictures", "001", 2, "pictures"),
    ("youyang-html-and-scan", "000", 2, "html+pdf"),
)


def _scan(seed: str, pages: int):
    import scans  # tests/scans.py (tests/ is on sys.path)
    return scans.scanned_seed(seed, 150, max_pages=pages, header=False)


def sites(*, slow_seconds: float) -> list[Site]:  # noqa: ARG001 - the builders' signature
    docs: list[Doc] = []
    extra: dict[str, bytes] = {}
    for report_id, seed, pages, how in SCANNED:
        spec = SEEDS[seed]
        scan = _scan(seed, pages)
        when = spec.published
        folder = f"{COLUMN}{when:%Y%m}/"
        doc = Doc(title=spec.title, kind="annual_report", published=when, source=spec.source,
                  body=[], issuer=spec.issuer, report_year=spec.report_year, seed=seed,
                  report_id=report_id)
        if how == "pdf":
            doc.body = [f"附件：{spec.title}.pdf"]
            doc.attachments = [Attachment(f"{folder}P0{when:%Y%m%d}{seed}1.pdf", f"{spec.title}.pdf",
                                          scan.pdf())]
            doc.attachment_only = True
        elif how == "pictures":
            doc.body = ["现将报告全文公布如下："]
            for page in scan.pages:
                href = f"{folder}W0{when:%Y%m%d}{seed}{page.number:02d}.jpg"
                extra[href] = page.jpeg
                doc.pictures.append(href)
        else:  # the text as HTML, and the scan of the signed paper attached
            import scans
            doc.body = scans.body_text(seed)[:len(_paragraphs_on(scan))] + [
                spec.issuer, f"{when.year}年{when.month}月{when.day}日"]
            doc.attachments = [Attachment(f"{folder}P0{when:%Y%m%d}{seed}2.pdf",
                                          f"{spec.title}（盖章扫描件）.pdf", scan.pdf())]
        docs.append(doc)
    site = Site(
        host=HOST, name="扫描县人民政府", organizer="扫描县人民政府办公室", idcode="5002420099",
        credit_code="11500242009339599X", system="trs", style="youyang", info_table=True,
        address="扫描县城中路1号", postcode="409800", phone="023-75550000",
        nav=[("首页", "/"), ("政务公开", "/zwgk/"), ("法治政府建设年度报告", COLUMN + "index.html")],
        columns=[Column(COLUMN, "法治政府建设年度报告", docs, per_page=8,
                        crumbs=(("政务公开", "/zwgk/"),))],
        hubs=[Hub("/zwgk/", "政务公开", [("法治政府建设年度报告", COLUMN + "index.html")])],
        extra_files=extra)
    return [site]


def _paragraphs_on(scan) -> list[str]:
    """The body paragraphs a short scan printed (scans._fit chose them): as many as it holds."""
    import scans
    printed = "".join(scan.truth)
    return [p for p in scans.body_text(scan.name.split("-", 1)[1]) if p[:12] in printed]
