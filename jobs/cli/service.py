"""Long-running commands: serve, worker."""
from __future__ import annotations

import logging
import sys

import click

from jobs.cli.base import Context, cli, pass_ctx


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
