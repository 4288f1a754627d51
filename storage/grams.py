"""The exact-match index: what a query term matches is decided here, by characters, not words.

A term matches a report exactly where ``fold(term)`` is a substring of ``fold(title)`` or of
``fold(text)`` (a Python ``in``, what grep would say), whatever the word tokenizer did with
the characters: 复议案 is found in 行政复议案件, 社区矫正 is not found in a report that has 社区 in
one paragraph and 矫正 in another. Folding (``fold``) is NFKC (full-width ＰＤＦ２０２４ is PDF2024),
lower case, and any run of white space as one space.

Per report, the index keeps the folded title and text (`report_text`) and the set of the
character pairs (bigrams) in them:

* SQLite: a contentless FTS5 table `report_grams` (detail=none: which reports hold each pair,
  no positions) whose tokens are the pairs, written as ASCII (``793ex533a`` for 社区, so that no
  tokenizer rule can split or fold them), plus the filter tokens (y2024, r5001, ...).
* PostgreSQL: `report_text.grams`, an integer array of the pairs (a BMP pair packs into 32
  bits), with a GIN index.

A two-character term is one pair: the pair index answers it exactly. On SQLite a longer term is
a phrase of its pairs (positions: exact too). On PostgreSQL a longer term's candidates are the
reports holding its pairs (a paged search: its two rarest, as the planner's statistics say),
and ``strpos`` on the folded text checks that the characters are really together and in
order, for as few candidates as the page needs (storage/search.py); a term whose every pair is in most reports is not looked
up at all (GIN would list most reports): the newest reports are checked. A one-character term
is checked by ``instr``/``strpos`` alone (a scan). The word index (storage/search.py,
report_fts) still ranks.
"""
from __future__ import annotations

import operator
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

__all__ = ["fold", "pairs", "sqlite_tokens", "pg_codes", "GramLeaf", "leaf", "term_is_exact_sqlite",
           "TextRow", "payload"]

