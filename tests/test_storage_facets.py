"""Facet counts beside a search (storage/facets.py), on SQLite and PostgreSQL: exact below the
limit (the same as counting the matching reports one by one, for every filter and the query),
estimated above it, and the newest reports of a filter found through the pair index's filter
tokens on SQLite as on `reports`."""
from __future__ import annotations

import contextlib
import datetime as dt
from collections import Counter
from typing import Iterator

import pytest
import sqlalchemy as sa

import storage_collection as coll
from conftest import pg_schema
from pipeline.tokens import Tokenizer, make_tokenizer
from storage.db import Database, open_database
from storage.facets import newest_filtered_ids, search_facets
from storage.models import Report
from storage.search import (RANK_WINDOW, Filters, count_matches, filter_clauses, matching_ids,
                            newest_matches, search)


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return make_tokenizer("jieba").load()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def collection(request, tmp_path_factory, tokenizer) -> Iterator[Database]:
    with contextlib.ExitStack() as stack:
        url = (f"sqlite:///{tmp_path_factory.mktemp('facets') / 'facets.db'}"
               if request.param == "sqlite" else stack.enter_context(pg_schema()))
        db = open_database(url)
        stack.callback(db.dispose)
        coll.build(db, tokenizer)
        yield db


def _expected(s, query: str, tokenizer: Tokenizer, filters: Filters) -> dict[str, Counter]:
    """The counts made the slow way: every matching report read and counted in Python."""
    if query:
        ids = set(s.execute(matching_ids(s, query, tokenizer=tokenizer, filters=filters)).scalars())
        rows = s.execute(sa.select(Report.report_year, Report.region_code, Report.kind)
                         .where(Report.id.in_(ids))).all() if ids else []
    else:
        rows = s.execute(sa.select(Report.report_year, Report.region_code, Report.kind)
                         .where(*filter_clauses(filters))).all()
    return {"years": Counter(r[0] for r in rows), "provinces": Counter((r[1] or "")[:2] or None for r in rows),
            "kinds": Counter(r[2] for r in rows), "total": len(rows)}


FILTERS = [
    Filters(),
    Filters(year=2024),
    Filters(region="50"),
    Filters(region="5002"),
    Filters(region="500242"),
    Filters(region="500"),  # not a whole level: checked on reports
    Filters(kind="annual_report"),
    Filters(year=2024, region="50", kind="annual_report"),
    Filters(issuer="司法局", year=2024),
    Filters(date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 12, 31)),
    Filters(region="50", date_from=dt.date(2023, 3, 15)),
    Filters(year=1990),  # nothing
]


@pytest.mark.parametrize("query", ["", "复议", "败诉 OR 庭审", "行政 -府院联动"])
@pytest.mark.parametrize("filters", FILTERS, ids=repr)
def test_facets_are_exact_below_the_limit(collection, tokenizer, query, filters):
    with collection.read_session() as s:
        got = search_facets(s, query, tokenizer=tokenizer, filters=filters, exact_limit=300)
        want = _expected(s, query, tokenizer, filters)
        if query:
            assert got["total"] == count_matches(s, query, tokenizer=tokenizer, filters=filters)
    assert got["estimated"] is False and got["total"] == want["total"]
    assert {f["value"]: f["count"] for f in got["years"]} == dict(want["years"])
    assert {f["code"]: f["count"] for f in got["provinces"]} == dict(want["provinces"])
    assert {f["value"]: f["count"] for f in got["kinds"]} == dict(want["kinds"])
    years = [f["value"] for f in got["years"] if f["value"] is not None]
    assert years == sorted(years, reverse=True)


@pytest.mark.parametrize("filters", FILTERS, ids=repr)
def test_newest_filtered_ids_are_the_newest_matching_reports(collection, filters):
    with collection.read_session() as s:
        want = sorted(s.execute(sa.select(Report.id).where(*filter_clauses(filters))).scalars(), reverse=True)
        for n in (1, 3, 100):
            assert list(s.execute(newest_filtered_ids(s, filters, n)).scalars()) == want[:n]


