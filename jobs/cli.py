"""The `govreports` command line."""
from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from pathlib import Path
from typing import Any, Iterable

import click

from jobs.config import Settings, SettingsError, load_settings

log = logging.getLogger("govreports.cli")

KIND_CHOICES = ["annual_report", "interpretation", "work_summary", "work_plan", "news", "other"]


class Context:
    """What every command gets: settings (read once) and a lazily opened database."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._db = None

    @property
    def db(self):
        if self._db is None:
            from jobs.tasks import open_db
            self._db = open_db(self.settings)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_url", metavar="URL",
              help="Database URL (default: the SQLite file in settings.toml). Env: GOVREPORTS_DB.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), metavar="PATH",
              help="Settings file (default: settings.toml of the project).")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors in the log.")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None, config_path: str | None, verbose: int,
        quiet: bool) -> None:
    """govreports: collect, clean and search Chinese local governments' annual rule-of-law reports."""
    from jobs.logsetup import setup_logging
    try:
        settings = load_settings(config_path).with_db(db_url)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc
    level = "WARNING" if quiet else ("DEBUG" if verbose > 1 else "INFO")
    setup_logging(level)
    obj = Context(settings)
    ctx.obj = obj
    ctx.call_on_close(obj.close)


# --------------------------------------------------------------------------- crawl / parse

@cli.command()
@click.argument("urls", nargs=-1)
@click.option("--source", "source_name", metavar="NAME", help="Crawl a registered source.")
@click.option("--revisit", type=int, metavar="SECONDS",
              help="Revalidate known pages older than this (0: all of them).")
@click.option("--no-parse", is_flag=True, help="Only fetch and capture; parse later.")
@pass_ctx
def crawl(obj: Context, urls: tuple[str, ...], source_name: str | None, revisit: int | None,
          no_parse: bool) -> None:
    """Crawl report columns (URLs) or a registered source once, then parse what was captured.

    Exits non-zero only when nothing at all could be fetched.
    """
    from jobs import tasks
    from storage.models import Source
    from sqlalchemy import select

    db = obj.db
    tasks.recover(db)
    source = None
    if source_name:
        with db.session() as s:
            source = s.scalar(select(Source).where(Source.name == source_name))
        if source is None:
            raise click.UsageError(f"no source named {source_name!r} (see: govreports sources list)")
        urls = tuple(source.start_urls or ()) + urls
    if not urls:
        raise click.UsageError("give at least one URL, or --source NAME")
    summary = tasks.crawl(obj.settings, db, list(urls), source=source, revisit_seconds=revisit,
                          parse=not no_parse)
    f = summary.fetch
    click.echo(f"run {summary.run_id}: {summary.status}")
    click.echo(f"  requests:        {f.get('fetch/requests', 0)}")
    click.echo(f"  pages fetched:   {f.get('fetch/pages', 0)}")
    click.echo(f"  not modified:    {f.get('fetch/not_modified', 0)}")
    click.echo(f"  new reports:     {summary.parse.new_reports}")
    click.echo(f"  updated reports: {summary.parse.updated_reports}")
    click.echo(f"  duplicates:      {summary.parse.duplicates}")
    errors = summary.fetch_errors + summary.parse.errors
    click.echo(f"  errors:          {len(errors)}")
    for err in errors:
        click.echo(f"    {err}")
    for key in sorted(k for k in f if k.startswith("fetch/requests_per_host/")):
        click.echo(f"  requests to {key.rsplit('/', 1)[1]}: {f[key]}")
    if summary.error:
        click.echo(f"  {summary.error}", err=True)
    if summary.pages_fetched == 0 and f.get("fetch/not_modified", 0) == 0:
        sys.exit(1)


@cli.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--url", "urls", multiple=True, metavar="URL",
              help="The URL a file was published at (once, or once per file).")
def parse(files: tuple[str, ...], urls: tuple[str, ...]) -> None:
    """Parse HTML, PDF, Word, OFD or text FILES (or - for stdin) to JSON lines on stdout."""
    from pipeline.process import parse_document
    from pipeline.records import ParseFailure, Skipped

    if urls and len(urls) not in (1, len(files)):
        raise click.UsageError("give --url once, or once per file")
    failed = False
    for i, name in enumerate(files):
        url = urls[i] if len(urls) == len(files) else (urls[0] if urls else None)
        try:
            body = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            click.echo(f"read: {name}: {exc.strerror}", err=True)
            failed = True
            continue
        try:
            result = parse_document(body, url=url, filename=None if name == "-" else Path(name).name)
        except ParseFailure as exc:
            click.echo(f"{exc.stage}: {name}: {exc.reason}", err=True)
            failed = True
            continue
        if isinstance(result, Skipped):
            click.echo(f"{result.stage}: {name}: skipped: {result.reason}", err=True)
            failed = True
            continue
        click.echo(json.dumps(document_json(result, source=name), ensure_ascii=False))
    if failed:
        sys.exit(1)


