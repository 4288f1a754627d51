"""Search over the reports: the indexes (kept in step by storage/reports.py), the query engine and
snippets.

What a query matches is exact (storage/grams.py): a term matches a report where its characters
appear together and in that order in the folded title or text, as a substring scan would say,
whatever the word tokenizer made of them (复议案 in 行政复议案件; never 社区 in one paragraph and
矫正 in another for 社区矫正). Spaces separate terms (AND); OR, NOT / -term and parentheses keep
their meaning; "quotes" keep a term with spaces or query syntax in it (storage/query_language.py).
Filters on year, kind, region prefix and publication month are tokens of the pair index on
SQLite, so the index intersects them with the terms; other filters are checked on `reports`.

Ranking uses the word index (`report_fts`, migration 0002): per report, jieba's words in text
order (title and body), the dictionary words inside them (`sub`) and the filter tokens
(`facets`). On SQLite an FTS5 table ranked by bm25, on PostgreSQL a tsvector ranked by ts_rank.
Ranking is done on the RANK_WINDOW (300; PG_RANK_WINDOW, 100, on PostgreSQL) most recently stored
matches (rank_window=None ranks all); on PostgreSQL, where a match that the pairs do not decide
costs a text read, on the most recent candidates, whose texts are then read best first only until
the page is full (every hit shown matches exactly). Only the query's uncommon words rank: a
word found in more than half of the reports (行政复议, 法治政府: in nearly every report) tells
none of them apart (bm25 clamps its weight to zero) but is what ranking costs. A query made only of such words lists its matches newest first.
Which words are common is measured on a sample of the index (`refresh_common_words`, after bulk
loads, rebuilds and parse runs) and applies from COMMON_MIN_REPORTS reports on. `count_matches`
counts every match; `newest_matches` finds the newest few once, for a search page whose counts
(storage/facets.py) and hits (search's `window`) both start from them.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import html
import json
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.tokens import Tokenizer
from storage import grams
from storage.models import JobState, Report
from storage.query_language import And, Node, Not, Or, QueryError, Term, parse_query

__all__ = [
    "SearchHit", "Filters", "QueryError", "search", "count_matches", "matching_ids",
    "index_report", "index_reports", "remove_from_index", "rebuild_index", "filter_clauses",
    "facet_tokens", "make_snippet", "RANK_WINDOW", "PG_RANK_WINDOW", "index_rows", "write_index_rows", "optimize_index",
    "bulk_indexing", "begin_bulk_indexing", "end_bulk_indexing",
    "index_first", "check_query", "refresh_common_words", "common_words", "COMMON_SHARE",
    "COMMON_MIN_REPORTS", "MatchWindow", "newest_matches", "newest_filtered_ids",
]

# bm25 column weights (title, body, sub, facets): a word in the title says most about the report;
# inner words count a little less than whole ones; filter tokens not at all.
_BM25 = (10.0, 1.0, 0.5, 0.0)
# How many of the most recently stored matches are ranked (search's rank_window=0). Ranking
# reads each one's index entry: about 3 us a report in FTS5, 25 us on PostgreSQL (a 26 kB
# tsvector to fetch and decompress); on SQLite, finding the window's matches costs more than
# ranking them (5 ms for 1,000 at 100k reports, 1.5 ms for 300).
RANK_WINDOW = 300
# PostgreSQL ranks fewer: its 25 us a report is most of a ranked query's time there.
PG_RANK_WINDOW = 100
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


def index_rows(reports: Iterable[Any], tokenizer: Tokenizer,
               dialect: str | None = None) -> list[dict[str, Any]]:
    """What the index stores for each report (objects or rows with id, title, text, report_year,
    region_code and kind attributes): the tokenizing half of indexing, without the database, so
    that a bulk load can run it in other processes. With the *dialect* it will be written to,
    the exact index's pair strings are made here too (else by the writer)."""
    values = []
    for r in reports:
        title_words, title_inner = tokenizer.index_text(r.title or "")
        body, inner = tokenizer.index_text(r.text or "")
        # Title inner words go after its words, so that phrases in the title still match.
        facets = facet_tokens(r.report_year, r.region_code, r.kind, getattr(r, "published_at", None))
        values.append({"id": r.id, "title": f"{title_words} {title_inner}", "body": body,
                       "sub": inner, "facets": " ".join(facets),
                       # the exact index (storage/grams.py): folded texts, filter tokens
                       "gtitle": grams.fold(r.title or ""), "gbody": grams.fold(r.text or ""),
                       "gfacets": facets})
        if dialect is not None:
            values[-1]["gpayload"] = grams.payload(dialect, values[-1]["gtitle"], values[-1]["gbody"])
    return values


def write_index_rows(session: Session, values: list[dict[str, Any]]) -> int:
    """Write rows made by index_rows, replacing those reports' entries."""
    if not values:
        return 0
    grams.write(session, _dialect(session), grams.rows_for(values))
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
    grams.remove(session, _dialect(session), [report_id])
    session.execute(sa.text(f"DELETE FROM report_fts WHERE {key} = :id"), {"id": report_id})


