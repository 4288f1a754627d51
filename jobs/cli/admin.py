"""Commands that look after the collection: reindex, split, dedup, status, runs."""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
from typing import Any

import click

from jobs.cli.base import EXIT_INTERRUPTED, Context, cli, pass_ctx


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
    dictionary) and measure again which words are too common to rank on. On PostgreSQL,
    searches wait until it is done (its indexes are built once, at the end)."""
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