_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """The form both texts and query terms are compared in: NFKC, lower case, white space
    runs as one space."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text or "").lower())


def pairs(*texts: str) -> set[str]:
    """Every two consecutive characters of each (folded) text; none across texts."""
    out: set[str] = set()
    for t in texts:
        if len(t) > 1:
            out.update(map(operator.add, t, t[1:]))
    return out


def pair_codes(*texts: str) -> np.ndarray:
    """The distinct pairs of the texts as integers (first code point << 21 | second), sorted:
    the same set as pairs(), made at C speed (a report's 5,000 pairs in a fraction of a ms)."""
    parts = []
    for t in texts:
        if len(t) > 1:
            cp = np.frombuffer(t.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
            parts.append((cp[:-1] << 21) | cp[1:])
    if not parts:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate(parts))


def _code_of(pair: str) -> int:
    return (ord(pair[0]) << 21) | ord(pair[1])


_TOKEN_CACHE: dict[int, str] = {}


def _token_of(code: int) -> str:
    tok = _TOKEN_CACHE.get(code)
    if tok is None:
        tok = f"{code >> 21:x}x{code & 0x1FFFFF:x}"
        if len(_TOKEN_CACHE) < 2_000_000:
            _TOKEN_CACHE[code] = tok
    return tok


def _token(pair: str) -> str:
    return _token_of(_code_of(pair))


def pair_sequence(text: str) -> np.ndarray:
    """Every pair of the text in text order (the i-th is text[i:i+2]), as pair_codes' integers."""
    if len(text) < 2:
        return np.zeros(0, dtype=np.int64)
    cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    return (cp[:-1] << 21) | cp[1:]


def sqlite_tokens(text: str) -> str:
    """A folded text as the SQLite pair table's column: its pairs in text order, as ASCII tokens
    (793ex533a for 社区), so that FTS5's token positions are character positions and a phrase of
    consecutive pairs is exactly a substring. The same text always gives the same string: a
    contentless table deletes by it."""
    get = _TOKEN_CACHE.get
    return " ".join([(get(c) or _token_of(c)) for c in pair_sequence(text).tolist()])


_BMP_BOTH = (0xFFFF << 21) | 0xFFFF


def pg_codes(codes: np.ndarray) -> list[int]:
    """The pairs as PostgreSQL integers: a pair of BMP characters packs into 32 bits (exact);
    others are folded into that range (they may meet another pair's code, so a term with such
    characters is always checked on the text)."""
    return np.unique(_pg_packed(codes)).tolist()


def _pg_packed(codes: np.ndarray) -> np.ndarray:
    a, b = codes >> 21, codes & 0x1FFFFF
    bmp = (a < 0x10000) & (b < 0x10000)
    return np.where(bmp, (a << 16) | b, (a * 1_000_003 + b) & 0xFFFFFFFF) - (1 << 31)


def pg_array_literal(*texts: str) -> str:
    """pg_codes(pair_codes(*texts)) as a PostgreSQL array literal ('{-3,7}'): one sort of the
    packed codes, and a string the server parses, where a list of 5,000 Python ints costs more
    to adapt than the rest of the report's indexing."""
    parts = [pair_sequence(t) for t in texts if len(t) > 1]
    if not parts:
        return "{}"
    packed = np.unique(_pg_packed(np.concatenate(parts)))
    return "{" + ",".join(map(str, packed.tolist())) + "}"


@dataclass(frozen=True)
class TextRow:
    """What the exact index holds for one report."""

    id: int
    title: str
    body: str
    facets: tuple[str, ...]
    # What write() sends for the pairs, when made beforehand (payload(): in a tokenizing
    # process, so that a bulk load's single writer only writes): SQLite's two token strings
    # (title, body) or PostgreSQL's array literal.
    payload: tuple[str, ...] | None = None


def payload(dialect: str, title: str, body: str) -> tuple[str, ...]:
    """The pairs of a folded title and body as write() sends them on *dialect*."""
    if dialect == "sqlite":
        return sqlite_tokens(title), sqlite_tokens(body)
    return (pg_array_literal(title, body),)


@dataclass(frozen=True)
class GramLeaf:
    """One query term as the exact index sees it."""

    text: str  # folded
    grams: tuple[str, ...]  # its pairs (empty for one character)

    @property
    def bmp(self) -> bool:
        return all(ord(c) < 0x10000 for c in self.text)


def leaf(text: str) -> GramLeaf | None:
    """The leaf of a typed term, or None when nothing is left after folding."""
    folded = fold(text).strip()
    if not folded:
        return None
    return GramLeaf(folded, tuple(sorted(pairs(folded))))


def term_is_exact_sqlite(leaf: GramLeaf) -> bool:
    """Whether the pair index alone decides this term on SQLite: any of two characters or more
    (a phrase of its pairs, by position)."""
    return len(leaf.text) >= 2


def term_is_exact_pg(leaf: GramLeaf) -> bool:
    return len(leaf.text) == 2 and leaf.bmp


def as_sqlite_match(leaf: GramLeaf) -> str | None:
    if len(leaf.text) < 2:
        return None
    return '{title body} : "' + sqlite_tokens(leaf.text) + '"'


def as_pg_array(leaf: GramLeaf) -> list[int] | None:
    return pg_codes(np.array([_code_of(p) for p in leaf.grams], dtype=np.int64)) if leaf.grams else None


def rows_for(values: Iterable[Any]) -> list[TextRow]:
    """TextRows of index_rows' dicts."""
    return [TextRow(v["id"], v["gtitle"], v["gbody"], tuple(v["gfacets"]), v.get("gpayload"))
            for v in values]


# -------------------------------------------------------------------------------- writing

def _json_ids(ids: Sequence[int]) -> str:
    import json
    return json.dumps([int(i) for i in ids])


def remove(conn: Any, dialect: str, ids: Sequence[int]) -> None:
    """Take these reports out of the exact index. On SQLite the contentless pair table deletes by
    the tokens it was given, which are made again from the folded texts kept beside it."""
    import sqlalchemy as sa
    if not ids:
        return
    if dialect == "sqlite":
        params = {"ids": _json_ids(ids)}
        old = conn.execute(sa.text(
            "SELECT report_id, title, body, facets FROM report_text "
            "WHERE report_id IN (SELECT value FROM json_each(:ids))"), params).all()
        if old:
            conn.execute(sa.text("INSERT INTO report_grams(report_grams, rowid, title, body, facets) "
                                 "VALUES ('delete', :id, :title, :body, :facets)"),
                         [{"id": rid, "title": sqlite_tokens(title), "body": sqlite_tokens(body),
                           "facets": facets} for rid, title, body, facets in old])
            conn.execute(sa.text("DELETE FROM report_text WHERE report_id IN "
                                 "(SELECT value FROM json_each(:ids))"), params)
    else:
        conn.execute(sa.text("DELETE FROM report_text WHERE report_id = ANY(:ids)"),
                     {"ids": [int(i) for i in ids]})


def write(conn: Any, dialect: str, rows: Sequence[TextRow]) -> None:
    """Put these reports in the exact index, replacing what it held for them."""
    import sqlalchemy as sa
    if not rows:
        return
    remove(conn, dialect, [r.id for r in rows])
    made = [r.payload or payload(dialect, r.title, r.body) for r in rows]
    if dialect == "sqlite":
        conn.execute(sa.text("INSERT INTO report_text(report_id, title, body, facets) "
                             "VALUES (:id, :title, :body, :facets)"),
                     [{"id": r.id, "title": r.title, "body": r.body, "facets": " ".join(r.facets)}
                      for r in rows])
        conn.execute(sa.text("INSERT INTO report_grams(rowid, title, body, facets) "
                             "VALUES (:id, :title, :body, :facets)"),
                     [{"id": r.id, "title": m[0], "body": m[1], "facets": " ".join(r.facets)}
                      for r, m in zip(rows, made)])
    else:
        conn.execute(sa.text("INSERT INTO report_text(report_id, title, body, grams) "
                             "VALUES (:id, :title, :body, CAST(:grams AS integer[]))"),
                     [{"id": r.id, "title": r.title, "body": r.body, "grams": m[0]}
                      for r, m in zip(rows, made)])


def clear(conn: Any, dialect: str) -> None:
    """Empty the exact index (before a rebuild)."""
    import sqlalchemy as sa
    if dialect == "sqlite":
        conn.execute(sa.text("INSERT INTO report_grams(report_grams) VALUES ('delete-all')"))
        conn.execute(sa.text("DELETE FROM report_text"))
    else:
        conn.execute(sa.text("TRUNCATE report_text"))