# FTS5's merge settings while many reports are indexed at once (bulk_indexing), and its defaults.
# Each flushed segment is merged with 15 others of its level instead of 3: every entry is
# rewritten about half as many times (log16 against log4 of the segments) and 'optimize' merges
# what is left once at the end.
_BULK_FTS5 = {"automerge": 16, "crisismerge": 64}
_DEFAULT_FTS5 = {"automerge": 4, "crisismerge": 16}
# PostgreSQL's GIN indexes of the two index tables: built once from sorted entries at the end of
# a bulk load (many times faster than thousands of entries inserted per report).
_PG_GIN = {"ix_report_fts_tsv": "report_fts USING gin (tsv)",
           "ix_report_text_grams": "report_text USING gin (grams)"}


@contextlib.contextmanager
def bulk_indexing(session: Session) -> Iterator[None]:
    """Index many reports at once (reindex, a bulk load) in this session, then optimize. On
    SQLite FTS5 merges its segments 16 at a time meanwhile. On PostgreSQL the GIN indexes are
    dropped and built again at the end, in the same transaction: until it commits, searches
    wait. All of it is one transaction: a failure rolls the settings back with the rest."""
    begin_bulk_indexing(session)
    yield
    end_bulk_indexing(session)


def begin_bulk_indexing(session: Session) -> None:
    """bulk_indexing's first half, for a load that writes in transactions of its own (each
    batch committed): end_bulk_indexing must follow, whatever happens."""
    if _dialect(session) == "sqlite":
        _fts5_config(session, _BULK_FTS5)
    else:
        for name in _PG_GIN:
            session.execute(sa.text(f"DROP INDEX IF EXISTS {name}"))


def end_bulk_indexing(session: Session) -> None:
    """Back to the usual index settings (and indexes), then optimize."""
    if _dialect(session) == "sqlite":
        _fts5_config(session, _DEFAULT_FTS5)
    else:
        session.execute(sa.text("SET LOCAL maintenance_work_mem = '512MB'"))
        for name, what in _PG_GIN.items():
            session.execute(sa.text(f"CREATE INDEX IF NOT EXISTS {name} ON {what}"))
    optimize_index(session)


def _fts5_config(session: Session, values: dict[str, int]) -> None:
    for table in ("report_fts", "report_grams"):
        for key, value in values.items():
            session.execute(sa.text(f"INSERT INTO {table}({table}, rank) VALUES (:k, :v)"),
                            {"k": key, "v": value})


def rebuild_index(session: Session, tokenizer: Tokenizer, batch_size: int = 500) -> int:
    """Empty the index and index every report again, in batches of *batch_size* (memory stays
    flat). Needed after changing tokenizer backend or dictionary. Returns the number indexed.
    On PostgreSQL searches wait until it is done (see bulk_indexing)."""
    session.execute(sa.text("DELETE FROM report_fts"))
    grams.clear(session, _dialect(session))
    with bulk_indexing(session):
        done = _index_every_report(session, tokenizer, batch_size)
    return done


def _index_every_report(session: Session, tokenizer: Tokenizer, batch_size: int) -> int:
    done, last_id = 0, 0
    while True:
        rows = session.execute(
            sa.select(Report.id, Report.title, Report.text, Report.report_year, Report.region_code,
                      Report.kind, Report.published_at).where(Report.id > last_id).order_by(Report.id).limit(batch_size)).all()
        if not rows:
            break
        done += index_reports(session, rows, tokenizer)
        last_id = rows[-1].id
    return done


def optimize_index(session: Session) -> None:
    """After a bulk load: merge FTS5's segments into one (SQLite); refresh statistics (PostgreSQL)."""
    if _dialect(session) == "sqlite":
        session.execute(sa.text("INSERT INTO report_fts(report_fts) VALUES ('optimize')"))
        session.execute(sa.text("INSERT INTO report_grams(report_grams) VALUES ('optimize')"))
    else:
        session.execute(sa.text("ANALYZE report_fts"))
        session.execute(sa.text("ANALYZE report_text"))
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
        if filters.region.isdigit():
            # The same prefix as a range, which the region_code index answers (a LIKE is not
            # used on PostgreSQL outside the C collation, nor on SQLite: case-insensitive);
            # the LIKE stays, so the range only narrows.
            out.append(Report.region_code >= filters.region)
            upper = _next_prefix(filters.region)
            if upper is not None:
                out.append(Report.region_code < upper)
    if filters.kind:
        out.append(Report.kind == filters.kind)
    if filters.date_from is not None:
        out.append(Report.published_at >= filters.date_from)
    if filters.date_to is not None:
        out.append(Report.published_at <= filters.date_to)
    return out


