"""The truth test of search, on SQLite and PostgreSQL: for several hundred strings drawn from the
stored texts themselves (2 to 8 characters, across jieba's word boundaries, inside words, with
punctuation, Latin letters and figures, and strings that occur nowhere), with and without filters,
search and count_matches return exactly the reports whose folded title or text contains the
string: the answer of a substring scan (tests/search_oracle.py)."""
from __future__ import annotations

import contextlib
import datetime as dt
import random
import re
from typing import Iterator

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import storage_collection as coll
from conftest import pg_schema
from pipeline.tokens import Tokenizer, make_tokenizer
from search_oracle import scan, scan_texts
from storage.db import Database, open_database
from storage.models import Report
from storage.search import (Filters, count_matches, filter_clauses, index_reports,
                            matching_ids, search)

# Paragraphs that catch an index of words: the two halves of a term in different paragraphs
# (社区 / 矫正), terms that straddle jieba's word boundaries (复议案 in 行政复议案件, 诉讼案 in
# 行政诉讼案件, 议案件), traditional characters, Latin letters and figures, full-width forms.
TRICKY = [
    "桃花源社区开展普法宣传活动十二场。",
    "建成智慧矫正平台，实现远程视频督察。",
    "全年办理社区矫正对象入矫宣告三十一人。",
    "全年办理行政复议案件213件，行政诉讼案件98件，议案件数同比下降。",
    "行政復議案件的審理期限依法延長。",
    "上传PDF版本的报告，COVID-19防控期间依法行政，编号12345。",
    "２０２４年度法治政府建设报告（ＰＤＦ）已公开。",
    "重大行政决策目录化管理，决策事项12项；“放管服”改革持续深化。",
]


def _corpus(n: int, seed: int = 5) -> list[dict]:
    rng = random.Random(seed)
    paras = [p for prefix in ("000", "001", "002", "003", "004")
             for p in coll.seed_text(prefix).splitlines() if len(p) > 20]
    out = []
    for i in range(n):
        chosen = rng.sample(paras, 3) + rng.sample(TRICKY, rng.randint(0, 3))
        # Some paragraphs cut short, so that a term may end a text or a line.
        chosen = [p[:rng.randint(20, 120)] for p in chosen]
        rng.shuffle(chosen)
        year = rng.choice([2021, 2022, 2023, 2024])
        out.append({
            "title": rng.choice(["渝北区", "万州区", "和平县", "酉阳县"]) + f"{year}年法治政府建设年度报告",
            "issuer": rng.choice(["渝北区人民政府", "万州区司法局", "和平县人民政府"]),
            "report_year": year, "kind": rng.choice(["annual_report", "annual_report", "news"]),
            "region_code": rng.choice(["500112", "500101", "441624", "500242"]),
            "published_at": dt.date(year + 1, rng.randint(1, 6), rng.randint(1, 28)),
            "text": "\n".join(chosen), "content_sha256": f"{i:064x}", "fields": {},
        })
    return out


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return make_tokenizer("auto").load()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def corpus(request, tmp_path_factory, tokenizer) -> Iterator[tuple[Database, list[tuple[int, str, str]]]]:
    with contextlib.ExitStack() as stack:
        url = (f"sqlite:///{tmp_path_factory.mktemp('truth') / 'truth.db'}"
               if request.param == "sqlite" else stack.enter_context(pg_schema()))
        db = open_database(url)
        stack.callback(db.dispose)
        now = dt.datetime.now(dt.timezone.utc)
        with db.session() as s:
            s.execute(sa.insert(Report), [{**r, "created_at": now, "updated_at": now}
                                          for r in _corpus(300)])
            rows = s.execute(sa.select(Report.id, Report.title, Report.text, Report.report_year,
                                       Report.region_code, Report.kind, Report.published_at)).all()
            index_reports(s, rows, tokenizer)
            # Which reports pass each filter, once (the oracle then only reads texts).
            passing = {f: {r for r in s.scalars(sa.select(Report.id).where(*filter_clauses(f)))}
                       for f in FILTERS}
        yield db, [(r.id, r.title, r.text) for r in rows], passing


