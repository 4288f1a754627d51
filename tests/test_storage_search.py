"""Search on SQLite (FTS5) and PostgreSQL (tsvector): two-character words, phrases, boolean
queries and every filter return exactly the expected reports of the test collection."""
from __future__ import annotations

import contextlib
import datetime as dt
from typing import Iterator

import pytest
import sqlalchemy as sa

import storage_collection as coll
from conftest import pg_schema
from pipeline.tokens import Tokenizer, make_tokenizer
from storage.db import Database, open_database
from storage.query_language import And, Not, Or, Term, parse_query
from storage.search import (Filters, QueryError, common_words, count_matches, facet_tokens,
                            index_report, make_snippet, rebuild_index, refresh_common_words, search)

Y24, W24, Y23, H24 = "youyang-2024-bureau", "wanzhou-2024-bureau", "youyang-2023-gov", "heping-2024-bureau"
X23, B24, C22, N24 = "xx-2023-summary", "yubei-2024-gov", "hechuan-2022-gov", "wanzhou-2024-news"
ALL = {Y24, W24, Y23, H24, X23, B24, C22, N24}


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return make_tokenizer("jieba").load()


@contextlib.contextmanager
def _built(backend: str, tmp_path_factory, tokenizer: Tokenizer,
           common: bool = False) -> Iterator[tuple[Database, dict[str, int]]]:
    """The test collection on *backend*; with *common*, its common words measured (as from
    2,000 reports on)."""
    with contextlib.ExitStack() as stack:
        url = (f"sqlite:///{tmp_path_factory.mktemp('search') / 'search.db'}" if backend == "sqlite"
               else stack.enter_context(pg_schema()))
        db = open_database(url)
        stack.callback(db.dispose)
        ids = coll.build(db, tokenizer)
        if common:
            with db.session() as s:
                assert refresh_common_words(s, force=True, min_reports=1)
        yield db, ids


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def collection(request, tmp_path_factory, tokenizer) -> Iterator[tuple[Database, dict[str, int]]]:
    """The test collection, built once per backend for this module (the queries only read)."""
    with _built(request.param, tmp_path_factory, tokenizer) as built:
        yield built


def _labels(ids: dict[str, int], hits) -> set[str]:
    by_id = {v: k for k, v in ids.items()}
    return {by_id[h.report_id] for h in hits}


CASES = [
    # two-character words: inside longer words of the text (行政败诉率, 庭审旁听)
    ("败诉", Filters(), {Y24, Y23, X23, B24}),
    ("庭审", Filters(), {W24, X23, C22}),
    ("复议", Filters(year=2022), {C22}),
    # a word jieba does not know, cut in three (府/院/联动): all three
    ("府院联动", Filters(), {B24}),
    # a run of characters is one term, quoted or not: those characters together, in this order
    # (not 行政复议 here and 决定 there)
    ("行政复议决定", Filters(), {Y23, B24}),
    ('"行政复议决定"', Filters(), {Y23, B24}),
    ("诉讼案件", Filters(), {Y24, X23}),
    ('"诉讼案件"', Filters(), {Y24, X23}),
    # a quoted phrase whose last word starts a longer word of the text (联动 of 联动机制)
    ('"府院联动"', Filters(), {B24}),
    # a last single character is the start of a word (案 of 案件)
    ('"行政复议案"', Filters(), {Y24, H24, X23}),
    # a phrase
    ('"行政机关负责人出庭应诉"', Filters(), {Y24, W24, Y23, H24, B24, C22}),
    ("“行政机关负责人出庭应诉”", Filters(), {Y24, W24, Y23, H24, B24, C22}),
    # boolean
    ("败诉 营商环境 解纷", Filters(), {Y24, Y23, B24}),
    ("庭审 OR 府院联动", Filters(), {W24, X23, C22, B24}),
    ("败诉 -酉阳", Filters(), {X23, B24}),
    ("败诉 NOT 酉阳", Filters(), {X23, B24}),
    ("(庭审 OR 公证) 败诉", Filters(), {X23, Y24}),
    ("（庭审 OR 公证） AND 败诉", Filters(), {X23, Y24}),
    ('败诉 -"专精特新"', Filters(), {Y24, X23}),
    ('"专精特新" OR 庭审', Filters(), {Y23, B24, W24, X23, C22}),
    # each filter
    ("行政复议", Filters(), ALL),
    ("行政复议", Filters(year=2024), {Y24, W24, H24, B24, N24}),
    ("行政复议", Filters(region="50"), {Y24, W24, Y23, B24, C22, N24}),
    ("行政复议", Filters(region="5001"), {W24, B24, C22, N24}),
    ("行政复议", Filters(region="500242"), {Y24, Y23}),
    ("行政复议", Filters(kind="news"), {N24}),
    ("行政复议", Filters(issuer="司法局"), {Y24, W24, H24, X23, N24}),
    ("行政复议", Filters(date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 3, 31)), {Y24, W24, H24}),
    ("行政复议", Filters(region="44", year=2024, kind="annual_report"), {H24}),
    ("行政复议", Filters(date_from=dt.date(2025, 1, 25), date_to=dt.date(2025, 3, 20)), {Y24, H24}),
    ("行政复议", Filters(date_from=dt.date(2024, 6, 1)), {Y24, W24, H24, B24, N24}),
    ("行政复议", Filters(region="500"), {Y24, W24, Y23, B24, C22, N24}),  # not a whole level
    ("行政复议", Filters(issuer="人民政府", region="5001"), {B24, C22}),
    ("行政复议", Filters(year=2021), set()),
    # filters alone
    ("", Filters(year=2024, kind="annual_report"), {Y24, W24, H24, B24}),
    ("", Filters(date_to=dt.date(2024, 12, 31)), {Y23, C22, N24}),
]