def _next_prefix(digits: str) -> str | None:
    """The least string of digits above every code starting with *digits* (35 -> 36, 359 -> 36);
    None for 9, 99, ... (no bound)."""
    head = digits.rstrip("9")
    return head[:-1] + chr(ord(head[-1]) + 1) if head else None


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
    """A query term: what it matches (its folded characters, storage/grams.py) and the word
    tokens that rank it."""

    text: str  # as typed, for snippets
    leaf: grams.GramLeaf
    tokens: tuple[str, ...]


def _resolve(node: Node | None, tokenizer: Tokenizer) -> Any:
    """The tree with each Term replaced by its _Word; terms with nothing left once folded vanish."""
    if node is None:
        return None
    if isinstance(node, Term):
        leaf = grams.leaf(node.text)
        if leaf is None:
            return None
        return _Word(node.text, leaf, tuple(tokenizer.query_tokens(node.text)))
    if isinstance(node, Not):
        inner = _resolve(node.item, tokenizer)
        return None if inner is None else Not(inner)
    items = tuple(i for i in (_resolve(c, tokenizer) for c in node.items) if i is not None)
    if not items:
        return None
    return items[0] if len(items) == 1 else type(node)(items)


def _validate(node: Any) -> None:
    """Raise QueryError for a tree that matches nothing on its own (only NOT terms)."""
    if isinstance(node, Not):
        raise QueryError("NOT needs a term to take away from, as in 复议 -诉讼")
    if isinstance(node, Or):
        for c in node.items:
            _validate(c)
    elif isinstance(node, And):
        positives = [c for c in node.items if not isinstance(c, Not)]
        if not positives:
            raise QueryError("a query needs at least one term that is not negated")
        for c in positives:
            _validate(c)


class _Compiler:
    """The tree as SQL: on SQLite an FTS5 MATCH on the pair table (the candidates) plus, where
    the pairs do not decide, instr() on the folded texts; on PostgreSQL one condition per term
    on report_text (the pairs array, through GIN, then strpos where they do not decide)."""

    def __init__(self, dialect: str, pair_share: dict[int, float] | None = None) -> None:
        self.dialect = dialect
        self.params: dict[str, Any] = {}
        # PostgreSQL: the share of the reports holding each common pair (absent: rare).
        self.pair_share = pair_share or {}
        # Leave out of pg_index the terms whose rarest pair is in most reports (they are
        # checked on the candidates instead); whether any was.
        self.skip_dense = False
        self.skipped = False
        # Pairs of a longer term looked up in GIN, the rarest (None: all).
        self.max_pairs: int | None = None

    def _param(self, value: Any) -> str:
        name = f"q{len(self.params)}"
        self.params[name] = value
        return name

    # -- SQLite
    def candidates(self, node: Any) -> str | None:
        """An FTS5 MATCH string whose matches include every report matching *node* (None: it
        cannot narrow them)."""
        if isinstance(node, _Word):
            return grams.as_sqlite_match(node.leaf)
        if isinstance(node, Or):
            parts = [self.candidates(c) for c in node.items]
            return None if any(p is None for p in parts) else "(" + " OR ".join(parts) + ")"
        if isinstance(node, Not):
            return None
        parts = [p for p in (self.candidates(c) for c in node.items if not isinstance(c, Not))
                 if p is not None]
        if not parts:
            return None
        q = "(" + " AND ".join(parts) + ")" if len(parts) > 1 else parts[0]
        # Only a term the pairs decide can be taken away in the index.
        for neg in (c.item for c in node.items if isinstance(c, Not)):
            if self.decided(neg):
                q = f"({q} NOT {self.candidates(neg)})"
        return q

    def decided(self, node: Any) -> bool:
        """Whether the pair index alone is exact for *node* (no text need be read)."""
        if isinstance(node, _Word):
            exact = grams.term_is_exact_sqlite if self.dialect == "sqlite" else grams.term_is_exact_pg
            return exact(node.leaf)
        if isinstance(node, Not):
            return self.decided(node.item)
        return all(self.decided(c) for c in node.items)

    def check(self, node: Any, title: str, body: str) -> str:
        """The exact condition of *node* on the folded texts (SQL)."""
        if isinstance(node, _Word):
            if self.dialect == "postgresql" and grams.term_is_exact_pg(node.leaf):
                return f"t.grams @> CAST(:{self._param(grams.as_pg_array(node.leaf))} AS integer[])"
            # strpos alone is exact; testing the pairs first as well would read (detoast) the
            # pairs array of every candidate too, and the candidates already hold the pairs.
            p = self._param(node.leaf.text)
            fn = "instr" if self.dialect == "sqlite" else "strpos"
            return f"({fn}({title}, :{p}) > 0 OR {fn}({body}, :{p}) > 0)"
        if isinstance(node, Not):
            return f"NOT {self.check(node.item, title, body)}"
        op = " AND " if isinstance(node, And) else " OR "
        return "(" + op.join(self.check(c, title, body) for c in node.items) + ")"

    def pg_index(self, node: Any) -> str | None:
        """A condition on the pairs array alone that every match of *node* meets (PostgreSQL,
        answered by GIN), or None."""
        if isinstance(node, _Word):
            if not node.leaf.grams:
                return None
            codes = grams.as_pg_array(node.leaf) or []
            if self.skip_dense and min(self.pair_share.get(c, 0.0) for c in codes) >= _PG_DENSE:
                # GIN would list most reports: reading the newest few (the filters') and
                # checking them costs less, and does not grow with the collection.
                self.skipped = True
                return None
            if self.max_pairs is not None and not grams.term_is_exact_pg(node.leaf):
                # The texts are read anyway: the rarest pairs narrow the candidates nearly as
                # much as all of them, and GIN reads a posting list per pair (a common pair's
                # lists every report).
                codes = sorted(codes, key=lambda c: self.pair_share.get(c, 0.0))[:self.max_pairs]
            return f"t.grams @> CAST(:{self._param(sorted(codes))} AS integer[])"
        if isinstance(node, Or):
            parts = [self.pg_index(c) for c in node.items]
            return None if any(p is None for p in parts) else "(" + " OR ".join(parts) + ")"
        if isinstance(node, Not):
            return None
        parts = [p for p in (self.pg_index(c) for c in node.items if not isinstance(c, Not))
                 if p is not None]
        for neg in (c.item for c in node.items if isinstance(c, Not)):
            if self.decided(neg) and parts:
                taken = self.pg_index(neg)
                if taken is not None:
                    parts.append(f"NOT {taken}")
        return "(" + " AND ".join(parts) + ")" if parts else None

    def facet_match(self, groups: Sequence[Sequence[str]]) -> str:
        return "facets : (" + " AND ".join(
            "(" + " OR ".join(f'"{t}"' for t in group) + ")" for group in groups) + ")"


