"""Content-addressed raw bodies: stored once by SHA-256, zlib-compressed, in the database so that
every process (and, later, every worker machine) can read them."""
from __future__ import annotations

import hashlib
import zlib
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.models import Body, utcnow

__all__ = ["put_body", "put_bodies", "get_body", "sha256_hex"]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put_body(session: Session, data: bytes, *, level: int = 6) -> str:
    """Store *data* unless a body with the same hash exists; return its SHA-256."""
    digest = sha256_hex(data)
    put_bodies(session, {digest: data}, level=level)
    return digest


def put_bodies(session: Session, bodies: Mapping[str, bytes], *, level: int = 6) -> None:
    """Store many bodies ({sha256: bytes}) in one statement, each unless it exists already."""
    if not bodies:
        return
    rows = [{"sha256": digest, "size": len(data), "compression": "zlib",
             "data": zlib.compress(data, level), "created_at": utcnow()}
            for digest, data in bodies.items()]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # ON CONFLICT DO NOTHING: two processes storing the same body at once must both succeed.
    session.connection().execute(
        insert(Body.__table__).on_conflict_do_nothing(index_elements=["sha256"]), rows)


def get_body(session: Session, digest: str) -> bytes | None:
    row = session.execute(select(Body.compression, Body.data).where(Body.sha256 == digest)).first()
    if row is None:
        return None
    compression, data = row
    if compression == "zlib":
        return zlib.decompress(data)
    if compression == "none":
        return bytes(data)
    raise ValueError(f"body {digest}: unknown compression {compression!r}")


def capture_body(session: Session, capture_id: int) -> tuple[dict, bytes | None] | None:
    """A capture's fields (url, final_url, content_type, fetched_at, http_status, fetch_state,
    body_sha256, report_id) and its raw body (None when nothing was kept); None if unknown."""
    from storage.models import Capture
    c = session.get(Capture, capture_id)
    if c is None:
        return None
    info = {"id": c.id, "url": c.url, "final_url": c.final_url, "content_type": c.content_type,
            "fetched_at": c.fetched_at.isoformat() if c.fetched_at else None,
            "http_status": c.http_status, "fetch_state": c.fetch_state,
            "body_sha256": c.body_sha256, "report_id": c.report_id, "role": c.role}
    return info, (get_body(session, c.body_sha256) if c.body_sha256 else None)
