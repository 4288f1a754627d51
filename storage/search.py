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

Ranking (bm25 on SQLite, ts_rank on PostgreSQL) is done on the RANK_WINDOW (300) most recently
stored matches (rank_window=None ranks all), and only on the query's uncommon words: a word found
in more than half of the reports (行政复议, 法治政府: in nearly every report) tells none of them
apart (bm25 clamps its weight to zero) but is what ranking costs, since bm25 counts the reports
holding each word it weighs. Such words still select reports; a query made only of them lists its
matches newest first, which needs no more of the index than the page shown. Which words are
common is measured on a sample of the index (`refresh_common_words`, after bulk loads, rebuilds
and parse runs) and applies from COMMON_MIN_REPORTS reports on. `count_matches` counts every
match.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import html
import json
import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from pipeline.tokens import Tokenizer
from storage.models import JobState, Report
from storage.query_language import And, Node, Not, Or, QueryError, Term, parse_query

__all__ = [
    "SearchHit", "Filters", "QueryError", "search", "count_matches", "matching_ids",
    "index_report", "index_reports", "remove_from_index", "rebuild_index", "filter_clauses",
    "facet_tokens", "make_snippet", "RANK_WINDOW", "index_rows", "write_index_rows", "optimize_index",
    "index_first", "check_query", "refresh_common_words", "common_words", "COMMON_SHARE",
    "COMMON_MIN_REPORTS", "newest_matching_ids",
]

# bm25 column weights (title, body, sub, facets): a word in the title says most about the report;
# inner words count a little less than whole ones; filter tokens not at all.
_BM25 = (10.0, 1.0, 0.5, 0.0)
# How many of the most recently stored matches are ranked (search's rank_window=0). Ranking
# reads each one's index entry: about 3 us a report in FTS5, 25 us on PostgreSQL (a 26 kB
# tsvector to fetch and decompress); on SQLite, finding the window's matches costs more than
# ranking them (5 ms for 1,000 at 100k reports, 1.5 ms for 300).
RANK_WINDOW = 300
# A word in more than this share of the reports does not rank (see the module's docstring).
COMMON_SHARE = 0.5
# Below this many reports every word ranks: weighing them all costs little, and shares of a few
# reports say nothing about a collection.
COMMON_MIN_REPORTS = 2000
# Reports sampled to measure shares: a share near 50% is then known within about 3 points,
# and such a word has a bm25 weight near zero whichever side it falls.
_COMMON_SAMPLE = 1000
# The common words are measured again once the number of reports has changed by this share.
_COMMON_DRIFT = 0.1
_COMMON_STATE = "search.common_words"
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
    refresh_common_words(session, force=True)


# ------------------------------------------------------------------------------- common words

def refresh_common_words(session: Session, *, force: bool = False,
                         min_reports: int = COMMON_MIN_REPORTS, sample: int = _COMMON_SAMPLE) -> bool:
    """Measure which index words are in more than COMMON_SHARE of the reports, on a random sample
    of *sample* index entries, and keep them (job_state) for `search`. Does nothing unless
    *force* or the number of reports has changed by a tenth since the last measure. Below
    *min_reports* reports no word is common. Returns whether it measured."""
    reports = int(session.scalar(sa.select(sa.func.count()).select_from(Report)) or 0)
    row = session.get(JobState, _COMMON_STATE)
    if row is not None and not force:
        before = int((row.state or {}).get("reports", 0))
        if abs(reports - before) <= _COMMON_DRIFT * before:
            return False
    words: list[str] = []
    sampled = 0
    if reports >= min_reports:
        sampled, counts = _sample_word_counts(session, sample)
        words = sorted(w for w, n in counts.items() if n > COMMON_SHARE * sampled)
    state = {"reports": reports, "sampled": sampled, "share": COMMON_SHARE, "words": words}
    if row is None:
        session.add(JobState(name=_COMMON_STATE, state=state))
    else:
        row.state = state
        row.updated_at = dt.datetime.now(dt.timezone.utc)
    session.flush()
    return True


# A word as FTS5's unicode61 tokenizer sees it (split at punctuation and white space).
_WORD_CHARS = re.compile(r"\w+")