def test_past_the_limit_counts_are_estimated_from_the_newest_matches(collection, tokenizer):
    with collection.read_session() as s:
        everything = s.scalar(sa.select(sa.func.count()).select_from(Report))
        first, last = s.scalar(sa.select(sa.func.min(Report.id))), s.scalar(sa.select(sa.func.max(Report.id)))
        got = search_facets(s, "", tokenizer=tokenizer, exact_limit=3)
        kinds = Counter(s.execute(sa.select(Report.kind).order_by(Report.id.desc()).limit(3)).scalars())
    assert last - first + 1 == everything  # ids without gaps: the estimate is then exact
    assert got["estimated"] is True and got["total"] == everything
    # Each count: the newest three's, scaled to the whole.
    assert {f["value"]: f["count"] for f in got["kinds"]} == {
        k: round(n * everything / 3) for k, n in kinds.items()}


def test_below_the_limit_is_exact_and_at_it_estimated(collection, tokenizer):
    with collection.read_session() as s:
        everything = s.scalar(sa.select(sa.func.count()).select_from(Report))
        assert search_facets(s, "", tokenizer=tokenizer, exact_limit=everything + 1)["estimated"] is False
        assert search_facets(s, "", tokenizer=tokenizer, exact_limit=everything)["estimated"] is True


PAGE_QUERIES = ["复议", "败诉 OR 庭审", "行政 -府院联动", '"行政复议"', ""]


@pytest.mark.parametrize("query", PAGE_QUERIES)
@pytest.mark.parametrize("filters", [Filters(), Filters(year=2024), Filters(region="50"),
                                     Filters(region="500", kind="annual_report")], ids=repr)
def test_newest_matches_are_the_newest_of_every_match(collection, tokenizer, query, filters):
    with collection.read_session() as s:
        if query:
            every = sorted(s.execute(matching_ids(s, query, tokenizer=tokenizer, filters=filters))
                           .scalars(), reverse=True)
        else:
            every = sorted(s.execute(sa.select(Report.id).where(*filter_clauses(filters))).scalars(),
                           reverse=True)
        for n in (1, 3, 300):
            window = newest_matches(s, query, tokenizer=tokenizer, filters=filters, n=n)
            assert list(window.ids) == every[:n] and window.complete == (len(every) < n)


@pytest.mark.parametrize("query", PAGE_QUERIES)
@pytest.mark.parametrize("offset, exact_limit", [(0, RANK_WINDOW), (2, RANK_WINDOW), (0, 4), (3, 4)])
def test_a_page_looks_its_newest_matches_up_once(collection, tokenizer, query, offset, exact_limit):
    """A search page's window (newest_matches) serves the facets and search(): the same counts
    and hits as each looking the matches up, and no look-up of the index where the window holds
    what search() needs (its newest offset+limit unranked; its rank window on SQLite)."""
    seen: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        seen.append(statement)
    with collection.read_session() as s:
        plain = (search_facets(s, query, tokenizer=tokenizer, exact_limit=exact_limit),
                 search(s, query, tokenizer=tokenizer, limit=3, offset=offset))
        window = newest_matches(s, query, tokenizer=tokenizer, n=exact_limit)
        sa.event.listen(collection.engine, "before_cursor_execute", count)
        try:
            facets = search_facets(s, query, tokenizer=tokenizer, exact_limit=exact_limit,
                                   window=window)
            hits = search(s, query, tokenizer=tokenizer, limit=3, offset=offset, window=window)
        finally:
            sa.event.remove(collection.engine, "before_cursor_execute", count)
    assert (facets, hits) == plain
    ranked = any(h.score for h in hits)
    need = max(RANK_WINDOW, offset + 3) if ranked else offset + 3
    if (len(window.ids) >= need or window.complete) and (not ranked or collection.dialect == "sqlite"):
        assert [q for q in seen if "report_grams" in q or "report_text" in q] == []


def test_a_window_of_another_query_is_refused(collection, tokenizer):
    with collection.read_session() as s:
        window = newest_matches(s, "复议", tokenizer=tokenizer, n=10)
        with pytest.raises(ValueError):
            search(s, "败诉", tokenizer=tokenizer, window=window)
        with pytest.raises(ValueError):
            search_facets(s, "复议", tokenizer=tokenizer, filters=Filters(year=2024), window=window)
