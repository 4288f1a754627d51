"""Full-text search over the reports: the index (kept in step by storage/reports.py), the query
engine and snippets.

The index (`report_fts`, migration 0002) holds, per report, jieba's words in text order (title and
body), the dictionary words inside them (`sub`: 复议 inside 行政复议) and filter tokens (`facets`:
y2024, r50, r5001, r500112, kannualreport). On SQLite it is an FTS5 table (rowid = report id,
ranked by bm25); on PostgreSQL one tsvector('simple') per report with a GIN index (ts_rank).

A query word is cut with the same tokenizer: a word it splits (府院联动 -> 府/院/联动) needs all its
words, a "quoted phrase" needs them in a row (checked by position in the index, never by reading
the texts). Filters on year, kind, region prefix and publication month are index tokens too, so
the index intersects them with the words instead of every match being looked up in `reports`.
Ranking reads each candidate's index entry, so it is done on the RANK_WINDOW most recently
stored matches (1000 on SQLite, 300 on PostgreSQL; rank_window=None ranks all): a query that
matches tens of thousands of reports (行政复议 is in nearly every one) is answered in
milliseconds, and `count_matches` still counts them all.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import html
import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from pipeline.tokens import Tokenizer
from storage.models import Report
from storage.query_language import And, Node, Not, Or, QueryError, Term, parse_query

__all__ = [
    "SearchHit", "Filters", "QueryError", "search", "count_matches", "matching_ids",
    "index_report", "index_reports", "remove_from_index", "rebuild_index", "filter_clauses",
    "facet_tokens", "make_snippet", "RANK_WINDOW", "index_rows", "write_index_rows", "optimize_index",
    "index_first",
]

# bm25 column weights (title, body, sub, facets): a word in the title says most about the report;
# inner words count a little less than whole ones; filter tokens not at all.
_BM25 = (10.0, 1.0, 0.5, 0.0)
# How many of the most recently stored matches are ranked (search's rank_window=0). Ranking
# reads each one's index entry: about 3 us a report in FTS5, 25 us on PostgreSQL (a 26 kB
# tsvector to fetch and decompress), so PostgreSQL ranks fewer to stay within 20 ms.
RANK_WINDOW = {"sqlite": 1000, "postgresql": 300}
# Division-code prefix lengths that are index tokens: province, city, county, township, village.
_REGION_LEVELS = (2, 4, 6, 9, 12)
_SIMPLE = sa.literal_column("'simple'::regconfig")
# A phrase's last word of at most this many characters may be the start of a longer word.
_PREFIX_MAX_CHARS = 2
_FTS = sa.table("report_fts", sa.column("rowid", sa.Integer), sa.column("report_id", sa.Integer),
                sa.column("tsv", postgresql.TSVECTOR))


@dataclass(frozen=True)
class SearchHit:
    report_id: int
    title: str | None
    issuer: str | None
    report_year: int | None
    published_at: dt.date | None
    kind: str
    region_code: str | None
    snippet: str
    score: float


@dataclass(frozen=True)
class Filters:
    """Every set field must hold. region is a division-code prefix: 50 (a province), 5001 (a city),
    500117 (a county). issuer matches any part of the issuer's name."""

    year: int | None = None
    issuer: str | None = None
    region: str | None = None
    kind: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


# --------------------------------------------------------------------------------------- index

def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def facet_tokens(report_year: int | None, region_code: str | None, kind: str | None,
                 published_at: dt.date | None = None) -> list[str]:
    """The filter tokens of a report: y2024, r50 r5001 r500112, kannualreport, m202503 (the
    month it was published)."""
    out = [f"y{report_year}"] if report_year is not None else []
    if published_at is not None:
        out.append(f"m{published_at:%Y%m}")
    code = (region_code or "").strip()
    if code.isdigit():
        out += [f"r{code[:n]}" for n in _REGION_LEVELS if n <= len(code)]
    if kind:
        out.append("k" + re.sub(r"[^0-9a-z]", "", kind.lower()))
    return out


def index_rows(reports: Iterable[Any], tokenizer: Tokenizer) -> list[dict[str, Any]]:
    """What the index stores for each report (objects or rows with id, title, text, report_year,
    region_code and kind attributes): the tokenizing half of indexing, without the database, so
    that a bulk load can run it in other processes."""
    values = []
    for r in reports:
        title_words, title_inner = tokenizer.index_text(r.title or "")
        body, inner = tokenizer.index_text(r.text or "")
        # Title inner words go after its words, so that phrases in the title still match.
        values.append({"id": r.id, "title": f"{title_words} {title_inner}", "body": body,
                       "sub": inner, "facets": " ".join(facet_tokens(
                           r.report_year, r.region_code, r.kind, getattr(r, "published_at", None)))})
    return values