def document_json(doc, *, source: str | None = None) -> dict[str, Any]:
    out = {
        "title": doc.title, "issuer": doc.issuer, "report_year": doc.report_year,
        "published_at": doc.published_at.isoformat() if doc.published_at else None,
        "kind": doc.kind, "region_code": doc.region_code, "region_name": doc.region_name,
        "addressee": doc.addressee, "signature": doc.signature,
        "sections": [list(s) for s in doc.sections], "keywords": list(doc.keywords),
        "attachments": [{"url": a.url, "text": a.text} for a in doc.attachments],
        "format": doc.source_format, "status": doc.status, "text": doc.text,
    }
    if source is not None:
        out["file"] = source
    return out


@cli.command()
@click.option("--all", "reparse_all", is_flag=True,
              help="Parse every stored capture again (after a better cleaning rule).")
@pass_ctx
def reparse(obj: Context, reparse_all: bool) -> None:
    """Parse pending captures now (with --all, every capture again: no re-crawl needed)."""
    from jobs import tasks
    if reparse_all:
        n = tasks.reset_parse_state(obj.db)
        click.echo(f"{n} captures marked for parsing")
    summary = tasks.parse_pending(obj.settings, obj.db)
    click.echo(json.dumps(summary.counters()))


# --------------------------------------------------------------------------- query

def _filter_options(func):
    for option in reversed([
        click.option("--year", type=int, help="Report year (the year reported on)."),
        click.option("--issuer", help="Issuer, or part of it."),
        click.option("--region", metavar="CODE", help="Division code prefix: 50, 5001, 500117."),
        click.option("--kind", type=click.Choice(KIND_CHOICES)),
        click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]),
                     help="Published on or after (YYYY-MM-DD)."),
        click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]),
                     help="Published on or before (YYYY-MM-DD)."),
    ]):
        func = option(func)
    return func


def _filters(year, issuer, region, kind, date_from, date_to):
    from storage.search import Filters
    return Filters(year=year, issuer=issuer, region=region, kind=kind,
                   date_from=date_from.date() if date_from else None,
                   date_to=date_to.date() if date_to else None)


@cli.command()
@click.argument("query", required=False, default="")
@_filter_options
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON lines (the default when not a terminal).")
@pass_ctx
def search(obj: Context, query: str, year, issuer, region, kind, date_from, date_to, limit: int,
           as_json: bool) -> None:
    """Full-text search in Chinese: words, "phrases", OR, NOT; with filters."""
    from pipeline.tokens import make_tokenizer
    from storage.search import search as run_search

    tokenizer = make_tokenizer(obj.settings.search.tokenizer)
    with obj.db.session() as s:
        hits = run_search(s, query, tokenizer=tokenizer,
                          filters=_filters(year, issuer, region, kind, date_from, date_to),
                          limit=limit, snippet_chars=obj.settings.search.snippet_chars)
    if as_json or not sys.stdout.isatty():
        for h in hits:
            click.echo(json.dumps({
                "id": h.report_id, "title": h.title, "issuer": h.issuer,
                "report_year": h.report_year,
                "published_at": h.published_at.isoformat() if h.published_at else None,
                "kind": h.kind, "region_code": h.region_code, "score": h.score,
                "snippet": h.snippet}, ensure_ascii=False))
        return
    if not hits:
        click.echo("no reports found")
        return
    for h in hits:
        date = h.published_at.isoformat() if h.published_at else "          "
        click.echo(f"{h.report_id:>6}  {h.report_year or '    '}  {date}  {h.kind:<14} {h.title or ''}")
        if h.snippet:
            click.echo(f"        {h.snippet}")