@pytest.mark.parametrize("query, filters, expected", CASES)
def test_search_returns_exactly_the_expected_reports(collection, tokenizer, query, filters, expected):
    db, ids = collection
    with db.session() as s:
        hits = search(s, query, tokenizer=tokenizer, filters=filters, limit=100)
        assert _labels(ids, hits) == expected
        assert len(hits) == len(expected)  # each report once, however many publications
        assert count_matches(s, query, tokenizer=tokenizer, filters=filters) == len(expected)


def test_ranked_best_first_with_marked_snippets(collection, tokenizer):
    db, ids = collection
    with db.session() as s:
        hits = search(s, "工作总结", tokenizer=tokenizer, limit=5)
        assert hits[0].report_id == ids[X23]  # the word is its title
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        hit = search(s, "败诉", tokenizer=tokenizer, filters=Filters(region="5001"))[0]
        assert hit.report_id == ids[B24] and "【败诉】" in hit.snippet
        assert len(hit.snippet.replace("【", "").replace("】", "").strip("…")) <= 60
        assert (hit.issuer, hit.report_year, hit.kind, hit.region_code, hit.published_at) == (
            "渝北区人民政府", 2024, "annual_report", "500112", dt.date(2025, 4, 10))
        phrase = search(s, '"行政机关负责人出庭应诉"', tokenizer=tokenizer, snippet_chars=40,
                        mark=("<b>", "</b>"), filters=Filters(region="500112"))[0]
        assert "<b>行政机关负责人出庭应诉</b>" in phrase.snippet


def test_listing_without_a_query_is_newest_first_and_pages(collection, tokenizer):
    db, ids = collection
    with db.session() as s:
        f = Filters(year=2024, kind="annual_report")
        hits = search(s, "", tokenizer=tokenizer, filters=f)
        assert [h.report_id for h in hits] == [ids[B24], ids[Y24], ids[H24], ids[W24]]
        page2 = search(s, "", tokenizer=tokenizer, filters=f, limit=2, offset=2)
        assert [h.report_id for h in page2] == [ids[H24], ids[W24]]


@pytest.mark.parametrize("query", ["-酉阳", "NOT 酉阳", "庭审 OR -酉阳", '-"专精特新"'])
def test_queries_of_only_negations_are_refused(collection, tokenizer, query):
    db, _ = collection
    with db.session() as s, pytest.raises(QueryError):
        search(s, query, tokenizer=tokenizer)


@pytest.mark.parametrize("text, tree", [
    ("行政复议", Term("行政复议")),
    ("行政复议 败诉", And((Term("行政复议"), Term("败诉")))),
    ('"法治 政府 建设" 年度', And((Term("法治政府建设", quoted=True), Term("年度")))),
    ("复议 OR 诉讼 纠错", Or((Term("复议"), And((Term("诉讼"), Term("纠错")))))),
    ("复议 | 诉讼", Or((Term("复议"), Term("诉讼")))),
    ("复议 -酉阳 NOT 和平", And((Term("复议"), Not(Term("酉阳")), Not(Term("和平"))))),
    ("(复议 OR 诉讼) 纠错", And((Or((Term("复议"), Term("诉讼"))), Term("纠错")))),
    ('-"专精特新"', Not(Term("专精特新", quoted=True))),
    ('"未闭合的引号', Term("未闭合的引号", quoted=True)),
    ("(复议 诉讼", And((Term("复议"), Term("诉讼")))),
    ("复议) 诉讼", And((Term("复议"), Term("诉讼")))),
    ("COVID-19", Term("COVID-19")),
    ("  ", None),
    ("OR", None),
])
def test_query_language(text, tree):
    assert parse_query(text) == tree


