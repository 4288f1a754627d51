"""The schema: migrations apply on both backends, match the models, and bodies are stored once."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from storage.db import open_database
from storage.models import Base, Body
from storage.raw import get_body, put_body


def test_migrations_match_models(db):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # report_fts, report_grams and report_text (the exact-search pair index) are created by hand in their
    # migrations (FTS5 / tsvector / int array with GIN) and have no model.
    diff = [d for d in diff if "report_fts" not in repr(d) and "report_grams" not in repr(d)
            and "report_text" not in repr(d)]
    assert diff == []


def test_upgrade_is_idempotent(db_url):
    open_database(db_url).dispose()
    open_database(db_url).dispose()  # second start: nothing to apply, nothing fails


def test_bodies_are_content_addressed_and_compressed(db):
    data = "法治政府建设年度报告".encode("utf-8") * 1000
    with db.session() as s:
        first = put_body(s, data)
        second = put_body(s, data)
    assert first == second
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Body)) == 1
        stored = s.scalar(select(Body.data))
        assert len(stored) < len(data) / 10
        assert get_body(s, first) == data
        assert get_body(s, "0" * 64) is None