def write_index_rows(session: Session, values: list[dict[str, Any]]) -> int:
    """Write rows made by index_rows, replacing those reports' entries."""
    if not values:
        return 0
    if _dialect(session) == "sqlite":
        session.execute(sa.text("DELETE FROM report_fts WHERE rowid = :id"), [{"id": v["id"]} for v in values])
        session.execute(sa.text("INSERT INTO report_fts(rowid, title, body, sub, facets) "
                                "VALUES (:id, :title, :body, :sub, :facets)"), values)
    else:
        # Title words weigh most (A). Inner words and filter tokens keep their positions too:
        # a prefix (新:*) that meets a stripped lexeme fails every phrase it is in.
        session.execute(sa.text(
            "INSERT INTO report_fts(report_id, tsv) VALUES (:id, "
            "setweight(to_tsvector('simple', :title), 'A') || to_tsvector('simple', :body) || "
            "to_tsvector('simple', :sub || ' ' || :facets)) "
            "ON CONFLICT (report_id) DO UPDATE SET tsv = excluded.tsv"), values)
    return len(values)


def index_reports(session: Session, reports: Iterable[Any], tokenizer: Tokenizer) -> int:
    """(Re)index reports (see index_rows); returns how many."""
    return write_index_rows(session, index_rows(reports, tokenizer))


@dataclass(frozen=True)
class _Entry:
    id: int
    title: str | None
    text: str
    report_year: int | None
    region_code: str | None
    kind: str | None
    published_at: dt.date | None


def index_report(session: Session, report_id: int, title: str | None, text: str,
                 tokenizer: Tokenizer, *, report_year: int | None = None,
                 region_code: str | None = None, kind: str | None = None,
                 published_at: dt.date | None = None) -> None:
    """Put one report in the index (replacing what was there); give the fields that filters use."""
    index_reports(session, [_Entry(report_id, title, text, report_year, region_code, kind,
                                   published_at)], tokenizer)


def remove_from_index(session: Session, report_id: int) -> None:
    key = "rowid" if _dialect(session) == "sqlite" else "report_id"
    session.execute(sa.text(f"DELETE FROM report_fts WHERE {key} = :id"), {"id": report_id})


def rebuild_index(session: Session, tokenizer: Tokenizer, batch_size: int = 500) -> int:
    """Empty the index and index every report again, in batches of *batch_size* (memory stays
    flat). Needed after changing tokenizer backend or dictionary. Returns the number indexed."""
    session.execute(sa.text("DELETE FROM report_fts"))
    done, last_id = 0, 0
    while True:
        rows = session.execute(
            sa.select(Report.id, Report.title, Report.text, Report.report_year, Report.region_code,
                      Report.kind, Report.published_at).where(Report.id > last_id).order_by(Report.id).limit(batch_size)).all()
        if not rows:
            break
        done += index_reports(session, rows, tokenizer)
        last_id = rows[-1].id
    optimize_index(session)
    return done


def optimize_index(session: Session) -> None:
    """After a bulk load: merge FTS5's segments into one (SQLite); refresh statistics (PostgreSQL)."""
    if _dialect(session) == "sqlite":
        session.execute(sa.text("INSERT INTO report_fts(report_fts) VALUES ('optimize')"))
    else:
        session.execute(sa.text("ANALYZE report_fts"))


# ------------------------------------------------------------------------------------- queries

def filter_clauses(filters: Filters) -> list[sa.ColumnElement[bool]]:
    """SQL conditions on `reports` for *filters* (also used by exports and listings)."""
    out: list[sa.ColumnElement[bool]] = []
    if filters.year is not None:
        out.append(Report.report_year == filters.year)
    if filters.issuer:
        out.append(Report.issuer.contains(filters.issuer, autoescape=True))
    if filters.region:
        out.append(Report.region_code.startswith(filters.region, autoescape=True))
    if filters.kind:
        out.append(Report.kind == filters.kind)
    if filters.date_from is not None:
        out.append(Report.published_at >= filters.date_from)
    if filters.date_to is not None:
        out.append(Report.published_at <= filters.date_to)
    return out


# A date range of at most this many months becomes index tokens (one per month, any of them).
_MAX_FACET_MONTHS = 60


