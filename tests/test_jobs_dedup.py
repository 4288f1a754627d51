"""One report however many times and places it is published, end to end: captures of real pages
and files go through the parse job (parse -> near-duplicate index -> store); then `split` undoes a
merge and the re-deduplication job merges what should be one, resumably, never undoing a split."""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import random
import re

import pytest
from click.testing import CliRunner
from opencc import OpenCC
from sqlalchemy import func, select

import seedpages as sp
from jobs.config import DatabaseSettings, Settings
from jobs.dedup import ParseDedup, run_dedup
from jobs.parsing import parse_pending
from pipeline.process import parse_document
from pipeline.records import ParseOptions
from pipeline.tokens import Tokenizer, make_tokenizer
from pipeline.urls import canonical_url, host_of, is_official_host
from storage.captures import record_capture
from storage.models import Capture, JobState, Publication, Report, ReportVersion, Signature
from storage.merges import split_publication
from storage.reports import store_document
from storage.search import search

T0 = dt.datetime(2025, 2, 1, tzinfo=dt.timezone.utc)
YOUYANG = sp.article_url("000")  # http://www.youyang.gov.cn/zwgk/fzzfjs/202501/t20250120_6583950.html


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return make_tokenizer("jieba").load()


# --- how one report is published (page transforms, applied to the page's decoded HTML) -----------

_LINES = [line for line in sp.body_lines("000") if len(line) > 40]


def _edit(page: str) -> str:
    """Two sentences edited after publication: a clause added, a sentence appended."""
    page = page.replace(_LINES[3], _LINES[3][:-1] + "，取得明显成效。")
    return page.replace(_LINES[8], _LINES[8] + "全年未发生重大涉法涉诉事件。")


def _figures(page: str, seed: int, fraction: float) -> str:
    rng = random.Random(seed)
    return re.sub(r"(?<![\d-])(\d{1,3})(?![\d-])", lambda m: str(int(m.group()) + rng.randint(1, 5))
                  if rng.random() < fraction else m.group(), page)


def _last_year(page: str) -> str:
    """The same county's report for the year before, from the same wording: years and figures."""
    return _figures(re.sub(r"(?<!\d)(202[345])(?!\d)", lambda m: str(int(m.group()) - 1), page), 1, 0.8)


def _other_county(page: str) -> str:
    """A neighbouring county's report from the same template: its name, half the figures."""
    return _figures(page.replace("酉阳土家族苗族自治县", "秀山土家族苗族自治县").replace("酉阳", "秀山"), 2, 0.5)


def _traditional(page: str) -> str:
    return OpenCC("s2t").convert(page)


ADS = ("<p>本文来源于网络，版权归原作者所有，如有侵权请联系删除。</p>"
       "<p>更多精品范文请访问第一范文网，海量文档免费下载。</p>")


@functools.cache
def page(variant: str) -> bytes:
    """Seed 000's page as one of its publications publishes it."""
    if variant == "pdf":
        return sp.build("000", "pdf")[0]
    if variant == "other-site":  # the justice bureau's site: its own template and chrome
        return sp.article_page("000", site_of="001", under_title='<p class="sub">编辑：县司法局</p>',
                               body_end="<p>（责任编辑：李四）</p>")
    if variant == "clone":
        return sp.article_page("000", body_end=ADS)
    html = sp.article_page("000").decode("utf-8")
    transform = {"original": lambda p: p, "edited": _edit, "last-year": _last_year,
                 "other-county": _other_county, "traditional": _traditional}[variant]
    return transform(html).encode("utf-8")


def record(db, url: str, variant: str, *, role: str = "detail") -> int:
    content_type = "application/pdf" if variant == "pdf" else "text/html; charset=utf-8"
    with db.session() as s:
        return record_capture(s, run_id=None, source_id=None, url=url, canonical_url=canonical_url(url),
                              final_url=None, role=role, parent_capture_id=None, link_text=None,
                              http_status=200, content_type=content_type, etag=None,
                              last_modified=None, body=page(variant), fetch_state="ok",
                              fetch_error=None)


def parse(db, tokenizer):
    return parse_pending(Settings(database=DatabaseSettings(url=db.url)), db, tokenizer=tokenizer)


def state(db) -> list[list[tuple[str, bool, str]]]:
    """Reports as lists of their publications (url, official, how merged), in report id order."""
    with db.session() as s:
        out: dict[int, list] = {}
        for rid, url, official, reason in s.execute(
                select(Publication.report_id, Publication.url, Publication.official,
                       Publication.merge_reason).order_by(Publication.report_id, Publication.id)):
            out.setdefault(rid, []).append((url, official, reason.get("method")))
        return list(out.values())


