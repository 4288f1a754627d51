"""search index with phrases and filters; readable views (report_list, publication_list, version_list)

Revision ID: 0002
Revises: 0003

report_fts is rebuilt (it has no model): on SQLite an FTS5 table with the words in text order
(`title`, `body`: phrases match by position), the dictionary words inside them (`sub`) and filter
tokens (`facets`: y2024, r50, r5001, r500112, kannualreport); on PostgreSQL one tsvector of the
same with a GIN index, without a stored copy of the text. An existing index must be rebuilt
(storage.search.rebuild_index). The views are for Datasette and SQL users (docs/datasette.md).
"""
from __future__ import annotations

from alembic import op


revision = '0002'
# 0003 (locks) was written against 0001 first; this one follows it to keep a single head.
down_revision = '0003'
branch_labels = None
depends_on = None

_FIRST_URL = ("(SELECT p.url FROM publications p WHERE p.report_id = r.id "
              "ORDER BY p.first_seen, p.id LIMIT 1)")


def _json_text(column: str, key: str) -> str:
    if op.get_bind().dialect.name == "sqlite":
        return f"json_extract({column}, '$.{key}')"
    return f"({column} ->> '{key}')"


def _create_index() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE report_fts USING fts5(title, body, sub, facets, "
                   "tokenize='unicode61')")
    else:
        op.execute("CREATE TABLE report_fts (report_id integer PRIMARY KEY "
                   "REFERENCES reports(id) ON DELETE CASCADE, tsv tsvector NOT NULL)")
        op.execute("CREATE INDEX ix_report_fts_tsv ON report_fts USING gin (tsv)")


def _create_index_0001() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE report_fts USING fts5(title, body, tokenize='unicode61')")
    else:
        op.execute("CREATE TABLE report_fts (report_id integer PRIMARY KEY "
                   "REFERENCES reports(id) ON DELETE CASCADE, title text NOT NULL, body text NOT NULL)")
        op.execute("ALTER TABLE report_fts ADD COLUMN tsv tsvector GENERATED ALWAYS AS "
                   "(setweight(to_tsvector('simple', title), 'A') || to_tsvector('simple', body)) STORED")
        op.execute("CREATE INDEX ix_report_fts_tsv ON report_fts USING gin (tsv)")


def upgrade() -> None:
    op.execute("DROP TABLE report_fts")
    _create_index()
    # One row per report, with where it was first published and how often; `text` last so that
    # wide tables stay readable. Datasette searches it through report_fts (docs/datasette.md).
    op.execute(f"""
        CREATE VIEW report_list AS
        SELECT r.id, r.title, r.issuer, r.region_code, r.region_name,
               substr(r.region_code, 1, 2) AS province_code,
               substr(r.region_code, 1, 4) AS city_code,
               r.report_year, r.published_at, r.kind,
               (SELECT count(*) FROM publications p WHERE p.report_id = r.id) AS publications,
               {_FIRST_URL} AS url,
               length(r.text) AS chars, r.content_sha256, r.created_at, r.updated_at, r.text
        FROM reports r
    """)
    op.execute(f"""
        CREATE VIEW publication_list AS
        SELECT p.id, p.report_id, r.title AS report_title, r.issuer, r.region_name,
               r.report_year, r.kind, p.url, p.host, p.official, p.is_attachment,
               p.title AS page_title, p.first_seen, p.last_seen,
               {_json_text('p.merge_reason', 'method')} AS merged_by,
               p.merge_reason, p.content_sha256, p.last_capture_id
        FROM publications p JOIN reports r ON r.id = p.report_id
    """)
    op.execute("""
        CREATE VIEW version_list AS
        SELECT v.id, v.report_id, r.title AS report_title, v.publication_id, p.url,
               v.created_at, v.content_sha256, length(v.text) AS chars,
               length(v.diff) AS diff_chars, v.diff
        FROM report_versions v
        JOIN reports r ON r.id = v.report_id
        LEFT JOIN publications p ON p.id = v.publication_id
    """)


def downgrade() -> None:
    for view in ("version_list", "publication_list", "report_list"):
        op.execute(f"DROP VIEW IF EXISTS {view}")
    op.execute("DROP TABLE report_fts")
    _create_index_0001()
