"""Nothing skipped silently: a capture the pipeline skips although the crawl marked it as a likely
report is recorded as "possible report, not parsed", with the reason, counted in the run's stats
and listed by `status`; one whose attachment holds the report is no loss."""
from __future__ import annotations

from sqlalchemy import select

from jobs.config import DatabaseSettings, Settings
from jobs.parsing import parse_pending, reset_parse_state
from pipeline.urls import canonical_url
from shapes import RELATED
from storage.captures import record_capture
from storage.models import Capture
from storage.queries import status
from storage.runs import start_run
from test_pipeline_body import seed_lines

REPORT_TITLE = "XX区2024年法治政府建设年度报告"
# The list a template shows on an article page whose text is an image: all links, no text.
LIST_PAGE = ("<html><head><title>{title}_XX区人民政府</title></head><body><ul>"
             + "".join(f'<li><a href="/x/{i}.html">{t}</a><span>2025-01-0{1 + i % 9}</span></li>'
                       for i, t in enumerate(RELATED))
             + "</ul></body></html>")
SHORT_PAGE = ("<html><head><title>{title}_XX区人民政府</title></head><body><div class='c'><h1>{title}</h1>"
              "<p>现将{title}予以公布，全文见附件。</p><p><a href='/f/report.txt'>附件：{title}</a></p></div></body></html>")


def _record(db, url: str, body: bytes | None, *, link_text: str | None = None, role: str = "detail",
            parent: int | None = None, run_id: int | None = None, content_type: str = "text/html; charset=utf-8") -> int:
    with db.session() as s:
        return record_capture(s, run_id=run_id, source_id=None, url=url, canonical_url=canonical_url(url),
                              final_url=None, role=role, parent_capture_id=parent, link_text=link_text,
                              http_status=200, content_type=content_type, etag=None, last_modified=None,
                              body=body, fetch_state="ok", fetch_error=None)


def _states(db) -> dict[str, tuple[str, str | None]]:
    with db.session() as s:
        return {c.url: (c.parse_state, c.parse_error) for c in s.scalars(select(Capture))}


def test_possible_reports_are_recorded_counted_and_listed(db):
    settings = Settings(database=DatabaseSettings(url=db.url))
    with db.session() as s:
        run = start_run(s, start_urls=["http://www.xx.gov.cn/fzzf/index.html"], source_id=None, trigger="test")
    column = _record(db, "http://www.xx.gov.cn/fzzf/index.html", LIST_PAGE.format(title="法治政府").encode(),
                     role="list", run_id=run)
    base = "http://www.xx.gov.cn/fzzf/202503/"
    by_link = _record(db, base + "t1.html", LIST_PAGE.format(title="图片新闻").encode(), link_text=REPORT_TITLE)
    by_title = _record(db, base + "t2.html", LIST_PAGE.format(title=REPORT_TITLE).encode())
    by_column = _record(db, base + "t3.html", LIST_PAGE.format(title="图片新闻").encode(), parent=column,
                        run_id=run)
    plain = _record(db, base + "t4.html", LIST_PAGE.format(title="通知公告").encode(), link_text="关于春节放假的通知")
    # A notice whose attachment holds the report: no loss once the attachment is stored.
    notice = _record(db, base + "t5.html", SHORT_PAGE.format(title="XX县2024年法治政府建设年度报告").encode(),
                     link_text="XX县2024年法治政府建设年度报告")
    _record(db, "http://www.xx.gov.cn/f/report.txt", "\n".join(seed_lines("002")).encode("utf-8"),
            role="attachment", parent=notice, content_type="text/plain; charset=utf-8")

    summary = parse_pending(settings, db)

    states = _states(db)
    assert states[base + "t1.html"][0] == "possible_report"
    assert "likely a report by its link text «XX区2024年法治政府建设年度报告»" in states[base + "t1.html"][1]
    assert states[base + "t1.html"][1].startswith(("extract: ", "clean: "))
    assert states[base + "t2.html"][0] == "possible_report" and "title «" in states[base + "t2.html"][1]
    assert states[base + "t3.html"][0] == "possible_report" and "column http://www.xx.gov.cn/fzzf/" in states[base + "t3.html"][1]
    assert states[base + "t4.html"][0] == "skipped"  # nothing marked it: an ordinary skip
    assert states[base + "t5.html"][0] == "skipped" and "its attachment holds the report" in states[base + "t5.html"][1]
    assert summary.new_reports == 1
    assert len(summary.possible_reports) == 3
    assert all(line.startswith(base) for line in summary.possible_reports)
    assert summary.counters()["parse/possible_reports"] == 3
    with db.session() as s:
        st = status(s)
    assert st["captures"]["by_parse_state"]["possible_report"] == 3
    assert st["possible_reports"]["total"] == 3
    assert {row["url"] for row in st["possible_reports"]["latest"]} == {base + f"t{i}.html" for i in (1, 2, 3)}
    assert all("likely a report" in row["reason"] for row in st["possible_reports"]["latest"])
    assert by_link and by_title and by_column and plain
    # Re-parsing takes them up again (after a better rule): reset_parse_state includes them.
    assert reset_parse_state(db) >= 3
    assert all(state != "possible_report" for state, _ in _states(db).values())