@cli.command()
@click.argument("report_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def show(obj: Context, report_id: int, as_json: bool) -> None:
    """Show one report: fields, text, publications and versions."""
    from storage.queries import report_detail
    with obj.db.session() as s:
        detail = report_detail(s, report_id)
    if detail is None:
        raise click.ClickException(f"no report with id {report_id}")
    if as_json:
        click.echo(json.dumps(detail, ensure_ascii=False, default=str, indent=1))
        return
    for key in ("title", "issuer", "region_name", "region_code", "report_year", "published_at",
                "kind", "content_sha256"):
        click.echo(f"{key:>15}: {detail.get(key)}")
    pubs = detail.get("publications", [])
    click.echo(f"   publications: {len(pubs)}")
    for p in pubs:
        flag = "official" if p.get("official") else "unofficial"
        reason = p.get("merge_reason") or {}
        click.echo(f"    - {p.get('url')} ({flag}{', attachment' if p.get('is_attachment') else ''})"
                   f" first seen {p.get('first_seen')}"
                   f"{'; merged: ' + json.dumps(reason, ensure_ascii=False) if reason else ''}")
    versions = detail.get("versions", [])
    click.echo(f"       versions: {len(versions)}")
    for v in versions:
        click.echo(f"    - #{v.get('id')} {v.get('created_at')} {str(v.get('content_sha256'))[:12]}")
    click.echo("")
    click.echo(detail.get("text") or "")


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet", "warc"]),
              default="jsonl", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File (default: stdout).")
@click.option("--query", default=None, help="Only reports matching this full-text query.")
@_filter_options
@pass_ctx
def export(obj: Context, fmt: str, output: str | None, query: str | None, year, issuer, region,
           kind, date_from, date_to) -> None:
    """Export reports as JSON lines, CSV, Parquet, or their raw captures as WARC."""
    from storage import export as exporters
    from storage.queries import export_rows

    filters = _filters(year, issuer, region, kind, date_from, date_to)
    tokenizer = None
    if query:
        from pipeline.tokens import make_tokenizer
        tokenizer = make_tokenizer(obj.settings.search.tokenizer)
    if fmt in ("parquet", "warc") and not output:
        raise click.UsageError(f"--format {fmt} needs -o FILE")
    with obj.db.session() as s:
        rows = export_rows(s, filters, query=query, tokenizer=tokenizer)
        if fmt == "parquet":
            exporters.write_parquet(rows, output)
        elif fmt == "warc":
            ids = [r["id"] for r in rows]
            with open(output, "wb") as fh:
                exporters.write_warc(s, ids, fh)
        else:
            writer = exporters.write_jsonl if fmt == "jsonl" else exporters.write_csv
            if output:
                with open(output, "w", encoding="utf-8", newline="") as fh:
                    writer(rows, fh)
            else:
                writer(rows, sys.stdout)


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def status(obj: Context, as_json: bool) -> None:
    """What the database holds: sources, runs, captures, reports."""
    from storage.queries import status as read_status
    with obj.db.session() as s:
        info = read_status(s)
    info["database"] = _safe_url(obj.settings.database.url)
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, default=str, indent=1))
        return
    _echo_tree(info)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


def _echo_tree(data: Any, indent: int = 0) -> None:
    pad = "  " * indent
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, (dict, list)) and value:
                click.echo(f"{pad}{key}:")
                _echo_tree(value, indent + 1)
            else:
                click.echo(f"{pad}{key}: {value}")
    elif isinstance(data, list):
        for item in data:
            if isinstance(item, (dict, list)):
                _echo_tree(item, indent + 1)
                click.echo("")
            else:
                click.echo(f"{pad}- {item}")


@cli.group(invoke_without_command=True)
@click.option("--limit", type=int, default=20, show_default=True)
@click.pass_context
def runs(ctx: click.Context, limit: int) -> None:
    """Crawl runs: start, end, status, pages, new and updated reports, errors."""
    if ctx.invoked_subcommand is not None:
        return
    from storage.runs import list_runs
    obj: Context = ctx.obj
    with obj.db.session() as s:
        rows = list_runs(s, limit=limit)
        click.echo(f"{'id':>5}  {'status':<10} {'trigger':<9} {'started (UTC)':<19}  {'finished':<19}"
                   f"  {'pages':>5} {'new':>4} {'upd':>4} {'err':>4}")
        for r in rows:
            st = r.stats or {}
            errors = st.get("fetch/errors", 0) + st.get("parse/failed", 0)
            click.echo(f"{r.id:>5}  {r.status:<10} {r.trigger:<9} {_t(r.started_at):<19}  "
                       f"{_t(r.finished_at):<19}  {st.get('fetch/pages', 0):>5} "
                       f"{st.get('parse/new_reports', 0):>4} {st.get('parse/updated_reports', 0):>4} "
                       f"{errors:>4}")


