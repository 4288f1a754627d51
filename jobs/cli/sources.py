"""The `sources` command group: the registry of government sites to crawl."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from jobs.cli.base import Context, cli, pass_ctx


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