def _pieces(texts: list[tuple[int, str, str]], k: int, seed: int) -> list[str]:
    """*k* strings of 2-8 characters cut from the texts at random places (so most start or end
    inside a word), white space and query syntax taken out; one in eight reversed, so that
    some occur nowhere."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < k:
        _, title, text = rng.choice(texts)
        source = text if rng.random() < 0.9 else title
        n = rng.randint(2, 8)
        i = rng.randrange(max(1, len(source) - 1))
        piece = re.sub(r'[\s"“”「」()（）]', "", source[i:i + n])
        if len(piece) < 2:
            continue
        out.append(piece[::-1] if rng.random() < 0.125 else piece)
    return out


FILTERS = [Filters(), Filters(year=2023), Filters(region="5001"), Filters(kind="news"),
           Filters(issuer="司法局", year=2024), Filters(date_from=dt.date(2023, 1, 1),
                                                      date_to=dt.date(2024, 3, 31))]


def _check(corpus, tokenizer: Tokenizer, piece: str, filters: Filters) -> set[int]:
    db, texts, passing = corpus
    query = f'"{piece}"'
    expected = scan_texts(texts, piece) & passing[filters]
    with db.session() as s:
        found = set(s.scalars(matching_ids(s, query, tokenizer=tokenizer, filters=filters)))
        assert found == expected, (piece, filters)
        assert count_matches(s, query, tokenizer=tokenizer, filters=filters) == len(expected), piece
        # search's page: ranked matches, as many as there are up to the page size
        hits = search(s, query, tokenizer=tokenizer, filters=filters, limit=20)
        assert {h.report_id for h in hits} <= expected and len(hits) == min(20, len(expected))
    by_id = {rid: text for rid, _, text in texts}
    for h in hits:  # the snippet marks the string itself, where the text holds it as typed
        if piece in by_id[h.report_id]:
            assert f"【{piece}】" in h.snippet, (piece, h.snippet)
    return expected


def test_search_equals_a_substring_scan_for_hundreds_of_strings(corpus, tokenizer):
    _, texts, _ = corpus
    pieces = _pieces(texts, 300, seed=3)
    nowhere = 0
    for j, piece in enumerate(pieces):
        _check(corpus, tokenizer, piece, FILTERS[j % len(FILTERS)])
        nowhere += not scan_texts(texts, piece)
    assert nowhere >= 20  # the test also asks for strings that are in no report


@pytest.mark.parametrize("query, must, must_not", [
    # 社区 in one paragraph and 矫正 in another is not 社区矫正
    ("社区矫正", "全年办理社区矫正对象", "桃花源社区"),
    ("复议案", "行政复议案件213件", None),
    ("诉讼案", "行政诉讼案件98件", None),
    ("议案件", "议案件数", None),
    ("pdf", "上传PDF版本", None),  # case folded
    ("2024年度", "２０２４年度", None),  # full width folded
    ("復議", "行政復議", "行政复议案件213件"),  # traditional characters are their own
])
def test_tricky_terms(corpus, tokenizer, query, must, must_not):
    db, texts, _ = corpus
    with db.session() as s:
        got = {h.report_id for h in search(s, query, tokenizer=tokenizer, limit=1000, rank_window=None)}
        assert got == scan(s, query)
    holding = {rid for rid, _, text in texts if must in text}
    assert holding and holding <= got
    if must_not:
        assert any(rid not in got for rid, _, text in texts if must_not in text)


def test_boolean_queries_equal_the_scan(corpus, tokenizer):
    db, _, _ = corpus
    for query in ["社区矫正 OR 复议案", "社区 -矫正", "复议案 NOT 诉讼案", "(社区矫正 OR PDF) 2023年",
                  '"COVID-19" 依法', "行政 复议案 -(社区 OR 平台)", "12 OR 34"]:
        with db.session() as s:
            got = {h.report_id for h in search(s, query, tokenizer=tokenizer, limit=1000,
                                               rank_window=None)}
            assert got == scan(s, query), query
            assert count_matches(s, query, tokenizer=tokenizer) == len(got)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_substring_is_found_exactly(corpus, tokenizer, data):
    _, texts, _ = corpus
    rid, title, text = data.draw(st.sampled_from(texts))
    n = data.draw(st.integers(2, 8))
    i = data.draw(st.integers(0, max(0, len(text) - n)))
    piece = re.sub(r'[\s"“”「」()（）]', "", text[i:i + n])
    if len(piece) < 2:
        return
    if data.draw(st.booleans()):
        piece = piece[::-1]
    _check(corpus, tokenizer, piece, data.draw(st.sampled_from(FILTERS)))