@dataclass(frozen=True)
class _Plan:
    tree: Any  # the resolved tree, None for "no terms"
    words: tuple[str, ...]  # what to mark in snippets


def _plan(query: str | None, tokenizer: Tokenizer | None) -> _Plan:
    node = parse_query(query or "")
    if node is None:
        return _Plan(None, ())
    if tokenizer is None:
        raise ValueError("a text query needs the tokenizer the index was built with")
    tree = _resolve(node, tokenizer)
    if tree is not None:
        _validate(tree)
    return _Plan(tree, tuple(_highlights(tree)) if tree is not None else ())


def _highlights(node: Any) -> list[str]:
    if isinstance(node, _Word):
        return [node.text]
    if isinstance(node, Not):
        return []
    return [w for c in node.items for w in _highlights(c)]


def _rank_tokens(node: Any, common: frozenset[str]) -> list[str]:
    """The index tokens of the query's positive words that ranking weighs: all but the common."""
    if isinstance(node, _Word):
        return [t for t in node.tokens if t.lower() not in common]
    if isinstance(node, Not):
        return []
    return list(dict.fromkeys(t for c in node.items for t in _rank_tokens(c, common)))


def _bound(sql: str, params: dict[str, Any]) -> sa.TextClause:
    """*sql* with those of *params* it names."""
    return sa.text(sql).bindparams(**{k: v for k, v in params.items()
                                      if re.search(rf":{k}\b", sql)})


# PostgreSQL: pairs of a longer term looked up in GIN (the rarest), the rest are left to strpos.
_PG_PAIRS = 2
# A term none of whose pairs is in fewer than this share of the reports is not looked up in GIN.
_PG_DENSE = 0.5
# PostgreSQL: the common pairs' shares (the planner's statistics, pg_stats) are read again after
# this many seconds.
_PAIR_SHARE_TTL = 300.0
_PAIR_SHARE_CACHE: dict[str, tuple[float, dict[int, float]]] = {}


def _pair_shares(session: Session) -> dict[int, float]:
    """The share of the reports holding each of the most common pairs (PostgreSQL's statistics
    of report_text.grams, refreshed by ANALYZE); a pair not listed is rare."""
    import time
    key = str(session.get_bind().url)
    hit = _PAIR_SHARE_CACHE.get(key)
    if hit is not None and time.monotonic() - hit[0] < _PAIR_SHARE_TTL:
        return hit[1]
    row = session.execute(sa.text(
        "SELECT most_common_elems::text, most_common_elem_freqs FROM pg_stats "
        "WHERE schemaname = current_schema() AND tablename = 'report_text' "
        "AND attname = 'grams'")).first()
    shares: dict[int, float] = {}
    if row is not None and row[0] and row[1]:
        elems = [int(x) for x in row[0].strip("{}").split(",") if x]
        shares = {e: float(f) for e, f in zip(elems, row[1])}
    if len(_PAIR_SHARE_CACHE) >= 16:
        _PAIR_SHARE_CACHE.clear()
    _PAIR_SHARE_CACHE[key] = (time.monotonic(), shares)
    return shares


