"""Within one read session, a limited SELECT whose rows were already read (the same SQL and
parameters, with a LIMIT at least as large) answers from those rows instead of running again.

A search page asks storage.facets for its counts and storage.search.search for its hits, and
both start from the newest matches of the same query: the facets count the newest [web]
exact_count_limit (300), search ranks the newest RANK_WINDOW (300: the same statement) or, when
every word of the query is too common to rank, lists the newest offset+limit (the first rows of
it). That statement is most of either's cost; read once, the page costs about one search.

Rows [offset, offset+limit) of an ORDER BY ... LIMIT m answer are an answer of the same query
with that LIMIT and OFFSET (when offset+limit <= m, or the m-row answer was short: all rows).
Only SELECTs with a whole-number LIMIT are kept; other statements may have effects
(PostgreSQL's set_config in storage.search.index_first). Use it only in a session that does not
write: a repeated read must see the same rows.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

__all__ = ["repeated_selects_once"]


@contextlib.contextmanager
def repeated_selects_once(session: Session) -> Iterator[dict[str, int]]:
    """While open, limited SELECTs in *session* whose rows were read already are answered from
    them. Yields counters ({"run", "reused"}) for tests and benchmarks."""
    kept: dict[tuple[str, str], tuple[Any, int]] = {}  # key -> (FrozenResult, its LIMIT)
    counts = {"run": 0, "reused": 0}
    dialect = session.get_bind().dialect

    def on_execute(state: Any) -> Any:
        stmt = state.statement
        if not isinstance(stmt, sa.Select):
            return None  # run as usual
        limit, offset = stmt._limit, stmt._offset or 0
        if not isinstance(limit, int) or not isinstance(offset, int):
            return None
        compiled = stmt.limit(None).offset(None).compile(dialect=dialect)
        params = {**compiled.params, **(state.parameters or {})}
        key = (str(compiled), repr(sorted(params.items())))
        found = kept.get(key)
        if found is not None:
            frozen, size = found
            rows = frozen.data
            if offset + limit <= size or len(rows) < size:
                counts["reused"] += 1
                return frozen.with_new_rows(rows[offset:offset + limit])()
        frozen = state.invoke_statement().freeze()
        counts["run"] += 1
        if offset == 0 and (found is None or limit > found[1]):
            kept[key] = (frozen, limit)
        return frozen()

    event.listen(session, "do_orm_execute", on_execute)
    try:
        yield counts
    finally:
        event.remove(session, "do_orm_execute", on_execute)