# (case, [(url, variant, role)], expected: one list per report of (url, official, method))
A_PDF = YOUYANG.replace("t20250120_6583950.html", "P020250120512345678901.pdf")
OTHER_SITE = "http://sfj.youyang.gov.cn/zwgk/2025/t20250120_1.html"
NEW_URL = "http://www.cq.gov.cn/zwgk/qxdt/t20250201_2.html"
CLONE = "http://www.fanwen123.com/fanwen/2025/9.html"
CASES = [
    ("two sites, other chrome", [(YOUYANG, "original", "detail"), (OTHER_SITE, "other-site", "detail")],
     [[(YOUYANG, True, "first"), (OTHER_SITE, True, "exact")]]),
    ("page and its PDF", [(YOUYANG, "original", "detail"), (A_PDF, "pdf", "attachment")],
     [[(YOUYANG, True, "first"), (A_PDF, True, "exact")]]),
    ("edited copy at a new URL", [(YOUYANG, "original", "detail"), (NEW_URL, "edited", "detail")],
     [[(YOUYANG, True, "first"), (NEW_URL, True, "near")]]),
    ("one county, 2023 and 2024", [(YOUYANG, "original", "detail"), (NEW_URL, "last-year", "detail")],
     [[(YOUYANG, True, "first")], [(NEW_URL, True, "first")]]),
    ("two counties, one template", [(YOUYANG, "original", "detail"),
                                    ("http://www.cqxs.gov.cn/zwgk/1.html", "other-county", "detail")],
     [[(YOUYANG, True, "first")], [("http://www.cqxs.gov.cn/zwgk/1.html", True, "first")]]),
    ("simplified and traditional", [(YOUYANG, "original", "detail"), (NEW_URL, "traditional", "detail")],
     [[(YOUYANG, True, "first"), (NEW_URL, True, "near")]]),
    ("spam clone", [(YOUYANG, "original", "detail"), (CLONE, "clone", "detail")],
     [[(YOUYANG, True, "first"), (CLONE, False, "near")]]),
    ("spam clone first", [(CLONE, "clone", "detail"), (YOUYANG, "original", "detail")],
     [[(CLONE, False, "first"), (YOUYANG, True, "near")]]),
]


@pytest.mark.parametrize("name, captures, expected", CASES, ids=[c[0] for c in CASES])
def test_parse_job_merges_copies_and_keeps_different_reports_apart(db, tokenizer, name, captures,
                                                                    expected):
    for url, variant, role in captures:
        record(db, url, variant, role=role)
        summary = parse(db, tokenizer)  # one job per capture: the second loads the first's signature
        assert summary.parsed == 1, summary.errors
    assert state(db) == expected
    with db.session() as s:
        # every publication's text has its signature, and a near copy its own version
        assert s.scalar(select(func.count()).select_from(Signature)) == len(captures)
        for pub in s.scalars(select(Publication)):
            assert s.scalar(select(func.count()).select_from(ReportVersion).where(
                ReportVersion.publication_id == pub.id, ReportVersion.content_sha256 == pub.content_sha256)) \
                == (0 if pub.merge_reason["method"] == "exact" else 1)
            if pub.merge_reason["method"] == "near":
                assert pub.merge_reason["score"] >= 0.8 and "jaccard" in pub.merge_reason["reason"]
        if name.startswith("spam clone"):  # the official page decides what the report shows
            (report,) = s.scalars(select(Report)).all()
            assert report.title == sp.PUBLISHED["000"].title
            assert "第一范文网" not in report.text
            shown = s.get(Publication, report.fields["display_publication_id"])
            assert shown.url == YOUYANG
        # the report's captures point at it
        assert {c.report_id for c in s.scalars(select(Capture))} == {r.id for r in s.scalars(select(Report))}


def test_copies_in_one_parse_job_use_the_index_learned_in_that_job(db, tokenizer):
    record(db, CLONE, "clone")
    record(db, YOUYANG, "original")
    record(db, NEW_URL, "traditional")
    record(db, "http://www.cqxs.gov.cn/zwgk/1.html", "other-county")
    summary = parse(db, tokenizer)
    assert (summary.parsed, summary.new_reports, summary.duplicates) == (4, 2, 2)
    assert [len(r) for r in state(db)] == [3, 1]


def test_an_edit_at_the_same_url_is_a_new_version(db, tokenizer):
    record(db, YOUYANG, "original")
    parse(db, tokenizer)
    record(db, YOUYANG, "edited")
    summary = parse(db, tokenizer)
    assert summary.updated_reports == 1
    assert state(db) == [[(YOUYANG, True, "first")]]
    with db.session() as s:
        first, second = s.scalars(select(ReportVersion).order_by(ReportVersion.id)).all()
        assert "+" in second.diff and "全年未发生重大涉法涉诉事件" in second.diff
        assert s.scalar(select(func.count()).select_from(Signature)) == 2  # one per text