_PAIRS = sa.table("report_grams", sa.column("rowid", sa.Integer))
_TEXT = sa.table("report_text", sa.column("report_id", sa.Integer))


def _matches(session: Session, plan: _Plan, filters: Filters, window: int | None) -> sa.Select[Any]:
    """The matching reports' ids (`rid`), newest first: the *window* newest, or all when window
    is None."""
    # Every pair of each term on PostgreSQL: all the candidates' texts are read here, and the
    # more pairs, the fewer candidates.
    compiler = _Compiler(_dialect(session))
    if compiler.dialect == "sqlite":
        facets, clauses = _split_filters(filters)
        cand = compiler.candidates(plan.tree)
        parts = [p for p in (cand, compiler.facet_match(facets) if facets else None) if p]
        exact = cand is not None and compiler.decided(plan.tree)
        if parts:
            rid = _PAIRS.c.rowid
            stmt = sa.select(rid.label("rid")).select_from(_PAIRS).where(
                sa.text("report_grams MATCH :match").bindparams(match=" AND ".join(parts)))
            if not exact:
                stmt = stmt.join(_TEXT, _TEXT.c.report_id == rid)
        else:  # nothing the pairs can narrow (one-character terms): the folded texts are read
            rid = _TEXT.c.report_id
            stmt = sa.select(rid.label("rid")).select_from(_TEXT)
        if not exact:
            stmt = stmt.where(_bound(compiler.check(
                plan.tree, "report_text.title", "report_text.body"), compiler.params))
        if clauses:
            stmt = stmt.join(Report, Report.id == rid).where(*clauses)
    else:
        clauses = filter_clauses(filters)
        t = _TEXT.alias("t")
        rid = t.c.report_id
        found = compiler.pg_index(plan.tree)
        check = None if compiler.decided(plan.tree) else compiler.check(plan.tree, "t.title", "t.body")
        if found is None or check is None:
            cond = check if found is None else found
            stmt = sa.select(rid.label("rid")).select_from(t).where(
                _bound(cond, compiler.params))
            if clauses and found is not None and window is not None:
                # Behind a fence (OFFSET 0) the pairs (GIN), sorted newest first, then the
                # filters in that order until the window is full: else the planner walks
                # report_text backwards, reading each row's pairs array (43 ms where this
                # takes 3 at 20k reports).
                fenced = stmt.order_by(rid.desc()).offset(0).subquery("candidates")
                rid = fenced.c.rid
                stmt = sa.select(rid).join(Report, Report.id == rid).where(*clauses)
            elif clauses:
                stmt = stmt.join(Report, Report.id == rid).where(*clauses)
        else:
            # The pairs (GIN) and the filters first, newest first, behind a fence (OFFSET 0):
            # then the texts are read, in that order, only until the window is full.
            c = sa.select(rid.label("rid")).select_from(t).where(
                _bound(found, compiler.params))
            if clauses:
                c = c.join(Report, Report.id == rid).where(*clauses)
            c = c.order_by(rid.desc()).offset(0).subquery("candidates")
            t2 = _TEXT.alias("t")
            stmt = (sa.select(c.c.rid.label("rid")).select_from(c)
                    .join(t2, t2.c.report_id == c.c.rid)
                    .where(_bound(check, compiler.params)))
            rid = c.c.rid
    stmt = stmt.order_by(rid.desc())
    return stmt if window is None else stmt.limit(window)


def _newest(session: Session, plan: _Plan, filters: Filters, n: int) -> list[int]:
    """The ids of the *n* newest matches, newest first."""
    return list(session.execute(_matches(session, plan, filters, n)).scalars().all())


@contextlib.contextmanager
def index_first(session: Session) -> Iterator[None]:
    """On PostgreSQL, keep the planner off sequential scans of report_fts for one statement. The
    table itself is small (the vectors live in TOAST), so a scan looks cheap to it, but it reads
    and decompresses every report's vector (150 ms for 5,000 reports, where GIN takes 1 ms).
    Nested, the inner one costs nothing: a search page holds it around all its look-ups (two
    statements in all, not two for each)."""
    if _dialect(session) != "postgresql" or session.info.get(_INDEX_FIRST):
        yield
        return
    before = session.execute(sa.text("SELECT current_setting('enable_seqscan'), "
                                     "set_config('enable_seqscan', 'off', true)")).scalar()
    session.info[_INDEX_FIRST] = True
    try:
        yield
    finally:
        session.info.pop(_INDEX_FIRST, None)
        session.execute(sa.text("SELECT set_config('enable_seqscan', :v, true)"),
                        {"v": "on" if before == "on" else "off"})


_INDEX_FIRST = "govreports.index_first"