def _t(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


@runs.command("show")
@click.argument("run_id", type=int)
@pass_ctx
def runs_show(obj: Context, run_id: int) -> None:
    """Details of one run, with its failed captures."""
    from sqlalchemy import select
    from storage.models import Capture
    from storage.runs import get_run
    with obj.db.session() as s:
        run = get_run(s, run_id)
        if run is None:
            raise click.ClickException(f"no run with id {run_id}")
        click.echo(f"run {run.id}: {run.status} ({run.trigger}), pid {run.pid} on {run.hostname}")
        click.echo(f"  started  {_t(run.started_at)}  finished {_t(run.finished_at)}")
        click.echo(f"  start urls: {', '.join(run.start_urls or [])}")
        if run.error:
            click.echo(f"  error: {run.error}")
        for key, value in sorted((run.stats or {}).items()):
            click.echo(f"  {key}: {value}")
        bad = s.execute(select(Capture.url, Capture.fetch_error, Capture.parse_error)
                        .where(Capture.run_id == run_id)
                        .where((Capture.fetch_error.is_not(None)) | (Capture.parse_state == "failed"))
                        .order_by(Capture.id)).all()
        for url, ferr, perr in bad:
            click.echo(f"  ! {ferr or perr}")


# --------------------------------------------------------------------------- sources

@cli.group()
def sources() -> None:
    """The registry of government sites to crawl."""


@sources.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def sources_list(obj: Context, as_json: bool) -> None:
    from storage.sources import list_sources
    with obj.db.session() as s:
        rows = [_source_dict(src) for src in list_sources(s)]
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    for row in rows:
        mark = "verified" if row["verified"] else "unverified"
        click.echo(f"{row['name']:<32} {mark:<10} {row['division_code'] or '-':<7} "
                   f"{row['issuer'] or ''}  {' '.join(row['start_urls'])}")


@sources.command("show")
@click.argument("name")
@pass_ctx
def sources_show(obj: Context, name: str) -> None:
    from storage.sources import get_source
    with obj.db.session() as s:
        src = get_source(s, name)
        if src is None:
            raise click.ClickException(f"no source named {name!r}")
        click.echo(json.dumps(_source_dict(src), ensure_ascii=False, indent=1))


@sources.command("add")
@click.argument("name")
@click.argument("urls", nargs=-1, required=True)
@click.option("--issuer")
@click.option("--division", "division_code", metavar="CODE", help="Administrative division code.")
@click.option("--schedule", help="'every 24h' or 'cron: 0 3 * * *' (default: daily with jitter).")
@click.option("--queue", help="Worker queue for this source's crawls.")
@pass_ctx
def sources_add(obj: Context, name: str, urls: tuple[str, ...], issuer: str | None,
                division_code: str | None, schedule: str | None, queue: str | None) -> None:
    """Add a source NAME with its start URLs (a home page, or known report columns)."""
    from jobs.scheduler import parse_schedule
    from storage.sources import SourceSpec, add_source
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise click.UsageError(f"not an http(s) URL: {url}")
    if schedule:
        try:
            parse_schedule(schedule, default_interval_seconds=1, jitter_seconds=0)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
    try:
        with obj.db.session() as s:
            add_source(s, SourceSpec(name=name, start_urls=urls, issuer=issuer,
                                     division_code=division_code, schedule=schedule, queue=queue))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"added source {name}")


@sources.command("remove")
@click.argument("name")
@pass_ctx
def sources_remove(obj: Context, name: str) -> None:
    from storage.sources import remove_source
    with obj.db.session() as s:
        if not remove_source(s, name):
            raise click.ClickException(f"no source named {name!r}")
    click.echo(f"removed source {name}")


@sources.command("import")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False))
@pass_ctx
def sources_import(obj: Context, file: str | None) -> None:
    """Add or update sources from a registry file (default: the starter registry)."""
    from jobs.registry import STARTER_REGISTRY, RegistryError, load_registry
    from storage.sources import upsert_sources
    try:
        specs = load_registry(Path(file) if file else STARTER_REGISTRY)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from exc
    with obj.db.session() as s:
        added, updated = upsert_sources(s, specs)
    click.echo(f"{added} sources added, {updated} updated")


def _source_dict(src) -> dict[str, Any]:
    return {"name": src.name, "issuer": src.issuer, "division_code": src.division_code,
            "start_urls": list(src.start_urls or []), "known_columns": list(src.known_columns or []),
            "verified": bool(src.verified), "schedule": src.schedule, "queue": src.queue,
            "hints": dict(src.hints or {})}


# --------------------------------------------------------------------------- service

@cli.command()
@pass_ctx
def serve(obj: Context) -> None:
    """Run the service: scheduled crawls of every source, parsing of pending captures."""
    from jobs.logsetup import setup_logging
    from jobs.service import run_service
    setup_logging("INFO", log_file=obj.settings.path(obj.settings.service.log_file),
                  stream=sys.stdout)
    sys.exit(run_service(obj.settings))


def main(argv: Iterable[str] | None = None) -> None:
    cli.main(args=list(argv) if argv is not None else None, prog_name="govreports")


if __name__ == "__main__":
    main()