# --- split ----------------------------------------------------------------------------------------


def test_split_undoes_a_merge_and_show_says_why(db, tokenizer, tmp_path):
    from jobs.cli import cli
    for url, variant in ((YOUYANG, "original"), (NEW_URL, "traditional"), (CLONE, "clone")):
        record(db, url, variant)
    parse(db, tokenizer)
    with db.session() as s:
        (report_id,) = s.scalars(select(Report.id)).all()
        trad = s.scalar(select(Publication).where(Publication.url == NEW_URL))
    runner = CliRunner()
    shown = runner.invoke(cli, ["--db", db.url, "show", str(report_id)])
    assert shown.exit_code == 0, shown.output
    assert "publications: 3" in shown.output and "versions: 3" in shown.output
    assert f"#{trad.id} {NEW_URL}" in shown.output and "near duplicate, similarity" in shown.output
    assert "(unofficial)" in shown.output and "first publication of the report" in shown.output

    out = runner.invoke(cli, ["--db", db.url, "split", str(trad.id), "--note", "a test"])
    assert out.exit_code == 0, out.output
    new_id = int(re.search(r"now report (\d+)", out.output).group(1))
    assert [sorted(u for u, _, _ in r) for r in state(db)] == [sorted([YOUYANG, CLONE]), [NEW_URL]]
    with db.session() as s:
        new = s.get(Report, new_id)
        assert new.title.startswith("酉陽") and new.text.count("縣") > 10
        assert new.report_year == 2024 and new.region_code == "500242"
        pub = s.get(Publication, trad.id)
        assert pub.merge_reason["method"] == "split" and pub.merge_reason["was_report"] == report_id
        assert pub.merge_reason["previous"]["method"] == "near"
        assert {v.report_id for v in s.scalars(select(ReportVersion).where(
            ReportVersion.publication_id == trad.id))} == {new_id}
        assert s.scalar(select(Signature.report_id).where(Signature.publication_id == trad.id)) == new_id
        assert s.scalar(select(Capture.report_id).where(Capture.canonical_url == canonical_url(NEW_URL))) == new_id
        # both are searchable under their own text
        assert [h.report_id for h in search(s, "建設", tokenizer=tokenizer)] == [new_id]
    shown = runner.invoke(cli, ["--db", db.url, "show", str(new_id)])
    assert f"split off report {report_id}" in shown.output and "a test" in shown.output
    # the only publication of a report cannot be split off
    again = runner.invoke(cli, ["--db", db.url, "split", str(trad.id)])
    assert again.exit_code != 0 and "only one" in again.output

    # re-deduplication respects the split; a later copy joins one of the two, merging nothing
    summary = run_dedup(Settings(database=DatabaseSettings(url=db.url)), db, tokenizer=tokenizer)
    assert summary.done and summary.merged == [] and summary.kept_apart >= 1
    record(db, "http://www.cq.gov.cn/zwgk/copy/3.html", "edited")
    parse(db, tokenizer)
    assert sum(len(r) for r in state(db)) == 4 and len(state(db)) == 2


# --- the re-deduplication job ---------------------------------------------------------------------

@functools.cache
def parsed(variant: str, url: str):
    return parse_document(page(variant), url=url, filename=url.rsplit("/", 1)[-1],
                          options=ParseOptions())


# Stored without near-duplicate matching (as before it existed, or with stricter thresholds):
# (url, variant, days after T0). Expected: the copies of the 2024 report are one report, the
# other year and the other county stay apart.
COLLECTION = [
    (CLONE, "clone", 0),
    (YOUYANG, "original", 1),
    ("http://www.cqxs.gov.cn/zwgk/1.html", "other-county", 1),
    (NEW_URL, "traditional", 2),
    ("http://www.youyang.gov.cn/zwgk/2024/t20240220_9.html", "last-year", 3),
    ("http://www.cq.gov.cn/zwgk/copy/3.html", "edited", 4),
    (OTHER_SITE, "other-site", 5),  # the same text as the original: one report already
]
EXPECTED = sorted([sorted([CLONE, YOUYANG, NEW_URL, "http://www.cq.gov.cn/zwgk/copy/3.html", OTHER_SITE]),
                   ["http://www.cqxs.gov.cn/zwgk/1.html"],
                   ["http://www.youyang.gov.cn/zwgk/2024/t20240220_9.html"]])


