"""The `govreports` command line."""
from __future__ import annotations

import contextlib
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

# `crawl` exit statuses besides 0 and 1 (nothing could be fetched).
EXIT_BUSY = 75  # EX_TEMPFAIL: the source is being crawled by another process; try again later
EXIT_INTERRUPTED = 130


@cli.command()
@click.argument("urls", nargs=-1)
@click.option("--source", "source_name", metavar="NAME|URL",
              help="Crawl a registered source (by name, or by one of its start URLs).")
@click.option("--revisit", type=int, metavar="SECONDS",
              help="Revalidate known pages older than this (0: all of them).")
@click.option("--no-parse", is_flag=True, help="Only fetch and capture; parse later.")
@click.option("--wait", is_flag=True,
              help="If the source is being crawled already (by the service or another crawl), "
                   "wait for that crawl to end instead of exiting with status 75.")
@pass_ctx
def crawl(obj: Context, urls: tuple[str, ...], source_name: str | None, revisit: int | None,
          no_parse: bool, wait: bool) -> None:
    """Crawl report columns (URLs) or a registered source once, then parse what was captured.

    Works whether or not `govreports serve` is running, and never beside another crawl of the same
    source. Shows progress bars on a terminal. Exits 1 when nothing at all could be fetched, 75 when
    the source is being crawled already (see --wait), 130 when interrupted.
    """
    import signal
    import threading

    from jobs import tasks
    from jobs.progress import console_logging, progress_for

    db = obj.db
    tasks.recover(db, obj.settings)
    with db.session() as s:
        source = _find_source(s, source_name, urls)
        if source_name:
            urls = tuple(source.start_urls or ()) + urls
    if not urls:
        raise click.UsageError("give at least one URL, or --source NAME")
    stop = threading.Event()

    def _stop(signum, _frame) -> None:
        click.echo(f"{signal.Signals(signum).name}: stopping the crawl", err=True)
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    progress = progress_for(f"run of {source.name}" if source else "crawl",
                            interval=obj.settings.service.progress_log_seconds)
    try:
        with console_logging(progress):
            summary = tasks.crawl(obj.settings, db, list(urls), source=source,
                                  revisit_seconds=revisit, parse=not no_parse, wait=wait,
                                  stop=stop, progress=progress)
    except tasks.CrawlBusy as busy:
        if stop.is_set():
            sys.exit(EXIT_INTERRUPTED)
        click.echo(f"not crawling: {busy}. Try again later, or pass --wait.", err=True)
        sys.exit(EXIT_BUSY)
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
    if summary.status == "interrupted":
        sys.exit(EXIT_INTERRUPTED)
    nothing = summary.pages_fetched == 0 and f.get("fetch/not_modified", 0) == 0
    if nothing and (summary.unreachable or summary.status == "failed"):
        sys.exit(1)  # (nothing requested, because every page is fresh, is not a failure)


def _find_source(session, name_or_url: str | None, urls: tuple[str, ...]):
    """The source to crawl: --source by name or start URL; else the source whose start URL is the
    first URL given that is one (so `crawl URL` takes that source's lock); else None."""
    from sqlalchemy import select
    from storage.models import Source
    if name_or_url:
        source = session.scalar(select(Source).where(Source.name == name_or_url))
        if source is None and name_or_url.startswith(("http://", "https://")):
            source = _source_with_url(session, name_or_url)
        if source is None:
            raise click.UsageError(f"no source named {name_or_url!r} or with that start URL "
                                   f"(see: govreports sources list)")
        return source
    for url in urls:
        source = _source_with_url(session, url)
        if source is not None:
            return source
    return None


def _source_with_url(session, url: str):
    from sqlalchemy import select
    from storage.models import Source
    for source in session.scalars(select(Source).order_by(Source.id)):
        if url in (source.start_urls or []):
            return source
    return None


@cli.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--url", "urls", multiple=True, metavar="URL",
              help="The URL a file was published at (once, or once per file).")
@click.option("--no-keywords", is_flag=True,
              help="Skip keywords (saves loading the jieba dictionary, about a second).")
