"""exact search: the folded texts and their character pairs (storage/grams.py)

Revision ID: 0009
Revises: 0007

report_text holds each report's folded title and text; on SQLite their character pairs are a
contentless FTS5 table (report_grams, pairs in text order: positions), on PostgreSQL an integer
array of the pairs with a GIN index.
Existing reports are indexed here (about a minute for 10,000 reports).
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    if dialect == "sqlite":
        # No foreign key: a report's row must stay until its pairs are deleted, by the same text.
        op.execute("CREATE TABLE report_text (report_id INTEGER PRIMARY KEY, title TEXT NOT NULL, "
                   "body TEXT NOT NULL, facets TEXT NOT NULL)")
        op.execute("CREATE VIRTUAL TABLE report_grams USING fts5(title, body, facets, content='', "
                   "tokenize='ascii')")
    else:
        op.execute("CREATE TABLE report_text (report_id integer PRIMARY KEY REFERENCES reports(id) "
                   "ON DELETE CASCADE, title text NOT NULL, body text NOT NULL, "
                   "grams integer[] NOT NULL)")
        # Read by strpos for every candidate: uncompressed, it is read without decompressing.
        op.execute("ALTER TABLE report_text ALTER COLUMN body SET STORAGE EXTERNAL")
        op.execute("CREATE INDEX ix_report_text_grams ON report_text USING gin (grams)")
    _backfill(bind, dialect)


def _backfill(bind, dialect: str) -> None:
    from storage import grams
    from storage.search import facet_tokens

    last = 0
    while True:
        rows = bind.execute(sa.text(
            "SELECT id, title, text, report_year, region_code, kind, published_at FROM reports "
            "WHERE id > :last ORDER BY id LIMIT 500"), {"last": last}).all()
        if not rows:
            break
        out = []
        for rid, title, text, year, code, kind, published in rows:
            if isinstance(published, str):
                import datetime as dt
                published = dt.date.fromisoformat(published[:10])
            out.append(grams.TextRow(rid, grams.fold(title or ""), grams.fold(text or ""),
                                     tuple(facet_tokens(year, code, kind, published))))
        grams.write(bind, dialect, out)
        last = rows[-1][0]


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE report_grams")
    op.execute("DROP TABLE report_text")
