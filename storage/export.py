"""Writers for exported rows (JSON lines, CSV, Parquet) and for raw captures (WARC).

The row writers take any iterable of dicts (storage.queries.export_rows, coverage rows) and
stream: nothing holds the whole export in memory. Each returns the number of records written.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.models import Capture, Publication
from storage.raw import get_body

__all__ = ["write_jsonl", "write_csv", "write_parquet", "write_warc", "FORMATS"]

FORMATS = ("jsonl", "csv", "parquet", "warc")
# Rows per Parquet row group: a few MB of report text each, readable piece by piece.
_PARQUET_BATCH = 1000
# Separator of list values (all URLs of a report) in one CSV cell; URLs never contain a space.
_CSV_LIST_SEP = " "


def write_jsonl(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """One JSON object per line, UTF-8 text as is (not \\u escapes)."""
    n = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False, default=str))
        out.write("\n")
        n += 1
    return n


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return _CSV_LIST_SEP.join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def write_csv(rows: Iterable[dict[str, Any]], out: IO[str], *,
              columns: Sequence[str] | None = None) -> int:
    """CSV with a header line (RFC 4180 quoting; open *out* with newline=""). Columns: *columns*,
    else the first row's keys. Lists are joined with spaces, missing values are empty."""
    it: Iterator[dict[str, Any]] = iter(rows)
    first = next(it, None)
    if columns is None:
        columns = list(first) if first is not None else []
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    n = 0
    for row in ([first] if first is not None else []):
        writer.writerow({k: _cell(row.get(k)) for k in columns})
        n += 1
    for row in it:
        writer.writerow({k: _cell(row.get(k)) for k in columns})
        n += 1
    return n


def _export_schema() -> Any:
    import pyarrow as pa

    return pa.schema([
        ("id", pa.int64()), ("title", pa.string()), ("issuer", pa.string()),
        ("report_year", pa.int32()), ("published_at", pa.date32()), ("kind", pa.string()),
        ("region_code", pa.string()), ("region_name", pa.string()), ("url", pa.string()),
        ("urls", pa.list_(pa.string())), ("official", pa.bool_()), ("text", pa.string()),
        ("content_sha256", pa.string()),
    ])


def _arrow_value(value: Any, field: Any) -> Any:
    import pyarrow as pa

    if isinstance(value, str) and field.type == pa.date32():
        return dt.date.fromisoformat(value)
    return value


def write_parquet(rows: Iterable[dict[str, Any]], path: str | Path | IO[bytes]) -> int:
    """A Parquet file (pyarrow, zstd). Export rows get typed columns (dates as date32, urls as a
    list of strings); other rows get the types pyarrow infers from the first batch."""
    import pyarrow as pa  # a dependency; imported here, as only this format needs it
    import pyarrow.parquet as pq
    it = iter(rows)
    batch = [r for _, r in zip(range(_PARQUET_BATCH), it)]
    schema = _export_schema()
    if batch and set(batch[0]) != set(schema.names):
        schema = pa.Table.from_pylist(batch).schema
    n = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        while batch:
            columns = {f.name: [_arrow_value(r.get(f.name), f) for r in batch] for f in schema}
            writer.write_table(pa.Table.from_pydict(columns, schema=schema))
            n += len(batch)
            batch = [r for _, r in zip(range(_PARQUET_BATCH), it)]
    return n


def _warc_date(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_warc(session: Session, report_ids: Iterable[int], out: IO[bytes], *,
               gzip: bool = True) -> int:
    """The raw captures of the given reports (every capture of each of their publications' URLs,
    and every capture parsed into them) as WARC/1.0 response records, readable by warcio,
    pywb and other web-archive tools. Captures with no stored body (failed fetches, 304s) are
    left out. Returns the number of response records."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    writer = WARCWriter(out, gzip=gzip)
    writer.write_record(writer.create_warcinfo_record("govreports.warc", {
        "software": "govreports", "format": "WARC File Format 1.0",
        "description": "raw captures of selected annual rule-of-law reports"}))
    n = 0
    done: set[int] = set()
    ids = list(report_ids)
    for chunk in (ids[i:i + 200] for i in range(0, len(ids), 200)):
        urls = sa.select(Publication.canonical_url).where(Publication.report_id.in_(chunk))
        captures = session.scalars(
            sa.select(Capture).where(sa.or_(Capture.report_id.in_(chunk),
                                            Capture.canonical_url.in_(urls)),
                                     Capture.body_sha256.is_not(None))
            .order_by(Capture.fetched_at, Capture.id)).all()
        for cap in captures:
            if cap.id in done:
                continue
            done.add(cap.id)
            body = get_body(session, cap.body_sha256) if cap.body_sha256 else None
            if body is None:
                continue
            code = cap.http_status or 200
            try:
                reason = HTTPStatus(code).phrase
            except ValueError:
                reason = ""
            headers = [("Content-Type", cap.content_type or "application/octet-stream"),
                       ("Content-Length", str(len(body)))]
            if cap.etag:
                headers.append(("ETag", cap.etag))
            if cap.last_modified:
                headers.append(("Last-Modified", cap.last_modified))
            record = writer.create_warc_record(
                cap.final_url or cap.url, "response", payload=io.BytesIO(body), length=len(body),
                http_headers=StatusAndHeaders(f"{code} {reason}".strip(), headers, protocol="HTTP/1.1"),
                warc_headers_dict={"WARC-Date": _warc_date(cap.fetched_at)})
            writer.write_record(record)
            n += 1
    return n