@pass_ctx
def parse(obj: Context, files: tuple[str, ...], urls: tuple[str, ...], no_keywords: bool) -> None:
    """Parse HTML, PDF, Word, OFD or text FILES (or - for stdin) to JSON lines on stdout.

    Needs no database: nothing is stored.
    """
    from jobs.parsing import parse_options
    from pipeline.process import parse_document
    from pipeline.records import ParseFailure, Skipped

    options = parse_options(obj.settings)
    tokenizer = None
    if not no_keywords:
        from pipeline.tokens import make_tokenizer
        tokenizer = make_tokenizer(obj.settings.search.tokenizer)
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
            result = parse_document(body, url=url, filename=None if name == "-" else Path(name).name,
                                    options=options, tokenizer=tokenizer)
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
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0, help="Skip this many hits (paging).")
@click.option("--count", "count_only", is_flag=True, help="Print only how many reports match.")
@click.option("--rank-all", is_flag=True,
              help="Rank every match on every word, however common (slower on a large collection).")
@click.option("--json", "as_json", is_flag=True, help="JSON lines (the default when not a terminal).")
@pass_ctx
def search(obj: Context, query: str, year, issuer, region, kind, date_from, date_to, limit: int,
           offset: int, count_only: bool, rank_all: bool, as_json: bool) -> None:
    """Full-text search in Chinese: words, "phrases", OR, NOT; with filters. Ranked on the words
    that are not in most reports; newest first when all are."""
    from pipeline.tokens import make_tokenizer
    from storage.search import QueryError, count_matches
    from storage.search import search as run_search

    tokenizer = make_tokenizer(obj.settings.search.tokenizer)
    filters = _filters(year, issuer, region, kind, date_from, date_to)
    terminal = not as_json and sys.stdout.isatty()
    try:
        with obj.db.session() as s:
            if count_only:
                click.echo(count_matches(s, query, tokenizer=tokenizer, filters=filters))
                return
            hits = run_search(s, query, tokenizer=tokenizer, filters=filters, limit=limit,
                              offset=offset, snippet_chars=obj.settings.search.snippet_chars,
                              rank_window=None if rank_all else 0, rank_common=rank_all)
            total = count_matches(s, query, tokenizer=tokenizer, filters=filters) if terminal else None
    except QueryError as exc:
        raise click.BadParameter(str(exc), param_hint="QUERY") from exc
    if not terminal:
        for h in hits:
            click.echo(json.dumps({
                "id": h.report_id, "title": h.title, "issuer": h.issuer,
                "report_year": h.report_year,
                "published_at": h.published_at.isoformat() if h.published_at else None,
                "kind": h.kind, "region_code": h.region_code, "score": h.score,
                "snippet": h.snippet}, ensure_ascii=False))
        return
    if not hits:
        click.echo("no reports found" if not total else f"{total} reports match; none after {offset}")
        return
    for h in hits:
        date = h.published_at.isoformat() if h.published_at else "          "
        click.echo(f"{h.report_id:>6}  {h.report_year or '    '}  {date}  {h.kind:<14} {h.title or ''}")
        if h.snippet:
            click.echo(f"        {h.snippet}")
    click.echo(f"{offset + 1}-{offset + len(hits)} of {total} reports"
               + (f" (next page: --offset {offset + len(hits)})" if offset + len(hits) < (total or 0) else ""))


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
        click.echo(f"    - #{p.get('id')} {p.get('url')} ({flag}"
                   f"{', attachment' if p.get('is_attachment') else ''}"
                   f"{', shown' if p.get('shown') else ''}) first seen {p.get('first_seen')}, "
                   f"last seen {p.get('last_seen')}")
        click.echo(f"      why here: {_merge_reason_text(p.get('merge_reason') or {})}")
    versions = detail.get("versions", [])
    click.echo(f"       versions: {len(versions)}")
    for v in versions:
        click.echo(f"    - #{v.get('id')} {v.get('created_at')} {str(v.get('content_sha256'))[:12]}"
                   f" of publication #{v.get('publication_id')}, {v.get('chars')} characters"
                   + (f", +{v.get('lines_added')} -{v.get('lines_removed')} lines"
                      if v.get('diff_chars') else ""))
    click.echo("")
    click.echo(detail.get("text") or "")