def store_collection(db, tokenizer, order) -> None:
    for url, variant, days in order:
        doc = parsed(variant, url)
        prepared = ParseDedup.prepare(doc)
        host = host_of(url)
        with db.session() as s:
            store_document(s, doc, url=url, canonical_url=canonical_url(url), host=host,
                           official=is_official_host(host), is_attachment=False, capture_id=None,
                           seen_at=T0 + dt.timedelta(days=days), tokenizer=tokenizer,
                           signature=prepared.data)


def clusters(db) -> list[list[str]]:
    return sorted(sorted(u for u, _, _ in r) for r in state(db))


def _settings(db) -> Settings:
    return Settings(database=DatabaseSettings(url=db.url))


def test_dedup_job_merges_reports_that_are_one(db, tokenizer):
    store_collection(db, tokenizer, COLLECTION)
    assert len(clusters(db)) == 6
    with db.session() as s:
        versions = s.scalar(select(func.count()).select_from(ReportVersion))
    summary = run_dedup(_settings(db), db, batch_size=3, tokenizer=tokenizer)
    assert summary.done and summary.visited == 7 and summary.without_signature == 0
    assert len(summary.merged) == 3
    assert clusters(db) == EXPECTED
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ReportVersion)) == versions  # all kept
        main = s.scalar(select(Publication.report_id).where(Publication.url == YOUYANG))
        report = s.get(Report, main)
        # the earliest publication's report survives; the official text is what it shows
        assert main == s.scalar(select(Publication.report_id).where(Publication.url == CLONE))
        assert report.title == sp.PUBLISHED["000"].title and "第一范文网" not in report.text
        assert s.get(Publication, report.fields["display_publication_id"]).url == YOUYANG
        assert {v.report_id for v in s.scalars(select(ReportVersion))} <= set(s.scalars(select(Report.id)))
        moved = s.scalar(select(Publication).where(Publication.url == NEW_URL))
        assert moved.merge_reason["job"] == "dedup" and moved.merge_reason["method"] == "near"
        assert moved.merge_reason["previous"]["method"] == "first"
        # the emptied reports left the search index
        hits = search(s, "法治政府", tokenizer=tokenizer)
        assert sorted(h.report_id for h in hits) == sorted(s.scalars(select(Report.id)))
    # a second run finds nothing more to do
    again = run_dedup(_settings(db), db, tokenizer=tokenizer)
    assert again.done and again.merged == [] and again.resumed_after is None


def test_dedup_job_resumes_and_the_result_does_not_depend_on_arrival_order(db, tokenizer):
    store_collection(db, tokenizer, list(reversed(COLLECTION)))  # other ids, same first_seen
    first = run_dedup(_settings(db), db, batch_size=2, max_batches=1, tokenizer=tokenizer)
    assert not first.done and first.visited == 2
    with db.session() as s:
        saved = s.get(JobState, "dedup").state
    assert saved["status"] == "running" and saved["cursor"] is not None
    rest = run_dedup(_settings(db), db, batch_size=2, tokenizer=tokenizer)
    assert rest.done and rest.resumed_after is not None and rest.visited == 5
    assert len(first.merged) + len(rest.merged) == 3
    assert clusters(db) == EXPECTED
    with db.session() as s:  # the report of the earliest publication is the one kept
        assert s.scalar(select(Publication.report_id).where(Publication.url == YOUYANG)) == \
            s.scalar(select(Publication.report_id).where(Publication.url == CLONE))
        assert s.get(JobState, "dedup").state["status"] == "done"


def test_dedup_restart_and_stricter_settings(db, tokenizer):
    store_collection(db, tokenizer, COLLECTION)
    # an interrupted run with other settings is not resumed by a run with these
    run_dedup(_settings(db), db, batch_size=1, max_batches=2, tokenizer=tokenizer, threshold=0.99,
              unconfirmed_threshold=0.99)
    strict = run_dedup(_settings(db), db, tokenizer=tokenizer, threshold=1.01,
                       unconfirmed_threshold=1.01)
    assert strict.done and strict.resumed_after is None and strict.merged == []
    assert len(clusters(db)) == 6
    run_dedup(_settings(db), db, batch_size=2, max_batches=1, tokenizer=tokenizer)
    restarted = run_dedup(_settings(db), db, restart=True, tokenizer=tokenizer)
    assert restarted.resumed_after is None and restarted.visited == 7
    assert clusters(db) == EXPECTED


def test_dedup_cli_reports_what_it_changed(db, tokenizer):
    from jobs.cli import cli
    store_collection(db, tokenizer, COLLECTION[:4])
    out = CliRunner().invoke(cli, ["--db", db.url, "dedup", "--batch-size", "2"])
    assert out.exit_code == 0, out.output
    assert "publications checked: 4 in 2 batches" in out.output
    assert "reports merged:       2" in out.output and "done" in out.output
