"""`govreports web`: the web app and HTTP API."""
from __future__ import annotations

import click

from jobs.cli.base import Context, cli, pass_ctx


@cli.command()
@click.option("--host", help="Address to listen on (default: [web] host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: [web] port, 8080).")
@pass_ctx
def web(obj: Context, host: str | None, port: int | None) -> None:
    """Serve the web app (search, reports, coverage, sources, runs) and the JSON API under
    /api/v1/ on http://127.0.0.1:8080/. Writes need the [web] token (GOVREPORTS__WEB__TOKEN)."""
    from jobs.tasks import open_db
    from jobs.web import run_web
    open_db(obj.settings).dispose()  # migrations applied before serving
    run_web(obj.settings, host=host, port=port)