def _merge_reason_text(reason: dict[str, Any]) -> str:
    """A publication's merge_reason in words: how it came to this report, then earlier steps."""
    parts = []
    while isinstance(reason, dict) and reason:
        method = reason.get("method")
        if method == "first":
            text = "first publication of the report"
        elif method == "exact":
            text = "same text (exact content hash)"
        elif method == "near":
            text = f"near duplicate, similarity {reason.get('score')}"
        elif method == "split":
            text = f"split off report {reason.get('was_report')} at {reason.get('at')}"
        else:
            text = str(method)
        if reason.get("reason") and method in ("exact", "near"):
            text += f" ({reason['reason']})"
        if reason.get("job"):
            text += f", merged by the {reason['job']} job from report {reason.get('was_report')}"
            text += f" at {reason.get('at')}" if reason.get("at") else ""
        if reason.get("note"):
            text += f": {reason['note']}"
        parts.append(text)
        reason = reason.get("previous")
    return "; before that: ".join(parts) or "unknown"


@contextlib.contextmanager
def _parse_lock(obj: Context, label: str):
    """Hold the parse lock (the parse and dedup jobs take it), waiting for it if need be."""
    from jobs.locks import PARSE_LOCK, make_locks
    locks = make_locks(obj.db, obj.settings)
    try:
        with locks.acquire(PARSE_LOCK, label=label, wait=True,
                           on_wait=lambda h: click.echo("waiting for the parse or dedup job", err=True)):
            yield
    finally:
        locks.close()


@cli.command()
@click.option("--batch-size", type=click.IntRange(min=1), default=500, show_default=True,
              help="Reports tokenized per batch.")
@pass_ctx
def reindex(obj: Context, batch_size: int) -> None:
    """Rebuild the full-text index from the stored reports (after changing the tokenizer or its
    dictionary) and measure again which words are too common to rank on."""
    import time

    from pipeline.tokens import make_tokenizer
    from storage.search import common_words, rebuild_index

    tokenizer = make_tokenizer(obj.settings.search.tokenizer)
    start = time.monotonic()
    # The parse job writes index entries as it stores reports: one writer at a time.
    with _parse_lock(obj, "reindex"):
        with obj.db.session() as s:
            n = rebuild_index(s, tokenizer, batch_size=batch_size)
        with obj.db.session() as s:
            common = len(common_words(s))
    click.echo(f"{n} reports indexed with {tokenizer.backend} in {time.monotonic() - start:.1f} s; "
               f"{common} words are in more than half of them and do not rank")


@cli.command()
@click.argument("publication_id", type=int)
@click.option("--note", help="Why (kept with the split).")
@pass_ctx
def split(obj: Context, publication_id: int, note: str | None) -> None:
    """Undo a merge: move publication PUBLICATION_ID (see `show`) and its versions out into a
    report of its own. Re-deduplication never merges it back."""
    from pipeline.tokens import make_tokenizer
    from storage.merges import SplitError, split_publication

    try:
        # The parse and dedup jobs keep an index of reports: wait until none is running.
        with _parse_lock(obj, "split"), obj.db.session() as s:
            out = split_publication(s, publication_id, note=note,
                                    tokenizer=make_tokenizer(obj.settings.search.tokenizer))
    except SplitError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"publication {out.publication_id} split off report {out.old_report_id}: now report "
               f"{out.new_report_id} ({out.versions_moved} versions moved)")


@cli.command()
@click.option("--batch-size", type=click.IntRange(min=1), default=500, show_default=True,
              help="Publications per transaction (progress is saved after each).")
