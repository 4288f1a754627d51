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

A two-character term is one pair: the pair index answers it exactly. A longer term needs all its
pairs (the candidates, a superset) and then ``instr``/``strpos`` on the folded text checks
that the characters are really together and in order; a one-character term is checked by that
alone (a scan). The word index (storage/search.py, report_fts) still ranks.
"""
from __future__ import annotations

import operator
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

__all__ = ["fold", "pairs", "sqlite_tokens", "pg_codes", "GramLeaf", "leaf", "term_is_exact_sqlite",
           "TextRow"]

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


_TOKEN_CACHE: dict[str, str] = {}


def _token(pair: str) -> str:
    tok = _TOKEN_CACHE.get(pair)
    if tok is None:
        tok = f"{ord(pair[0]):x}x{ord(pair[1]):x}"
        if len(_TOKEN_CACHE) < 2_000_000:
            _TOKEN_CACHE[pair] = tok
    return tok


def sqlite_tokens(grams: Iterable[str], facets: Sequence[str] = ()) -> str:
    """The FTS5 document of a report: its pairs as ASCII tokens (sorted, so that the same
    report always gives the same string: a contentless table deletes by it), then filters."""
    return " ".join([*(_token(p) for p in sorted(grams)), *facets])


_OFFSET = 1 << 31


def _code(pair: str) -> int:
    a, b = ord(pair[0]), ord(pair[1])
    if a < 0x10000 and b < 0x10000:
        return ((a << 16) | b) - _OFFSET
    # Outside the BMP: a hash (it may meet another pair's code, so such a term is verified).
    h = 0
    for ch in pair:
        h = (h * 1_000_003 + ord(ch)) & 0xFFFFFFFF
    return h - _OFFSET


def pg_codes(grams: Iterable[str]) -> list[int]:
    """The pairs as PostgreSQL integers (sorted)."""
    return sorted({_code(p) for p in grams})


@dataclass(frozen=True)
class TextRow:
    """What the exact index holds for one report."""

    id: int
    title: str
    body: str
    facets: tuple[str, ...]


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
    """Whether the pair index alone decides this term on SQLite (two characters: one pair)."""
    return len(leaf.text) == 2


def term_is_exact_pg(leaf: GramLeaf) -> bool:
    return len(leaf.text) == 2 and leaf.bmp


def as_sqlite_match(leaf: GramLeaf) -> str | None:
    if not leaf.grams:
        return None
    return " AND ".join(f'"{_token(p)}"' for p in leaf.grams)


def as_pg_array(leaf: GramLeaf) -> list[int] | None:
    return pg_codes(leaf.grams) if leaf.grams else None


def rows_for(values: Iterable[Any]) -> list[TextRow]:
    """TextRows of index_rows' dicts."""
    return [TextRow(v["id"], v["gtitle"], v["gbody"], tuple(v["gfacets"])) for v in values]


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
            conn.execute(sa.text("INSERT INTO report_grams(report_grams, rowid, grams) "
                                 "VALUES ('delete', :id, :grams)"),
                         [{"id": rid, "grams": sqlite_tokens(pairs(title, body), facets.split())}
                          for rid, title, body, facets in old])
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
    if dialect == "sqlite":
        conn.execute(sa.text("INSERT INTO report_text(report_id, title, body, facets) "
                             "VALUES (:id, :title, :body, :facets)"),
                     [{"id": r.id, "title": r.title, "body": r.body, "facets": " ".join(r.facets)}
                      for r in rows])
        conn.execute(sa.text("INSERT INTO report_grams(rowid, grams) VALUES (:id, :grams)"),
                     [{"id": r.id, "grams": sqlite_tokens(pairs(r.title, r.body), r.facets)}
                      for r in rows])
    else:
        conn.execute(sa.text("INSERT INTO report_text(report_id, title, body, grams) "
                             "VALUES (:id, :title, :body, CAST(:grams AS integer[]))"),
                     [{"id": r.id, "title": r.title, "body": r.body,
                       "grams": pg_codes(pairs(r.title, r.body))} for r in rows])


def clear(conn: Any, dialect: str) -> None:
    """Empty the exact index (before a rebuild)."""
    import sqlalchemy as sa
    if dialect == "sqlite":
        conn.execute(sa.text("INSERT INTO report_grams(report_grams) VALUES ('delete-all')"))
        conn.execute(sa.text("DELETE FROM report_text"))
    else:
        conn.execute(sa.text("TRUNCATE report_text"))
