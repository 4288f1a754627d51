"""The reference for search: a substring scan of the folded texts (what grep would answer)."""
from __future__ import annotations

from typing import Iterable

import sqlalchemy as sa

from storage.grams import fold
from storage.models import Report
from storage.query_language import And, Node, Not, Or, Term, parse_query
from storage.search import Filters, filter_clauses


def _holds(node: Node, title: str, text: str) -> bool | None:
    """Whether the texts satisfy *node*; None for a term with nothing left once folded."""
    if isinstance(node, Term):
        term = fold(node.text).strip()
        return None if not term else (term in title or term in text)
    if isinstance(node, Not):
        inner = _holds(node.item, title, text)
        return None if inner is None else not inner
    results = [r for r in (_holds(c, title, text) for c in node.items) if r is not None]
    if not results:
        return None
    return all(results) if isinstance(node, And) else any(results)


def scan(session, query: str, filters: Filters = Filters()) -> set[int]:
    """Ids of the reports matching *query* and *filters*, by reading every text."""
    tree = parse_query(query)
    out = set()
    for rid, title, text in session.execute(
            sa.select(Report.id, Report.title, Report.text).where(*filter_clauses(filters))):
        if tree is None or _holds(tree, fold(title or ""), fold(text or "")):
            out.add(rid)
    return out


def scan_texts(texts: Iterable[tuple[int, str, str]], term: str) -> set[int]:
    """Ids whose folded title or text holds the folded *term*."""
    t = fold(term).strip()
    return {rid for rid, title, text in texts if t in fold(title) or t in fold(text)}