def _months(first: dt.date, last: dt.date) -> list[str]:
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month) and len(out) <= _MAX_FACET_MONTHS:
        out.append(f"m{y}{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _split_filters(filters: Filters) -> tuple[list[list[str]], list[sa.ColumnElement[bool]]]:
    """(groups of index tokens, one of each group required; SQL conditions). Year, kind,
    whole-level region prefixes and closed date ranges are index tokens, so the index narrows
    the candidates; issuer, odd region prefixes and exact days are checked on `reports`."""
    groups = [[t] for t in facet_tokens(filters.year, None, filters.kind)]
    region = filters.region or None
    if region and region.isdigit() and len(region) in _REGION_LEVELS:
        groups.append([f"r{region}"])
        region = None
    if filters.date_from and filters.date_to and filters.date_from <= filters.date_to:
        months = _months(filters.date_from, filters.date_to)
        if len(months) <= _MAX_FACET_MONTHS:
            groups.append(months)
    rest = Filters(issuer=filters.issuer, date_from=filters.date_from, date_to=filters.date_to,
                   region=region)
    return groups, filter_clauses(rest)


@dataclass(frozen=True)
class _Word:
    """A query word as index tokens. A quoted phrase needs them in a row; a word the tokenizer
    splits (府院联动 -> 府/院/联动) needs them all, anywhere."""

    tokens: tuple[str, ...]
    text: str
    phrase: bool
    # For a phrase: longer words its first token may end in the text (诉讼 -> 行政诉讼).
    starts: tuple[str, ...] = ()


def _resolve(node: Node | None, tokenizer: Tokenizer) -> Any:
    """The tree with each Term replaced by its _Word; words with no token (punctuation) vanish."""
    if node is None:
        return None
    if isinstance(node, Term):
        tokens = tuple(tokenizer.query_tokens(node.text))
        if not tokens:
            return None
        phrase = node.quoted and len(tokens) > 1
        starts = tokenizer.words_ending_with(tokens[0]) if phrase and len(tokens[0]) > 1 else ()
        return _Word(tokens, node.text, phrase, starts)
    if isinstance(node, Not):
        inner = _resolve(node.item, tokenizer)
        return None if inner is None else Not(inner)
    items = tuple(i for i in (_resolve(c, tokenizer) for c in node.items) if i is not None)
    if not items:
        return None
    return items[0] if len(items) == 1 else type(node)(items)


class _Compiler:
    """The tree as an FTS5 MATCH string (SQLite) or a tsquery expression (PostgreSQL).

    A phrase matches where its tokens are consecutive words in the index; its last token may be
    the start of a longer word (府院联动 in 府/院/联动机制), and its first the end of one: the
    dictionary's words ending with it are tried too (诉讼案件 in 行政诉讼/案件). A last single
    character of a split word is a word start too (行政复议案 -> 行政复议/案, in 行政复议/案件)."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.relaxed = False

    def query(self, node: Any, facets: Sequence[Sequence[str]] = (), *, ranking: bool = False,
              relaxed: bool = False) -> Any:
        """The index query for *node* and the filter tokens. With ranking=True, without NOT parts
        and filters (ts_rank scores a negated query as 0). With relaxed=True, phrases are only
        their words, in any order, and negated phrases are left out: a query that needs no
        positions, which is all a GIN index can answer without reading rows."""
        self.relaxed = relaxed
        q = self._node(node, ranking)
        if facets and not ranking:
            q = self._combine("AND", [q, self._facets(facets)])
        return q

    def _node(self, node: Any, ranking: bool) -> Any:
        if isinstance(node, _Word):
            single_last = len(node.tokens) > 1 and len(node.tokens[-1]) == 1
            if node.phrase and not self.relaxed:
                # A short last word is often the start of a longer one (联动 of 联动机制); looking
                # up a prefix merges the lists of every word it starts, so longer ones are exact.
                prefix = len(node.tokens[-1]) <= _PREFIX_MAX_CHARS
                rest = node.tokens[1:]
                return self._combine("OR", [self._tokens((first, *rest), phrase=True, prefix_last=prefix)
                                            for first in (node.tokens[0], *node.starts)])
            # Relaxed, a phrase's words are found inside longer words anyway (index `sub`).
            return self._tokens(node.tokens, phrase=False, prefix_last=single_last)
        if isinstance(node, Not):
            raise QueryError("NOT needs a word to take away from, as in 复议 -诉讼")
        if isinstance(node, Or):
            return self._combine("OR", [self._node(c, ranking) for c in node.items])
        positives = [c for c in node.items if not isinstance(c, Not)]
        if not positives:
            raise QueryError("a query needs at least one word that is not negated")
        q = self._combine("AND", [self._node(c, ranking) for c in positives])
        if not ranking:
            for neg in (c.item for c in node.items if isinstance(c, Not)):
                if not (self.relaxed and _has_phrase(neg)):
                    q = self._combine("NOT", [q, self._node(neg, ranking)])
        return q

    def _tokens(self, tokens: Sequence[str], *, phrase: bool, prefix_last: bool) -> Any:
        """All *tokens* (in a row if *phrase*); the last one as a word start if *prefix_last*."""
        tokens = list(tokens) if phrase else list(dict.fromkeys(tokens))
        if self.dialect == "sqlite":
            star = "*" if prefix_last else ""
            if phrase:
                return '"' + " ".join(tokens).replace('"', '""') + '"' + star
            quoted = ['"' + t.replace('"', '""') + '"' for t in tokens]
            quoted[-1] += star
            return self._combine("AND", quoted)
        if not phrase and not prefix_last:
            return sa.func.plainto_tsquery(_SIMPLE, " ".join(tokens))
        lexemes = ["'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in tokens]
        if prefix_last:
            lexemes[-1] += ":*"
        return sa.func.to_tsquery(_SIMPLE, (" <-> " if phrase else " & ").join(lexemes))

    def _facets(self, groups: Sequence[Sequence[str]]) -> Any:
        if self.dialect == "sqlite":
            return "facets : (" + " AND ".join(
                "(" + " OR ".join(f'"{t}"' for t in group) + ")" for group in groups) + ")"
        return self._combine("AND", [self._combine("OR", [sa.func.plainto_tsquery(_SIMPLE, t)
                                                          for t in group]) for group in groups])

    def _combine(self, op: str, parts: list[Any]) -> Any:
        if len(parts) == 1:
            return parts[0]
        if self.dialect == "sqlite":
            return "(" + f" {op} ".join(parts) + ")"
        if op == "NOT":
            return sa.func.tsquery_and(parts[0], sa.func.tsquery_not(parts[1]))
        fn = sa.func.tsquery_and if op == "AND" else sa.func.tsquery_or
        q = parts[0]
        for part in parts[1:]:
            q = fn(q, part)
        return q


@dataclass(frozen=True)
class _Plan:
    tree: Any  # the resolved tree, None for "no words"
    words: tuple[str, ...]  # what to mark in snippets


def _plan(query: str | None, tokenizer: Tokenizer | None) -> _Plan:
    node = parse_query(query or "")
    if node is None:
        return _Plan(None, ())
    if tokenizer is None:
        raise ValueError("a text query needs the tokenizer the index was built with")
    tree = _resolve(node, tokenizer)
    return _Plan(tree, tuple(_highlights(tree)) if tree is not None else ())


def _highlights(node: Any) -> list[str]:
    if isinstance(node, _Word):
        return [node.text] if node.phrase else [node.text, *node.tokens]
    if isinstance(node, Not):
        return []
    return [w for c in node.items for w in _highlights(c)]


def _has_phrase(node: Any) -> bool:
    if isinstance(node, _Word):
        return node.phrase
    if isinstance(node, Not):
        return _has_phrase(node.item)
    return any(_has_phrase(c) for c in node.items)


def _matches(session: Session, plan: _Plan, filters: Filters, window: int | None,
             *, rank: bool = True, min_rowid: int | None = None) -> Any:
    """A subquery of the matching reports' ids (`rid`), plus (with *rank*) `score` (SQLite) or
    `tsv` (PostgreSQL) for ranking: the *window* highest ids, or all when window is None.
    *min_rowid* bounds the phrase check on SQLite (see _phrase_bound)."""
    compiler = _Compiler(_dialect(session))
    facets, clauses = _split_filters(filters)
    match = compiler.query(plan.tree, facets)
    phrases = _has_phrase(plan.tree)
    if phrases:
        # Phrases need positions: the index query without them finds the candidates (and on
        # SQLite ranks them: bm25 would otherwise scan every report for each phrase's frequency).
        relaxed = compiler.query(plan.tree, facets, relaxed=True)
    if compiler.dialect == "sqlite":
        rid = _FTS.c.rowid
        extra = [(-sa.func.bm25(sa.literal_column("report_fts"), *_BM25)).label("score")] if rank else []
        cond = sa.text("report_fts MATCH :match").bindparams(match=relaxed if phrases else match)
        if phrases:
            # "+" keeps SQLite from handing the id list to FTS5 as a lookup (it would then run
            # the whole query once per id).
            bound = "" if min_rowid is None else " AND x.rowid >= :lo"
            phrase_set = sa.text("+report_fts.rowid IN (SELECT x.rowid FROM report_fts AS x "
                                 f"WHERE x.report_fts MATCH :full{bound})").bindparams(full=match)
            if min_rowid is not None:
                phrase_set = phrase_set.bindparams(lo=min_rowid)
            cond = sa.and_(cond, phrase_set)
    else:
        rid = _FTS.c.report_id
        extra = [_FTS.c.tsv]  # needed by the phrase check even when not ranking
        # GIN knows no positions: for phrases it finds the reports with the words (exactly, no
        # row read), then each one's vector is read to check the order, newest first and only
        # until the window is full: a common phrase reads `window` vectors, not all of them.
        cond = _FTS.c.tsv.op("@@")(relaxed if phrases else match)
        full = match
    stmt = sa.select(rid.label("rid"), *extra).where(cond)
    if clauses:  # only then is each candidate looked up in reports
        stmt = stmt.join_from(_FTS, Report, Report.id == rid).where(*clauses)
    if compiler.dialect == "postgresql" and phrases:
        if window is None:
            return stmt.where(_FTS.c.tsv.op("@@")(full)).subquery("matches")
        # OFFSET 0 keeps PostgreSQL from merging the two levels (and checking every candidate).
        candidates = stmt.order_by(rid.desc()).offset(0).subquery("candidates")
        return (sa.select(candidates.c.rid, candidates.c.tsv)
                .where(candidates.c.tsv.op("@@")(full)).limit(window).subquery("matches"))
    if window is not None:
        stmt = stmt.order_by(rid.desc()).limit(window)
    return stmt.subquery("matches")


# On SQLite the phrase check runs over the newest this-many-times-the-window candidates first.
_PHRASE_SPAN = 4


def _phrase_bound(session: Session, plan: _Plan, filters: Filters, window: int) -> int | None:
    """The lowest id among the newest `_PHRASE_SPAN * window` candidates of a phrase query
    (SQLite), or None when there are fewer. FTS5 checks positions phrase by phrase over every
    candidate before the outer query can stop; bounded by id, it checks only the newest ones,
    which are all the window can hold when phrases are not rare among them."""
    if _dialect(session) != "sqlite" or not _has_phrase(plan.tree):
        return None
    compiler = _Compiler("sqlite")
    facets, _ = _split_filters(filters)
    relaxed = compiler.query(plan.tree, facets, relaxed=True)
    ids = session.execute(sa.text(
        "SELECT rowid FROM report_fts WHERE report_fts MATCH :q ORDER BY rowid DESC LIMIT :n"),
        {"q": relaxed, "n": _PHRASE_SPAN * window}).scalars().all()
    return ids[-1] if len(ids) == _PHRASE_SPAN * window else None


@contextlib.contextmanager
def index_first(session: Session) -> Iterator[None]:
    """On PostgreSQL, keep the planner off sequential scans of report_fts for one statement. The
    table itself is small (the vectors live in TOAST), so a scan looks cheap to it, but it reads
    and decompresses every report's vector (150 ms for 5,000 reports, where GIN takes 1 ms)."""
    if _dialect(session) != "postgresql":
        yield
        return
    before = session.execute(sa.text("SELECT current_setting('enable_seqscan')")).scalar()
    session.execute(sa.text("SET LOCAL enable_seqscan = off"))
    try:
        yield
    finally:
        session.execute(sa.text(f"SET LOCAL enable_seqscan = {'on' if before == 'on' else 'off'}"))


def matching_ids(session: Session, query: str | None, *, tokenizer: Tokenizer | None,
                 filters: Filters = Filters()) -> sa.Select[Any]:
    """A SELECT of the ids of every report matching *query* and *filters* (for exports)."""
    plan = _plan(query, tokenizer)
    if plan.tree is None:
        return sa.select(Report.id).where(*filter_clauses(filters))
    return sa.select(_matches(session, plan, filters, None, rank=False).c.rid)


def count_matches(session: Session, query: str | None, *, tokenizer: Tokenizer | None,
                  filters: Filters = Filters()) -> int:
    stmt = matching_ids(session, query, tokenizer=tokenizer, filters=filters)
    with index_first(session):
        return int(session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0)


def search(session: Session, query: str, *, tokenizer: Tokenizer, filters: Filters = Filters(),
           limit: int = 20, offset: int = 0, snippet_chars: int = 60,
           mark: tuple[str, str] = ("【", "】"), html_escape: bool = False,
           rank_window: int | None = 0) -> list[SearchHit]:
    """The best *limit* reports for *query*, ranked among the *rank_window* most recently stored
    matches (0: the backend's RANK_WINDOW, None: all), or with an empty query the reports
    matching *filters*, newest first. Raises QueryError for a query that cannot run (only NOT
    words)."""
    plan = _plan(query, tokenizer)
    cols = [Report.id, Report.title, Report.issuer, Report.report_year, Report.published_at,
            Report.kind, Report.region_code]
    bound = window = None
    if plan.tree is None:
        stmt = (sa.select(*cols, sa.literal(0.0)).where(*filter_clauses(filters))
                .order_by(Report.published_at.desc().nulls_last(), Report.id.desc()))
    else:
        if rank_window == 0:
            rank_window = RANK_WINDOW.get(_dialect(session), 1000)
        window = None if rank_window is None else max(rank_window, offset + limit)
        bound = _phrase_bound(session, plan, filters, window) if window else None
        stmt = _ranked(session, plan, filters, window, bound, cols)
    with index_first(session):
        rows = session.execute(stmt.limit(limit).offset(offset)).all()
        if bound is not None and len(rows) < limit:  # phrases were rare among the newest: all
            rows = session.execute(_ranked(session, plan, filters, window, None, cols)
                                   .limit(limit).offset(offset)).all()
    # The texts only for the page shown: reading every match's text would dominate the time.
    texts = dict(session.execute(
        sa.select(Report.id, Report.text).where(Report.id.in_([r[0] for r in rows]))).all()) if rows else {}
    return [SearchHit(report_id=r[0], title=r[1], issuer=r[2], report_year=r[3], published_at=r[4],
                      kind=r[5], region_code=r[6], score=float(r[7]),
                      snippet=make_snippet(texts.get(r[0], ""), plan.words, snippet_chars,
                                           mark=mark, html_escape=html_escape))
            for r in rows]


def _ranked(session: Session, plan: _Plan, filters: Filters, window: int | None,
            bound: int | None, cols: list[Any]) -> sa.Select[Any]:
    m = _matches(session, plan, filters, window, min_rowid=bound)
    if _dialect(session) == "sqlite":
        score: Any = m.c.score
    else:
        score = sa.func.ts_rank(m.c.tsv, _Compiler("postgresql").query(plan.tree, ranking=True))
    return (sa.select(*cols, score).select_from(m.join(Report, Report.id == m.c.rid))
            .order_by(score.desc(), Report.id))


def make_snippet(text: str, words: Sequence[str], chars: int = 60, *,
                 mark: tuple[str, str] = ("【", "】"), html_escape: bool = False) -> str:
    """About *chars* characters of *text* around the first of *words* found, each occurrence
    marked. Earlier words win: pass whole query words before their parts."""
    found = [i for i in (text.find(w) for w in words if w) if i >= 0]
    first = found[0] if found else 0
    # Only the neighbourhood is cleaned (white space folded): the whole text is long.
    before = re.sub(r"\s+", " ", text[max(0, first - chars):first]).lstrip()
    raw_after = text[first:first + 2 * chars]
    after = re.sub(r"\s+", " ", raw_after)
    lead = before[max(0, len(before) - chars // 4):] if chars // 4 else ""
    window = (lead + after)[:chars].strip()
    more_before = bool(before[:len(before) - len(lead)].strip()) or bool(text[:max(0, first - chars)].strip())
    more_after = bool((lead + after)[chars:].strip()) or bool(text[first + len(raw_after):].strip())
    esc = html.escape if html_escape else (lambda s: s)
    pieces: list[str] = []
    marked = sorted({w for w in words if w}, key=len, reverse=True)
    pos = 0
    if marked:
        for m in re.finditer("|".join(re.escape(w) for w in marked), window):
            pieces.append(esc(window[pos:m.start()]) + mark[0] + esc(m.group()) + mark[1])
            pos = m.end()
    pieces.append(esc(window[pos:]))
    return ("…" if more_before else "") + "".join(pieces) + ("…" if more_after else "")