def test_index_follows_updates_and_rebuilds(db, tokenizer):
    coll.build(db, tokenizer)
    with db.session() as s:
        rid = search(s, "府院联动", tokenizer=tokenizer)[0].report_id
        assert tokenizer.query_tokens("无人机") == ["无人机"]  # one token: the index alone decides
        index_report(s, rid, "渝北区报告", "探索无人机辅助执法。", tokenizer)
        assert search(s, "府院联动", tokenizer=tokenizer) == []
        assert [h.report_id for h in search(s, "无人机", tokenizer=tokenizer)] == [rid]
    with db.session() as s:
        assert rebuild_index(s, tokenizer, batch_size=3) == len(coll.items())
    with db.session() as s:
        # the index holds the reports' stored texts again
        assert [h.report_id for h in search(s, "府院联动", tokenizer=tokenizer)] == [rid]
        assert count_matches(s, "行政复议", tokenizer=tokenizer) == len(ALL)
    # The bulk settings of the rebuild are undone: FTS5 merges as usual, PostgreSQL has its
    # GIN indexes again (else every search afterwards would scan).
    with db.session() as s:
        if db.dialect == "sqlite":
            for table in ("report_fts", "report_grams"):
                config = dict(s.execute(sa.text(f"SELECT k, v FROM {table}_config")).all())
                assert (config.get("automerge", 4), config.get("crisismerge", 16)) == (4, 16)
        else:
            names = set(s.scalars(sa.text("SELECT indexname FROM pg_indexes WHERE tablename IN "
                                          "('report_fts', 'report_text') "
                                          "AND schemaname = current_schema()")))
            assert {"ix_report_fts_tsv", "ix_report_text_grams"} <= names


def test_a_failed_rebuild_leaves_the_index_as_it_was(db, tokenizer, monkeypatch):
    coll.build(db, tokenizer)
    import storage.search as search_module

    def fail(*args, **kwargs):
        raise RuntimeError("tokenizer broke")
    monkeypatch.setattr(search_module, "index_reports", fail)
    with pytest.raises(RuntimeError), db.session() as s:
        rebuild_index(s, tokenizer)
    monkeypatch.undo()
    with db.session() as s:
        assert count_matches(s, "行政复议", tokenizer=tokenizer) == len(ALL)
        if db.dialect == "sqlite":
            config = dict(s.execute(sa.text("SELECT k, v FROM report_grams_config")).all())
            assert config.get("automerge", 4) == 4


TEXT = "标题\n\n  第一段 内容。\n第二段提到行政复议工作，还有行政复议案件。\n结尾。"


@pytest.mark.parametrize("words, chars, mark, escape, expected", [
    (["行政复议"], 20, ("【", "】"), False, "…第二段提到【行政复议】工作，还有【行政复议】案件…"),
    (["没有的词"], 10, ("【", "】"), False, "标题 第一段 内容。…"),
    ([], 200, ("【", "】"), False, "标题 第一段 内容。 第二段提到行政复议工作，还有行政复议案件。 结尾。"),
    (["结尾"], 10, ("【", "】"), False, "…。 【结尾】。"),
    # the whole query word is found first, its parts are marked too
    (["行政复议案件", "案件"], 12, ("[", "]"), False, "…，还有[行政复议案件]。 结…"),
])
def test_snippets(words, chars, mark, escape, expected):
    assert make_snippet(TEXT, words, chars, mark=mark, html_escape=escape) == expected


def test_snippets_escape_html_around_the_marks():
    assert make_snippet("a<b>行政复议</b>", ["行政复议"], 20, mark=("<b>", "</b>"), html_escape=True) \
        == "a&lt;b&gt;<b>行政复议</b>&lt;/b&gt;"


@pytest.mark.parametrize("year, code, kind, published, expected", [
    (2024, "500117", "annual_report", dt.date(2025, 3, 20),
     ["y2024", "m202503", "r50", "r5001", "r500117", "kannualreport"]),
    (None, "500117000000", "work_summary", None,
     ["r50", "r5001", "r500117", "r500117000", "r500117000000", "kworksummary"]),
    (2023, None, None, None, ["y2023"]),
    (None, "unknown", "news", None, ["knews"]),
])
def test_filter_tokens_of_a_report(year, code, kind, published, expected):
    assert facet_tokens(year, code, kind, published) == expected


