"""Shared fixtures: databases on SQLite and PostgreSQL, paths to the test data."""
from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from storage.db import Database, open_database

TESTS_DIR = Path(__file__).resolve().parent
DATA_DIR = TESTS_DIR / "data"
PG_URL = os.environ.get("GOVREPORTS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _pg_available() -> str | None:
    """None when PostgreSQL answers, else the reason."""
    import sqlalchemy as sa
    try:
        engine = sa.create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any connection problem means "not available"
        return f"PostgreSQL at {PG_URL} is not reachable: {exc.__class__.__name__}: {exc}"


def require_postgres() -> None:
    """Skip locally without PostgreSQL; in CI a missing server is a failure, never a skip."""
    reason = _pg_available()
    if reason:
        if IN_CI:
            pytest.fail(reason + " (CI=true: PostgreSQL must be up; .ci/run starts it)")
        pytest.skip(reason)


def fresh_pg_url() -> str:
    """A URL on a new, empty schema of the test database, so tests never see each other's rows."""
    import sqlalchemy as sa
    schema = "t_" + uuid.uuid4().hex[:12]
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


@contextlib.contextmanager
def pg_schema() -> Iterator[str]:
    """The URL of a fresh PostgreSQL schema (see require_postgres), dropped afterwards."""
    require_postgres()
    url = fresh_pg_url()
    try:
        yield url
    finally:
        drop_pg_schema(url)


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pg_schema() as url:
        yield url


def drop_pg_schema(url: str) -> None:
    import sqlalchemy as sa
    schema = url.rsplit("search_path%3D", 1)[1]
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> Iterator[str]:
    """A database URL on each backend: a fresh SQLite file, a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'govreports.db'}"
        return
    with pg_schema() as url:
        yield url


@pytest.fixture
def db(db_url) -> Iterator[Database]:
    """A migrated database on each backend."""
    database = open_database(db_url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def sqlite_db(tmp_path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'govreports.db'}")
    try:
        yield database
    finally:
        database.dispose()


# ------------------------------------------------------------------------------ the web app

@pytest.fixture(scope="session")
def crawled_web(tmp_path_factory):
    """One database filled by crawling the seeds test web, shared by the web app's tests
    (tests/webapp.py)."""
    from webapp import crawled_web_context
    with crawled_web_context(tmp_path_factory.mktemp("crawled-web")) as crawled:
        yield crawled