def check_query(query: str | None, tokenizer: Tokenizer | None) -> None:
    """Raise QueryError now for a query that cannot run (for callers that stream results)."""
    _plan(query, tokenizer)


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


@dataclass(frozen=True)
class MatchWindow:
    """The newest matches of one query and filters (newest_matches): at most *n* ids, newest
    first; all the matches when fewer than *n*. A search page computes it once and hands it to
    search() and storage.facets.search_facets, which would each look the same matches up."""

    query: str
    filters: Filters
    n: int
    ids: tuple[int, ...]
    # PostgreSQL: the candidates fetched and the texts read to find them (search() takes its
    # rank window of candidates from them)
    pool: _Pool | None = field(default=None, compare=False, repr=False)

    @property
    def complete(self) -> bool:
        """Whether these are every match."""
        return len(self.ids) < self.n

    def check_for(self, query: str | None, filters: Filters) -> None:
        """Refuse a window made for another query or other filters."""
        if (self.query, self.filters) != (query or "", filters):
            raise ValueError("the window is another query's or other filters' newest matches")

    def newest(self, k: int) -> list[int] | None:
        """The *k* newest matches, when the window holds them (else None: look them up)."""
        return list(self.ids[:k]) if k <= len(self.ids) or self.complete else None


def newest_matches(session: Session, query: str | None, *, tokenizer: Tokenizer | None,
                   filters: Filters = Filters(), n: int) -> MatchWindow:
    """The *n* most recently stored reports matching *query* and *filters* (exactly, as search
    and count_matches match). On PostgreSQL, where the pairs (GIN) leave the texts to be read,
    the newest candidates' texts are read in chunks only until *n* match."""
    plan = _plan(query, tokenizer)
    pool = None
    if plan.tree is None:
        ids = session.execute(newest_filtered_ids(session, filters, n)).scalars().all()
    else:
        with index_first(session):
            lazy = _pg_lazy(session, plan)
            if lazy is not None:
                pool = _Pool([])
                ids = [i for i, _ in _pg_ranked_page(session, lazy, filters, None, [], n, pool)]
            else:
                ids = session.execute(_matches(session, plan, filters, n)).scalars().all()
    return MatchWindow(query or "", filters, n, tuple(ids), pool)


def search(session: Session, query: str, *, tokenizer: Tokenizer, filters: Filters = Filters(),
           limit: int = 20, offset: int = 0, snippet_chars: int = 60,
           mark: tuple[str, str] = ("【", "】"), html_escape: bool = False,
           rank_window: int | None = 0, rank_common: bool = False,
           window: MatchWindow | None = None) -> list[SearchHit]:
    """The best *limit* reports for *query*, ranked on its uncommon words (all its words with
    *rank_common*) among the *rank_window* most recently stored matches (0: the backend's
    RANK_WINDOW, None: all); newest first when every word is common, or with an empty query the
    reports matching *filters*. *window*, the same query's and filters' newest_matches, answers
    the look-up of the newest matches where it holds them (the hits are the same without it).
    Raises QueryError for a query that cannot run (only NOT words)."""
    if window is not None:
        window.check_for(query, filters)
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
        known = window.newest(offset + limit) if window is not None and not rank else None
        pool = window.pool if window is not None else None
        with index_first(session):
            lazy = _pg_lazy(session, plan) if known is None else None
            if known is not None:
                page = [(i, 0.0) for i in known[offset:]]
            elif not rank and lazy is not None:
                # Newest first: the candidates in windows a little larger than the page.
                page = _pg_ranked_page(session, lazy, filters, max(2 * (offset + limit), 40), [],
                                       offset + limit, pool)[offset:]
            elif not rank:
                page = [(i, 0.0) for i in _newest(session, plan, filters, offset + limit)[offset:]]
            else:
                if rank_window == 0:
                    rank_window = PG_RANK_WINDOW if _dialect(session) == "postgresql" else RANK_WINDOW
                size = None if rank_window is None else max(rank_window, offset + limit)
                if lazy is not None:
                    # Its window is of candidates, not of matches: taken from the window's pool.
                    page = _pg_ranked_page(session, lazy, filters, size, rank, offset + limit, pool)
                    page = page[offset:offset + limit]
                else:
                    ids = window.newest(size) if window is not None and size is not None else None
                    scored = _scores(session, plan, filters, size, rank, ids)
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


@dataclass(frozen=True)
class _Lazy:
    """A PostgreSQL query whose pairs narrow the reports (GIN) but do not decide them: the
    candidates' condition and the exact check on their texts, with their parameters."""

    found: str | None  # None: every report is a candidate
    check: str
    params: dict[str, Any]


def _pg_lazy(session: Session, plan: _Plan) -> _Lazy | None:
    if _dialect(session) != "postgresql":
        return None
    compiler = _Compiler("postgresql", _pair_shares(session))
    compiler.skip_dense, compiler.max_pairs = True, _PG_PAIRS
    found = compiler.pg_index(plan.tree)
    if compiler.decided(plan.tree) and not compiler.skipped:
        return None  # the pairs alone answer it (GIN)
    check = compiler.check(plan.tree, "t.title", "t.body")
    return _Lazy(found, check, compiler.params)


