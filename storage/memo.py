"""Within one read session, a SELECT run a second time with the same SQL and parameters answers
from the first run's rows.

A search page asks storage.search.search for its hits and storage.facets for its counts, and
both start from the newest matches of the same query (search ranks the newest RANK_WINDOW, the
facets count the newest [web] exact_count_limit: the same statement when the two are equal).
That statement is most of either's cost; run once, the page costs about one search.

Only SELECTs with a LIMIT are kept (the windows of matches, pages of ids): other statements may
have effects (PostgreSQL's set_config in storage.search.index_first) or be cheap and large. Use
it only in a session that does not write: a repeated read must see the same rows.
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
    """While open, identical limited SELECTs in *session* run once. Yields counters
    ({"run", "reused"}) for tests and benchmarks."""
    kept: dict[tuple[str, str], Any] = {}
    counts = {"run": 0, "reused": 0}
    dialect = session.get_bind().dialect

    def on_execute(state: Any) -> Any:
        stmt = state.statement
        if not isinstance(stmt, sa.Select) or stmt._limit_clause is None:
            return None  # run as usual
        compiled = stmt.compile(dialect=dialect)
        params = {**compiled.params, **(state.parameters or {})}
        key = (str(compiled), repr(sorted(params.items())))
        frozen = kept.get(key)
        if frozen is None:
            frozen = kept[key] = state.invoke_statement().freeze()
            counts["run"] += 1
        else:
            counts["reused"] += 1
        return frozen()

    event.listen(session, "do_orm_execute", on_execute)
    try:
        yield counts
    finally:
        event.remove(session, "do_orm_execute", on_execute)