@click.option("--restart", is_flag=True, help="Start over instead of resuming an interrupted run.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def dedup(obj: Context, batch_size: int, restart: bool, as_json: bool) -> None:
    """Re-check the whole collection for reports that are one, and merge them (after a change of
    thresholds or parser). Resumes where an interrupted run stopped; never undoes a split."""
    import signal
    import threading

    from jobs.dedup import run_dedup

    stop = threading.Event()

    def _stop(signum, _frame) -> None:
        click.echo(f"{signal.Signals(signum).name}: stopping after this batch", err=True)
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        summary = run_dedup(obj.settings, obj.db, batch_size=batch_size, restart=restart, stop=stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if as_json:
        click.echo(json.dumps(summary.as_dict(), ensure_ascii=False))
    else:
        if summary.resumed_after is not None:
            click.echo(f"resumed after publication {summary.resumed_after}")
        click.echo(f"publications checked: {summary.visited} in {summary.batches} batches")
        click.echo(f"reports merged:       {len(summary.merged)}")
        for m in summary.merged:
            click.echo(f"  report {m['from']} -> {m['into']} (publication {m['publication']}, "
                       f"{m['method']} {m['score']})")
        click.echo(f"kept apart by splits: {summary.kept_apart}")
        click.echo(f"keys disagree:        {summary.keys_disagree}")
        click.echo(f"without signature:    {summary.without_signature}"
                   + (" (run `govreports reparse --all` to compute them)" if summary.without_signature else ""))
        click.echo("done" if summary.done else "interrupted: run again to resume")
    if not summary.done:
        sys.exit(EXIT_INTERRUPTED)


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
    from storage.search import QueryError, check_query
    try:
        check_query(query, tokenizer)
    except QueryError as exc:
        raise click.BadParameter(str(exc), param_hint="--query") from exc
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
@click.option("--year", type=int, required=True, help="The year reported on.")
@click.option("--region", metavar="CODE", help="Division code prefix: 50, 5001, 500117.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default=None,
              help="Output (default: table on a terminal, JSON otherwise).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File (default: stdout).")
@pass_ctx
def coverage(obj: Context, year: int, region: str | None, fmt: str | None,
             output: str | None) -> None:
    """Which sources published their report on YEAR, and whether before the legal deadline
    (1 April of the following year)."""
    import csv
    from storage.queries import coverage as read_coverage
    with obj.db.session() as s:
        data = read_coverage(s, year=year, region=region)
    fmt = fmt or ("table" if sys.stdout.isatty() and not output else "json")
    out = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        if fmt == "json":
            out.write(json.dumps(data, ensure_ascii=False, default=str, indent=1) + "\n")
        elif fmt == "csv":
            columns = ["source", "issuer", "region_code", "status", "on_time", "found",
                       "published_at", "first_seen", "report_id", "title", "url"]
            writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(data["rows"])
        else:
            click.echo(f"reports on {year}, due before {data['deadline']}", file=out)
            for row in data["rows"]:
                click.echo(f"  {row['status']:<8} {row['region_code'] or '-':<7} {row['source']:<28} "
                           f"{row['published_at'] or '':<10}  {row['title'] or ''}", file=out)
            totals = data["totals"]
            click.echo("totals: " + ", ".join(f"{k} {v}" for k, v in totals.items()), file=out)
            for reg in data["regions"]:
                click.echo(f"  {reg['level']:<8} {reg['region_code']}: found {reg['found']} of "
                           f"{reg['expected']}, on time {reg.get('on_time', 0)}, late "
                           f"{reg.get('late', 0)}, missing {reg.get('missing', 0)}", file=out)
    finally:
        if output:
            out.close()


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def status(obj: Context, as_json: bool) -> None:
    """What the database holds: sources, runs, captures, reports."""
    from storage.queries import status as read_status
    with obj.db.session() as s:
        info = read_status(s)
    info["database"] = _safe_url(obj.settings.database.url)
    info["workers"] = _worker_status(obj)
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, default=str, indent=1))
        return
    _echo_tree(info)