@dataclass
class _Pool:
    """What a PostgreSQL look-up learnt of one query's candidates, for the next of the same query
    and filters (a search page's window, then its hits): the newest candidates (newest first),
    whether they are all of them, and which of those whose texts were read match."""

    ids: list[int]
    complete: bool = False
    matched: dict[int, bool] = field(default_factory=dict)


def _pg_ranked_page(session: Session, lazy: _Lazy, filters: Filters, window: int | None,
                    rank: list[str], need: int, pool: _Pool | None = None) -> list[tuple[int, float]]:
    """The *need* best (id, score) on PostgreSQL, best first (newest first without *rank*), when
    the texts must be read to know the matches. Reading a text costs far more than its rank
    (its 25 kB leave TOAST), so the *window* newest candidates (their pairs, GIN, and the
    filters) are ranked first and the texts are then read in rank order only until *need* are
    verified; when the window does not yield enough, the next (older) window follows. Every id
    returned matches exactly. *pool* holds what an earlier look-up of the same query fetched
    and read (it is added to)."""
    t = _TEXT.alias("t")
    clauses = filter_clauses(filters)
    verify = _bound(f"SELECT t.report_id FROM report_text AS t WHERE t.report_id = ANY(:ids) "
                    f"AND {lazy.check}", lazy.params)
    pool = pool if pool is not None else _Pool([])

    def candidates(before: int | None, limit: int | None) -> list[int]:
        c = sa.select(t.c.report_id.label("rid"))
        if lazy.found is not None:
            c = c.where(_bound(lazy.found, lazy.params))
        if before is not None:
            c = c.where(t.c.report_id < before)
        if lazy.found is None:  # the newest reports the filters let through, by the ids
            if clauses:
                c = c.join(Report, Report.id == t.c.report_id).where(*clauses)
            c = c.order_by(t.c.report_id.desc())
        else:
            # Behind a fence (OFFSET 0) the pairs are looked up in GIN, and sorted newest
            # first: else the planner may walk the ids backwards reading each row's pairs
            # array to fill the window. The filters are then checked on `reports` in that
            # order, only until the window is full (joined first, every candidate was looked up
            # there: 100 ms for 36,000 candidates at 100k reports, where this takes 15).
            fenced = c.order_by(t.c.report_id.desc()).offset(0).subquery("candidates")
            c = sa.select(fenced.c.rid)
            if clauses:
                c = c.join(Report, Report.id == fenced.c.rid).where(*clauses)
            c = c.order_by(fenced.c.rid.desc())
        return list(session.execute(c if limit is None else c.limit(limit)).scalars())

    def newest(k: int | None) -> list[int]:
        """The *k* newest candidates (None: all), from the pool where it holds them."""
        if not pool.complete and (k is None or len(pool.ids) < k):
            more = candidates(pool.ids[-1] if pool.ids else None,
                              None if k is None else k - len(pool.ids))
            pool.complete = k is None or len(more) < k - len(pool.ids)
            pool.ids += more
        return list(pool.ids if k is None else pool.ids[:k])

    def matching(chunk: list[int]) -> set[int]:
        unread = [i for i in chunk if i not in pool.matched]
        if unread:
            ok = set(session.execute(verify, {"ids": unread}).scalars())
            pool.matched.update((i, i in ok) for i in unread)
        return {i for i in chunk if pool.matched[i]}

    # First the window (or, unranked, a few pages' worth); if the matches are fewer than
    # needed there, every older candidate at once: GIN reads its posting lists whole for each
    # query, so a second look-up costs as much as the first.
    first = window if rank else 4 * need + 16
    ids = newest(first)
    more = not (first is None or len(ids) < first)
    out: list[tuple[int, float]] = []
    step = window if rank and window is not None else len(ids) or 1
    pos_w = 0
    while len(out) < need:
        if pos_w >= len(ids):
            if not more or not ids:
                break
            ids, more = newest(None), False
            if not rank:
                step = len(ids)
            continue
        batch = ids[pos_w:pos_w + step]
        pos_w += len(batch)
        scored = sorted(_pg_rank(session, batch, rank), key=lambda x: (-x[1], -x[0])) if rank \
            else [(i, 0.0) for i in batch]
        pos, size = 0, need - len(out) + 4
        while pos < len(scored) and len(out) < need:
            # A few more than missing (most candidates of a longer term match); then as many
            # as the share that matched so far says are missing, and a fifth more (each text
            # read costs 10-30 us: doubling read up to half of them for nothing).
            chunk = scored[pos:pos + size]
            pos += len(chunk)
            ok = matching([i for i, _ in chunk])
            out += [x for x in chunk if x[0] in ok]
            share = len(ok) / len(chunk)
            size = min(2000, 2 * size if share < 0.05 else int(1.2 * (need - len(out)) / share) + 4)
    return out[:need]