def _sample_word_counts(session: Session, sample: int) -> tuple[int, dict[str, int]]:
    """(entries sampled, in how many of them each word is)."""
    if _dialect(session) == "sqlite":
        # report_fts_docsize (one short row per entry) is FTS5's own table: choosing the sample
        # there reads no texts; each sampled entry is then read by rowid.
        rows = session.execute(sa.text(
            "SELECT title, body, sub, facets FROM report_fts WHERE rowid IN "
            "(SELECT id FROM report_fts_docsize ORDER BY random() LIMIT :k)"), {"k": sample}).all()
        counts: dict[str, int] = {}
        for row in rows:
            # As FTS5's unicode61 tokenizer sees the words: lower case, split at punctuation.
            for word in set(_WORD_CHARS.findall(" ".join(c or "" for c in row).lower())):
                counts[word] = counts.get(word, 0) + 1
        return len(rows), counts
    sampled = int(session.scalar(sa.text(
        "SELECT count(*) FROM (SELECT 1 FROM report_fts LIMIT :k) AS s"), {"k": sample}) or 0)
    rows = session.execute(sa.text(
        "SELECT word, ndoc FROM ts_stat(format('SELECT tsv FROM report_fts WHERE report_id IN "
        "(SELECT report_id FROM report_fts ORDER BY random() LIMIT %s)', CAST(:k AS integer)))"),
        {"k": sample}).all()
    return sampled, {w: int(n) for w, n in rows}


def common_words(session: Session) -> frozenset[str]:
    """The words `search` does not rank on (lower case), as last measured."""
    # Read on every search: the list (a thousand words at 100k reports) is decoded only when
    # it has been measured again since.
    stamp = session.scalar(sa.select(JobState.updated_at).where(JobState.name == _COMMON_STATE))
    if stamp is None:
        return frozenset()
    key = (str(session.get_bind().url), stamp)
    words = _COMMON_CACHE.get(key)
    if words is None:
        state = session.scalar(sa.select(JobState.state).where(JobState.name == _COMMON_STATE))
        words = frozenset((state or {}).get("words", ()))
        if len(_COMMON_CACHE) >= 16:
            _COMMON_CACHE.clear()
        _COMMON_CACHE[key] = words
    return words