def _worker_status(obj: Context) -> dict[str, Any]:
    """Celery workers, queues and running tasks (asked with a short timeout); no broker: says so."""
    from sqlalchemy import select
    from jobs.worker import cluster_status
    from storage.models import Source
    queues: set[str] = set()
    if obj.settings.worker.broker_url:
        with obj.db.session() as s:
            queues = {q for (q,) in s.execute(select(Source.queue).distinct()) if q}
    return cluster_status(obj.settings, queues=queues)


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
@click.option("--source", "source_name", metavar="NAME", help="Only runs of this source.")
@click.option("--status", type=click.Choice(["running", "succeeded", "failed", "interrupted"]))
@click.option("--json", "as_json", is_flag=True, help="JSON lines.")
@click.pass_context
def runs(ctx: click.Context, limit: int, source_name: str | None, status: str | None,
         as_json: bool) -> None:
    """Crawl runs, newest first: start, end, status, pages, new and updated reports, errors."""
    if ctx.invoked_subcommand is not None:
        return
    from storage.runs import run_rows
    from storage.sources import get_source
    obj: Context = ctx.obj
    with obj.db.session() as s:
        source_id = None
        if source_name:
            src = get_source(s, source_name)
            if src is None:
                raise click.ClickException(f"no source named {source_name!r}")
            source_id = src.id
        rows = run_rows(s, limit=limit, source_id=source_id, status=status)
    if as_json:
        for r in rows:
            click.echo(json.dumps({
                "id": r.id, "source": r.source, "trigger": r.trigger, "status": r.status,
                "started_at": r.started_at.isoformat(),
                "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                "pages": r.pages, "new_reports": r.new_reports,
                "updated_reports": r.updated_reports, "errors": r.errors, "error": r.error},
                ensure_ascii=False))
        return
    click.echo(f"{'id':>5}  {'source':<24} {'status':<11} {'trigger':<9} {'started (UTC)':<19}  "
               f"{'finished':<19}  {'pages':>5} {'new':>4} {'upd':>4} {'err':>4}")
    for r in rows:
        click.echo(f"{r.id:>5}  {(r.source or '-')[:24]:<24} {r.status:<11} {r.trigger:<9} "
                   f"{_t(r.started_at):<19}  {_t(r.finished_at):<19}  {r.pages:>5} "
                   f"{r.new_reports:>4} {r.updated_reports:>4} {r.errors:>4}")


def _t(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


@runs.command("show")
@click.argument("run_id", type=int)
@pass_ctx
def runs_show(obj: Context, run_id: int) -> None:
    """Details of one run, with its failed captures."""
    from sqlalchemy import select
    from storage.models import Capture, Source
    from storage.runs import get_run
    with obj.db.session() as s:
        run = get_run(s, run_id)
        if run is None:
            raise click.ClickException(f"no run with id {run_id}")
        source = s.get(Source, run.source_id) if run.source_id else None
        click.echo(f"run {run.id}: {run.status} ({run.trigger}), pid {run.pid} on {run.hostname}")
        click.echo(f"  source: {source.name if source else '-'}")
        took = (f" ({(run.finished_at - run.started_at).total_seconds():.0f} s)"
                if run.finished_at else "")
        click.echo(f"  started  {_t(run.started_at)}  finished {_t(run.finished_at)}{took}")
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


@cli.command()
@click.option("-Q", "--queues", metavar="A,B",
              help="Queues to serve (default: [worker] queues, else the crawl and parse queues).")
@click.option("-c", "--concurrency", type=click.IntRange(min=1), metavar="N",
              help="Tasks run at once (default: [worker] concurrency).")
@click.option("-n", "--name", metavar="NAME@HOST", help="Worker name (default: unique per process).")
@pass_ctx
def worker(obj: Context, queues: str | None, concurrency: int | None, name: str | None) -> None:
    """Run a Celery worker: crawl tasks (one source each) and parse batches from the broker in
    [worker] broker_url, writing to the shared database."""
    from jobs.worker import WorkerError, run_worker
    if not obj.settings.worker.broker_url:
        raise click.UsageError("no broker configured: set [worker] broker_url in settings.toml or "
                               "GOVREPORTS__WORKER__BROKER_URL, e.g. redis://127.0.0.1:6379/0")
    try:
        sys.exit(run_worker(obj.settings, queues=queues, concurrency=concurrency, name=name,
                            loglevel=logging.getLevelName(logging.getLogger().level)))
    except WorkerError as exc:
        raise click.ClickException(str(exc)) from exc


def main(argv: Iterable[str] | None = None) -> None:
    cli.main(args=list(argv) if argv is not None else None, prog_name="govreports")


if __name__ == "__main__":
    main()
