"""Commands that fetch and parse: crawl, parse, reparse."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from jobs.cli.base import EXIT_BUSY, EXIT_INTERRUPTED, Context, cli, pass_ctx, stop_on_signals


@cli.command()
@click.argument("urls", nargs=-1)
@click.option("--source", "source_name", metavar="NAME|URL",
              help="Crawl a registered source (by name, or by one of its start URLs).")
@click.option("--revisit", type=int, metavar="SECONDS",
              help="Revalidate known pages older than this (0: all of them).")
@click.option("--no-parse", is_flag=True, help="Only fetch and capture; parse later.")
@click.option("--no-ocr", is_flag=True,
              help="Leave scanned documents waiting for OCR (`govreports ocr`, or the service).")
@click.option("--wait", is_flag=True,
              help="If the source is being crawled already (by the service or another crawl), "
                   "wait for that crawl to end instead of exiting with status 75.")
@pass_ctx
def crawl(obj: Context, urls: tuple[str, ...], source_name: str | None, revisit: int | None,
          no_parse: bool, wait: bool, no_ocr: bool = False) -> None:
    """Crawl report columns (URLs) or a registered source once, then parse what was captured.

    Works whether or not `govreports serve` is running, and never beside another crawl of the same
    source. Shows progress bars on a terminal. Exits 1 when nothing at all could be fetched, 75 when
    the source is being crawled already (see --wait), 130 when interrupted.
    """
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
    stop = stop_on_signals("stopping the crawl")
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
    possible = summary.parse.possible_reports
    click.echo(f"  possible reports, not parsed: {len(possible)}")
    for line in possible:
        click.echo(f"    {line}")
    errors = summary.fetch_errors + summary.parse.errors
    click.echo(f"  errors:          {len(errors)}")
    for err in errors:
        click.echo(f"    {err}")
    for key in sorted(k for k in f if k.startswith("fetch/requests_per_host/")):
        click.echo(f"  requests to {key.rsplit('/', 1)[1]}: {f[key]}")
    if summary.parse.needs_ocr or not no_parse:
        _ocr_after_crawl(obj, summary.parse.needs_ocr, skip=no_ocr or no_parse or stop.is_set())
    if summary.error:
        click.echo(f"  {summary.error}", err=True)
    if summary.status == "interrupted":
        sys.exit(EXIT_INTERRUPTED)
    nothing = summary.pages_fetched == 0 and f.get("fetch/not_modified", 0) == 0
    if nothing and (summary.unreachable or summary.status == "failed"):
        sys.exit(1)  # (nothing requested, because every page is fresh, is not a failure)


def _ocr_after_crawl(obj: Context, found: int, *, skip: bool) -> None:
    """The OCR step after a one-off crawl (without a broker; with one, the workers' ocr queue)."""
    from jobs.ocr import run_ocr, waiting_documents
    if skip or obj.settings.worker.broker_url or not obj.settings.ocr.enabled:
        with obj.db.session() as s:
            waiting = waiting_documents(s)
        if waiting:
            click.echo(f"  waiting for OCR: {waiting} (run `govreports ocr`)")
        return
    with obj.db.session() as s:
        if not waiting_documents(s):
            return
    _echo_ocr(run_ocr(obj.settings, obj.db, limit=max(found, obj.settings.ocr.batch_documents)))


def _echo_ocr(summary) -> None:
    click.echo(f"  OCR documents:   {summary.documents} ({summary.pages_read} pages read, "
               f"{summary.pages_reused} read before, {summary.pages_failed} not read)")
    click.echo(f"  OCR new reports: {summary.new_reports}, duplicates: {summary.duplicates}")
    for err in summary.errors:
        click.echo(f"    {err}")
    if summary.waiting:
        click.echo(f"  waiting for OCR: {summary.waiting}")


@cli.command()
@click.option("--limit", type=int, metavar="N", help="Documents to read (default: [ocr] batch_documents).")
@click.option("--all", "read_all", is_flag=True, help="Go on until no document waits.")
@pass_ctx
def ocr(obj: Context, limit: int | None, read_all: bool) -> None:
    """Read documents waiting for OCR (scanned PDFs, pages of page pictures), then store them.

    Pages already read are kept: an interrupted run goes on where it stopped.
    """
    from jobs.ocr import run_ocr
    stop = stop_on_signals("stopping after this page")
    if not obj.settings.ocr.enabled:
        click.echo("OCR is off ([ocr] enabled = false)", err=True)
        sys.exit(1)
    while True:
        summary = run_ocr(obj.settings, obj.db, limit=limit, stop=stop)
        click.echo(f"ocr: {summary.documents} documents")
        _echo_ocr(summary)
        if not read_all or not summary.waiting or stop.is_set() or not (summary.documents or summary.failed):
            break
    if stop.is_set():
        sys.exit(EXIT_INTERRUPTED)


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
    from jobs.parse_sandbox import ParseRunner
    from jobs.parsing import parse_options

    options = parse_options(obj.settings)
    tokenizer = None
    if not no_keywords:
        from pipeline.tokens import make_tokenizer
        tokenizer = make_tokenizer(obj.settings.search.tokenizer)
    if urls and len(urls) not in (1, len(files)):
        raise click.UsageError("give --url once, or once per file")
    # Each file is read in a worker process under [limits], like a crawled body.
    runner = ParseRunner(obj.settings, tokenizer)
    with runner:
        failed = _parse_files(obj, runner, files, urls, options, tokenizer)
    if failed:
        sys.exit(1)


def _parse_files(obj: Context, runner, files, urls, options, tokenizer) -> bool:
    """Print each file's JSON line, or its failure on stderr; True if any failed."""
    from pipeline.records import ParseFailure, Skipped

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
            result = runner.parse(body, url=url, content_type=None,
                                  filename=None if name == "-" else Path(name).name,
                                  options=options)
        except ParseFailure as exc:
            click.echo(f"{exc.stage}: {name}: {exc.reason}", err=True)
            failed = True
            continue
        if isinstance(result, Skipped):
            click.echo(f"{result.stage}: {name}: skipped: {result.reason}", err=True)
            failed = True
            continue
        if result.status == "needs_ocr":
            result = _parse_with_ocr(obj, body, name, url, options, tokenizer) or result
        click.echo(json.dumps(document_json(result, source=name), ensure_ascii=False))
    return failed


def _parse_with_ocr(obj: Context, body: bytes, name: str, url: str | None, options, tokenizer):
    """A scanned PDF read by OCR (nothing stored); None when it cannot be (OCR off, a page of
    pictures, which only a crawl fetches)."""
    from jobs.ocr import ocr_pdf
    from pipeline.process import ocr_plan, parse_document
    from pipeline.records import ParseFailure, Skipped

    filename = None if name == "-" else Path(name).name
    plan = ocr_plan(body, url=url, filename=filename)
    if plan is None or plan.kind != "pdf" or not obj.settings.ocr.enabled:
        why = "OCR is off" if not obj.settings.ocr.enabled else "its pages are pictures on the web"
        click.echo(f"ocr: {name}: needs OCR, not read here: {why}", err=True)
        return None
    try:
        text = ocr_pdf(obj.settings, body, plan.pages)
        result = parse_document(body, url=url, filename=filename, options=options,
                                tokenizer=tokenizer, ocr=text)
    except ParseFailure as exc:
        click.echo(f"{exc.stage}: {name}: {exc.reason}", err=True)
        return None
    if isinstance(result, Skipped):
        click.echo(f"{result.stage}: {name}: skipped after OCR: {result.reason}", err=True)
        return None
    if text.failed_pages:
        click.echo(f"ocr: {name}: pages not read: "
                   + ", ".join(str(n + 1) for n in text.failed_pages), err=True)
    return result


def document_json(doc, *, source: str | None = None) -> dict[str, Any]:
    out = {
        "title": doc.title, "issuer": doc.issuer, "report_year": doc.report_year,
        "published_at": doc.published_at.isoformat() if doc.published_at else None,
        "kind": doc.kind, "region_code": doc.region_code, "region_name": doc.region_name,
        "addressee": doc.addressee, "signature": doc.signature,
        "sections": [list(s) for s in doc.sections], "keywords": list(doc.keywords),
        "attachments": [{"url": a.url, "text": a.text} for a in doc.attachments],
        "format": doc.source_format, "status": doc.status, "text": doc.text,
        # Where the issuer was read ("place": inferred from a title naming only a place) and
        # which extractor gave the text.
        "issuer_source": doc.meta.get("issuer_source") or None, "method": doc.meta.get("method"),
    }
    if doc.meta.get("ocr"):  # read by OCR: which engine, how sure it was
        out["ocr"] = {"engine": doc.meta["ocr"], "pages": int(doc.meta.get("ocr_pages") or 0),
                      "confidence": float(doc.meta["ocr_confidence"])
                      if doc.meta.get("ocr_confidence") else None,
                      "pages_not_read": [int(n) for n in doc.meta.get("ocr_failed_pages", "").split(",") if n]}
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