_COMMON_CACHE: dict[tuple[str, dt.datetime], frozenset[str]] = {}


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
    date_from, date_to = filters.date_from, filters.date_to
    if date_from and date_to and date_from <= date_to:
        months = _months(date_from, date_to)
        if len(months) <= _MAX_FACET_MONTHS:
            groups.append(months)
            # Whole months need no look-up of the days.
            if date_from.day == 1:
                date_from = None
            if (date_to + dt.timedelta(days=1)).day == 1:
                date_to = None
    rest = Filters(issuer=filters.issuer, date_from=date_from, date_to=date_to, region=region)
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

    def query(self, node: Any, facets: Sequence[Sequence[str]] = (), *, relaxed: bool = False) -> Any:
        """The index query for *node* and the filter tokens. With relaxed=True, phrases are only
        their words, in any order, and negated phrases are left out: a query that needs no
        positions, which is all a GIN index can answer without reading rows."""
        self.relaxed = relaxed
        q = self._node(node)
        if facets:
            q = self._combine("AND", [q, self.facet_query(facets)])
        return q

    def rank_query(self, tokens: Sequence[str]) -> Any:
        """Any of *tokens*: what ranking weighs (each found word adds to the score)."""
        if self.dialect == "sqlite":
            return " OR ".join('"' + t.replace('"', '""') + '"' for t in tokens)
        lexemes = ["'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in tokens]
        return sa.func.to_tsquery(_SIMPLE, " | ".join(lexemes))

    def _node(self, node: Any) -> Any:
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
            return self._combine("OR", [self._node(c) for c in node.items])
        positives = [c for c in node.items if not isinstance(c, Not)]
        if not positives:
            raise QueryError("a query needs at least one word that is not negated")
        q = self._combine("AND", [self._node(c) for c in positives])
        for neg in (c.item for c in node.items if isinstance(c, Not)):
            if not (self.relaxed and _has_phrase(neg)):
                q = self._combine("NOT", [q, self._node(neg)])
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

    def facet_query(self, groups: Sequence[Sequence[str]]) -> Any:
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


def _rank_tokens(node: Any, common: frozenset[str]) -> list[str]:
    """The index tokens of the query's positive words that ranking weighs: all but the common."""
    if isinstance(node, _Word):
        return [t for t in node.tokens if t.lower() not in common]
    if isinstance(node, Not):
        return []
    return list(dict.fromkeys(t for c in node.items for t in _rank_tokens(c, common)))


def _matches(session: Session, plan: _Plan, filters: Filters, window: int | None) -> sa.Select[Any]:
    """The matching reports' ids (`rid`; on PostgreSQL with `tsv`, for ranking), newest first:
    the *window* newest, or all when window is None."""
    compiler = _Compiler(_dialect(session))
    facets, clauses = _split_filters(filters)
    match = compiler.query(plan.tree, facets)
    if compiler.dialect == "sqlite":
        # FTS5 walks the index newest first and checks phrases as it goes: it stops at the window.
        stmt = sa.select(_FTS.c.rowid.label("rid")).where(
            sa.text("report_fts MATCH :match").bindparams(match=match))
        if clauses:  # only then is each candidate looked up in reports
            stmt = stmt.join_from(_FTS, Report, Report.id == _FTS.c.rowid).where(*clauses)
        return stmt if window is None else stmt.order_by(_FTS.c.rowid.desc()).limit(window)
    rid, tsv = _FTS.c.report_id, _FTS.c.tsv
    phrases = _has_phrase(plan.tree)
    # GIN knows no positions: for phrases it finds the reports with the words (exactly, no row
    # read), then each one's vector is read to check the order.
    found = sa.select(rid.label("rid"), tsv).where(
        tsv.op("@@")(compiler.query(plan.tree, facets, relaxed=True) if phrases else match))
    if window is None:
        stmt = found.where(tsv.op("@@")(match)) if phrases else found
        return stmt.join_from(_FTS, Report, Report.id == rid).where(*clauses) if clauses else stmt
    # The fence (OFFSET 0) keeps GIN finding the candidates: the planner would rather walk the
    # primary key newest first and test each row, which it counts as cheap, but each test reads
    # the row's vector (0.6 s for a county). When each candidate still has a test to pass (a
    # phrase's order, a filter on `reports`), they come out newest first, and the tests stop
    # once the window is full: a common phrase reads `window` vectors, not all of them.
    ordered = phrases or bool(clauses)
    candidates = (found.order_by(rid.desc()) if ordered else found).offset(0).subquery("candidates")
    stmt = sa.select(candidates.c.rid, candidates.c.tsv)
    if clauses:
        stmt = stmt.join(Report, Report.id == candidates.c.rid).where(*clauses)
    if phrases:
        stmt = stmt.where(candidates.c.tsv.op("@@")(match))
    return stmt.order_by(candidates.c.rid.desc()).limit(window)


# PostgreSQL looks for the newest N matches (N up to _PROBE_MAX) by testing the newest index
# entries one by one, _PROBE_FACTOR * N at first, then as many more as the matches found so far
# suggest, up to _PROBE_LIMIT * N in all: for a query most reports match it is done after a few
# dozen rows. Each test reads a report's vector (5-10 us), so a query that looks rarer than that
# goes to the GIN index instead, which reads every match's row but no vector.
_PROBE_FACTOR = 10
_PROBE_LIMIT = 60
_PROBE_MAX = 100


def _newest(session: Session, plan: _Plan, filters: Filters, n: int) -> list[int]:
    """The ids of the *n* newest matches, newest first."""
    if _dialect(session) == "postgresql" and n <= _PROBE_MAX:
        found = _probe(session, plan, filters, n)
        if found is not None:
            return found
        facets, clauses = _split_filters(filters)
        if facets:
            # The matches are rare, and every word is common (or this would be ranked): the
            # filters are what is rare. GIN finds the reports passing them, without the words'
            # long lists; the words are tested on those, newest first, until n are found.
            compiler = _Compiler("postgresql")
            inner = sa.select(_FTS.c.report_id.label("rid"), _FTS.c.tsv).where(
                _FTS.c.tsv.op("@@")(compiler.facet_query(facets)))
            if clauses:
                inner = inner.join(Report, Report.id == _FTS.c.report_id).where(*clauses)
            c = inner.order_by(_FTS.c.report_id.desc()).offset(0).subquery("candidates")
            return list(session.execute(
                sa.select(c.c.rid).where(c.c.tsv.op("@@")(compiler.query(plan.tree)))
                .order_by(c.c.rid.desc()).limit(n)).scalars().all())
    return list(session.execute(_matches(session, plan, filters, n)).scalars().all())


def _probe(session: Session, plan: _Plan, filters: Filters, n: int) -> list[int] | None:
    """The *n* newest matches found by walking the newest entries (PostgreSQL), or None when
    the matches look too rare for that."""
    words = _Compiler("postgresql").query(plan.tree)
    clauses = filter_clauses(filters)
    found: list[int] = []
    below, walked, step = None, 0, _PROBE_FACTOR * n
    while True:
        recent = sa.select(_FTS.c.report_id, _FTS.c.tsv)
        if below is not None:
            recent = recent.where(_FTS.c.report_id < below)
        recent = recent.order_by(_FTS.c.report_id.desc()).limit(step).subquery("recent")
        cand = recent
        if clauses:
            # The filters on the reports' own columns first: a vector is read (to test the
            # words) only for a report that passes them.
            cand = (sa.select(recent.c.report_id, recent.c.tsv)
                    .join(Report, Report.id == recent.c.report_id).where(*clauses)
                    .offset(0).subquery("candidates"))
        found += session.execute(sa.select(cand.c.report_id).where(cand.c.tsv.op("@@")(words))
                                 .order_by(cand.c.report_id.desc()).limit(n - len(found))).scalars()
        if len(found) >= n:
            return found
        lowest = session.scalar(sa.select(sa.func.min(recent.c.report_id)))
        if lowest is None:  # the whole index walked
            return found
        walked += step
        if not found:
            return None
        step = int((n - len(found)) * walked / len(found) * 1.5) + 1
        if walked + step > _PROBE_LIMIT * n:
            return None
        below = lowest


@contextlib.contextmanager
def index_first(session: Session) -> Iterator[None]:
    """On PostgreSQL, keep the planner off sequential scans of report_fts for one statement. The
    table itself is small (the vectors live in TOAST), so a scan looks cheap to it, but it reads
    and decompresses every report's vector (150 ms for 5,000 reports, where GIN takes 1 ms)."""
    if _dialect(session) != "postgresql":
        yield
        return
    before = session.execute(sa.text("SELECT current_setting('enable_seqscan'), "
                                     "set_config('enable_seqscan', 'off', true)")).scalar()
    try:
        yield
    finally:
        session.execute(sa.text("SELECT set_config('enable_seqscan', :v, true)"),
                        {"v": "on" if before == "on" else "off"})


def check_query(query: str | None, tokenizer: Tokenizer | None) -> None:
    """Raise QueryError now for a query that cannot run (for callers that stream results)."""
    plan = _plan(query, tokenizer)
    if plan.tree is not None:
        _Compiler("sqlite").query(plan.tree)


def matching_ids(session: Session, query: str | None, *, tokenizer: Tokenizer | None,
                 filters: Filters = Filters()) -> sa.Select[Any]:
    """A SELECT of the ids of every report matching *query* and *filters* (for exports)."""
    plan = _plan(query, tokenizer)
    if plan.tree is None:
        return sa.select(Report.id).where(*filter_clauses(filters))
    return sa.select(_matches(session, plan, filters, None).subquery("matches").c.rid)


def count_matches(session: Session, query: str | None, *, tokenizer: Tokenizer | None,
                  filters: Filters = Filters()) -> int:
    stmt = matching_ids(session, query, tokenizer=tokenizer, filters=filters)
    with index_first(session):
        return int(session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0)


def search(session: Session, query: str, *, tokenizer: Tokenizer, filters: Filters = Filters(),
           limit: int = 20, offset: int = 0, snippet_chars: int = 60,
           mark: tuple[str, str] = ("【", "】"), html_escape: bool = False,
           rank_window: int | None = 0, rank_common: bool = False) -> list[SearchHit]:
    """The best *limit* reports for *query*, ranked on its uncommon words (all its words with
    *rank_common*) among the *rank_window* most recently stored matches (0: the backend's
    RANK_WINDOW, None: all); newest first when every word is common, or with an empty query the
    reports matching *filters*. Raises QueryError for a query that cannot run (only NOT words)."""
    plan = _plan(query, tokenizer)
    cols = [Report.id, Report.title, Report.issuer, Report.report_year, Report.published_at,
            Report.kind, Report.region_code, Report.text]
    if plan.tree is None:
        # Ids first: sorting the matches with their texts would carry every text through the sort.
        ids = session.execute(
            sa.select(Report.id).where(*filter_clauses(filters))
            .order_by(Report.published_at.desc().nulls_last(), Report.id.desc())
            .limit(limit).offset(offset)).scalars().all()
        page = [(i, 0.0) for i in ids]
        found = {r[0]: r for r in session.execute(
            sa.select(*cols).where(Report.id.in_(ids)))} if ids else {}
    else:
        rank = _rank_tokens(plan.tree, frozenset() if rank_common else common_words(session))
        with index_first(session):
            if not rank:
                page = [(i, 0.0) for i in _newest(session, plan, filters, offset + limit)[offset:]]
            else:
                if rank_window == 0:
                    rank_window = RANK_WINDOW
                window = None if rank_window is None else max(rank_window, offset + limit)
                scored = _scores(session, plan, filters, window, rank)
                # Best first; among equals (a match without any ranked word), newest first.
                page = sorted(scored, key=lambda t: (-t[1], -t[0]))[offset:offset + limit]
        # The texts only for the page shown: reading every match's text would dominate the time.
        found = {r[0]: r for r in session.execute(
            sa.select(*cols).where(Report.id.in_([i for i, _ in page])))} if page else {}
    return [SearchHit(report_id=r[0], title=r[1], issuer=r[2], report_year=r[3], published_at=r[4],
                      kind=r[5], region_code=r[6], score=score,
                      snippet=make_snippet(r[7] or "", plan.words, snippet_chars,
                                           mark=mark, html_escape=html_escape))
            for r, score in ((found.get(i), score) for i, score in page) if r is not None]


def _scores(session: Session, plan: _Plan, filters: Filters, window: int | None,
            rank: list[str]) -> list[tuple[int, float]]:
    """(id, score) of the *window* newest matches, scored on the *rank* tokens."""
    compiler = _Compiler(_dialect(session))
    matches = _matches(session, plan, filters, window)
    if compiler.dialect == "postgresql":
        m = matches.subquery("matches")
        return [(int(i), float(score)) for i, score in session.execute(
            sa.select(m.c.rid, sa.func.ts_rank(m.c.tsv, compiler.rank_query(rank))))]
    ids = session.execute(matches).scalars().all()
    if not ids:
        return []
    # bm25 weighs only the ranked words: it counts, for each word it weighs, every report that
    # holds it. The window's ids bound the walk; "+" keeps SQLite from running the match once
    # per id.
    scores = dict(session.execute(sa.text(
        "SELECT rowid, -bm25(report_fts, :w0, :w1, :w2, :w3) FROM report_fts "
        "WHERE report_fts MATCH :rank AND rowid BETWEEN :lo AND :hi "
        "AND +rowid IN (SELECT value FROM json_each(:ids))"),
        {"rank": compiler.rank_query(rank), "lo": min(ids), "hi": max(ids), "ids": json.dumps(ids),
         **{f"w{i}": w for i, w in enumerate(_BM25)}}).all())
    return [(i, float(scores.get(i, 0.0))) for i in ids]


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


# ------------------------------------------------------------------- newest matches (facets)

def newest_matching_ids(session: Session, query: str | None, *, tokenizer: Tokenizer | None,
                        filters: Filters = Filters(), n: int) -> sa.Select[Any]:
    """A SELECT (column `rid`) of the ids of the *n* most recently stored reports matching
    *query* and *filters*: a bounded sample of the matches, for counts that must stay fast at any
    collection size (storage/facets.py)."""
    plan = _plan(query, tokenizer)
    if plan.tree is None:
        return (sa.select(Report.id.label("rid")).where(*filter_clauses(filters))
                .order_by(Report.id.desc()).limit(n))
    return _matches(session, plan, filters, n)