@pytest.mark.parametrize("query, expected", [
    ('"行政机关负责人出庭应诉"', {Y24, W24, Y23, H24, B24, C22}),
    ('"诉讼案件"', {Y24, X23}),
    ("败诉", {Y24, Y23, X23, B24}),
])
def test_a_small_rank_window_keeps_the_newest_matches(collection, tokenizer, query, expected):
    """Ranking only the newest matches (the window) still returns matches, newest first when the
    window holds one; on SQLite phrases are then checked on the newest candidates only."""
    db, ids = collection
    with db.session() as s:
        hit, = search(s, query, tokenizer=tokenizer, limit=1, rank_window=1)
        assert hit.report_id == max(ids[label] for label in expected)
        assert _labels(ids, search(s, query, tokenizer=tokenizer, limit=50, rank_window=None)) == expected


# ------------------------------------------------------------------ common words do not rank

@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def common_collection(request, tmp_path_factory, tokenizer) -> Iterator[tuple[Database, dict[str, int]]]:
    """The test collection with its common words measured."""
    with _built(request.param, tmp_path_factory, tokenizer, common=True) as built:
        yield built


def test_common_words_are_measured_and_kept(db, tokenizer):
    coll.build(db, tokenizer)
    with db.session() as s:
        assert refresh_common_words(s) and common_words(s) == frozenset()  # below 2,000 reports
        assert not refresh_common_words(s)  # nothing changed since
        assert refresh_common_words(s, force=True, min_reports=1)
        common = common_words(s)
    # in every report / in one report of eight
    assert {"行政复议", "法治"} <= common and not {"府", "联动", "旁听"} & common


@pytest.mark.parametrize("query, filters, expected", CASES)
def test_common_words_still_select_exactly(common_collection, tokenizer, query, filters, expected):
    db, ids = common_collection
    with db.session() as s:
        hits = search(s, query, tokenizer=tokenizer, filters=filters, limit=100)
        assert _labels(ids, hits) == expected and len(hits) == len(expected)
        assert count_matches(s, query, tokenizer=tokenizer, filters=filters) == len(expected)
        if query and all(h.score == 0 for h in hits):  # nothing ranked: newest first
            assert [h.report_id for h in hits] == sorted((h.report_id for h in hits), reverse=True)


@pytest.mark.parametrize("query, filters, expected", [
    ("行政复议", Filters(), ALL),
    ("行政复议 法治", Filters(year=2024), {Y24, W24, H24, B24, N24}),
    ("行政复议", Filters(region="5001"), {W24, B24, C22, N24}),
    ("行政复议", Filters(issuer="司法局"), {Y24, W24, H24, X23, N24}),
    ("行政复议", Filters(date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 3, 31)), {Y24, W24, H24}),
    ("行政复议", Filters(date_from=dt.date(2025, 1, 25), date_to=dt.date(2025, 3, 20)), {Y24, H24}),
    ("行政复议", Filters(region="44", year=2024, kind="annual_report"), {H24}),
    ("行政复议", Filters(year=2021), set()),
    # common words missing from some reports (乡镇 and 书记 are in five of the eight)
    ("乡镇", Filters(region="5001"), {B24}),
    ("乡镇", Filters(year=2024), {Y24, H24, B24}),
    ("书记", Filters(issuer="司法局"), {W24, H24}),
    ("书记 乡镇", Filters(), {H24, Y23, B24}),
    ('"人民政府"', Filters(region="50"), {Y24, W24, Y23, B24, C22}),
])
def test_a_query_of_common_words_pages_newest_first(common_collection, tokenizer, query, filters,
                                                    expected):
    """Each page is the next newest matches."""
    db, ids = common_collection
    newest = sorted((ids[label] for label in expected), reverse=True)
    with db.session() as s:
        pages = [search(s, query, tokenizer=tokenizer, filters=filters, limit=2, offset=o)
                 for o in range(0, 10, 2)]
    assert [h.report_id for page in pages for h in page] == newest
    assert all(h.score == 0 for page in pages for h in page)


def test_uncommon_words_rank_and_common_ones_do_not(common_collection, tokenizer):
    db, ids = common_collection
    with db.session() as s:
        common = common_words(s)
        assert "行政复议" in common and "庭审" not in common
        hits = search(s, "行政复议 OR 庭审", tokenizer=tokenizer, limit=100)
        ranked = [h for h in hits if h.score > 0]
        assert _labels(ids, ranked) == {W24, X23, C22}  # those with 庭审, best first
        assert hits[:3] == ranked and ranked == sorted(ranked, key=lambda h: -h.score)
        rest = [h.report_id for h in hits[3:]]
        assert rest == sorted(rest, reverse=True) and len(hits) == len(ALL)


def test_every_word_ranks_when_asked(common_collection, tokenizer):
    db, ids = common_collection
    with db.session() as s:
        hits = search(s, "行政复议", tokenizer=tokenizer, limit=100, rank_window=None, rank_common=True)
    assert _labels(ids, hits) == ALL and all(h.score > 0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