def _pg_rank(session: Session, ids: Sequence[int], rank: list[str]) -> list[tuple[int, float]]:
    scores = dict(session.execute(sa.text(
        "SELECT report_id, ts_rank(tsv, to_tsquery('simple', :rank)) FROM report_fts "
        "WHERE report_id = ANY(:ids)"), {"rank": _pg_any(rank), "ids": list(ids)}).all())
    return [(i, float(scores.get(i, 0.0))) for i in ids]


def _scores(session: Session, plan: _Plan, filters: Filters, window: int | None,
            rank: list[str], ids: Sequence[int] | None = None) -> list[tuple[int, float]]:
    """(id, score) of the *window* newest matches (*ids*, when known), scored on the *rank*
    word tokens (report_fts)."""
    if ids is None:
        ids = session.execute(_matches(session, plan, filters, window)).scalars().all()
    if not ids:
        return []
    if _dialect(session) == "postgresql":
        return _pg_rank(session, ids, rank)
    # bm25 weighs only the ranked words: it counts, for each word it weighs, every report that
    # holds it. The window's ids bound the walk; "+" keeps SQLite from running the match once
    # per id.
    scores = dict(session.execute(sa.text(
        "SELECT rowid, -bm25(report_fts, :w0, :w1, :w2, :w3) FROM report_fts "
        "WHERE report_fts MATCH :rank AND rowid BETWEEN :lo AND :hi "
        "AND +rowid IN (SELECT value FROM json_each(:ids))"),
        {"rank": " OR ".join('"' + t.replace('"', '""') + '"' for t in rank),
         "lo": min(ids), "hi": max(ids), "ids": json.dumps(list(ids)),
         **{f"w{i}": w for i, w in enumerate(_BM25)}}).all())
    return [(i, float(scores.get(i, 0.0))) for i in ids]


def _pg_any(tokens: Sequence[str]) -> str:
    return " | ".join("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in tokens)


def make_snippet(text: str, words: Sequence[str], chars: int = 60, *,
                 mark: tuple[str, str] = ("【", "】"), html_escape: bool = False) -> str:
    """About *chars* characters of *text* around the first of *words* found, each occurrence
    marked. Earlier words win: pass whole query words before their parts."""
    # Terms match folded (case, width): the text is searched without case, and a space of a
    # term stands for any white space.
    patterns = [re.compile(r"\s+".join(re.escape(p) for p in w.split()), re.IGNORECASE)
                for w in words if w and w.strip()]
    found = [m.start() for m in (p.search(text) for p in patterns) if m]
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
        for m in re.finditer("|".join(r"\s+".join(re.escape(p) for p in w.split()) for w in marked
                                      if w.strip()), window, re.IGNORECASE):
            pieces.append(esc(window[pos:m.start()]) + mark[0] + esc(m.group()) + mark[1])
            pos = m.end()
    pieces.append(esc(window[pos:]))
    return ("…" if more_before else "") + "".join(pieces) + ("…" if more_after else "")


# ------------------------------------------------------------- newest reports (no query words)

# report_grams (storage/grams.py, SQLite): each report's filter tokens (facet_tokens) are in
# its `facets` column, so the pair index finds the newest reports of a year, region and kind
# without reading `reports`: 0.2 ms at 20,000 reports, where `reports` (a year's index, then
# every row of that year to test its region) took 15 ms, and a region alone a scan of the table.
def newest_filtered_ids(session: Session, filters: Filters, n: int) -> sa.Select[Any]:
    """A SELECT (column `rid`) of the ids of the *n* most recently stored reports matching
    *filters* (no query words), newest first."""
    tokens: list[str] = []
    rest = filters
    if session.get_bind().dialect.name == "sqlite":
        region = (filters.region or "").strip()
        tokens = facet_tokens(filters.year, region or None, filters.kind)
        # A region prefix that is not a whole level (350 of 350309) is not a token: checked on
        # `reports` (its shorter whole levels still narrow the candidates).
        rest = replace(filters, year=None, kind=None,
                       region=None if not region or f"r{region}" in tokens else region)
    if not tokens:
        return (sa.select(Report.id.label("rid")).where(*filter_clauses(filters))
                .order_by(Report.id.desc()).limit(n))
    rid = _PAIRS.c.rowid
    match = " AND ".join(f'facets : "{t}"' for t in tokens)
    stmt = sa.select(rid.label("rid")).select_from(_PAIRS).where(
        sa.text("report_grams MATCH :facet_match").bindparams(facet_match=match))
    clauses = filter_clauses(rest)
    if clauses:
        stmt = stmt.join(Report, Report.id == rid).where(*clauses)
    return stmt.order_by(rid.desc()).limit(n)
