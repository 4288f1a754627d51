"""Commands that read the collection: search, show, export, coverage."""
from __future__ import annotations

import json
import sys
from typing import Any

import click

from jobs.cli.base import KIND_CHOICES, Context, cli, pass_ctx


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
    """Find the reports that contain QUERY exactly, as a substring scan would: a run of
    characters is one term (社区矫正 matches only where those four characters stand together, 复议案
    also inside 行政复议案件); spaces separate terms (AND); OR, NOT or -term, (grouping); "quotes"
    keep spaces and punctuation in a phrase. Case and full-width forms are folded. Ranked on the
    words that are not in most reports; newest first when all are.

    \b
    Examples:
      govreports search 社区矫正
      govreports search '社区矫正 OR 安置帮教' --year 2024
      govreports search -- '行政复议 -诉讼'
      govreports search '"COVID-19" 防控' --region 5001
      govreports search 2024年 --count"""
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
    from storage.merges import describe_merge_reason
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
        click.echo(f"      why here: {describe_merge_reason(p.get('merge_reason') or {})}")
    versions = detail.get("versions", [])
    click.echo(f"       versions: {len(versions)}")
    for v in versions:
        click.echo(f"    - #{v.get('id')} {v.get('created_at')} {str(v.get('content_sha256'))[:12]}"
                   f" of publication #{v.get('publication_id')}, {v.get('chars')} characters"
                   + (f", +{v.get('lines_added')} -{v.get('lines_removed')} lines"
                      if v.get('diff_chars') else ""))
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
@click.option("--level", type=click.Choice(["province", "prefecture", "county"]),
              help="Only governments at this level (and their departments).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default=None,
              help="Output (default: table on a terminal, JSON otherwise).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File (default: stdout).")
@pass_ctx
def coverage(obj: Context, year: int, region: str | None, level: str | None, fmt: str | None,
             output: str | None) -> None:
    """For every government that must publish (every province, prefecture and county, and the
    departments found), whether its report on YEAR was published before the legal deadline
    (1 April of the following year): on_time, late, undated, missing, pending, or no_site (no
    site of it is known)."""
    import csv

    from jobs.governments import ensure_divisions, link_sources
    from storage.queries import coverage as read_coverage
    ensure_divisions(obj.db)
    with obj.db.session() as s:
        link_sources(s)
    with obj.db.session() as s:
        data = read_coverage(s, year=year, region=region, level=level)
    fmt = fmt or ("table" if sys.stdout.isatty() and not output else "json")
    out = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        if fmt == "json":
            out.write(json.dumps(data, ensure_ascii=False, default=str, indent=1) + "\n")
        elif fmt == "csv":
            columns = ["issuer", "region_code", "level", "kind", "status", "on_time", "found",
                       "published_at", "first_seen", "report_id", "title", "url", "source", "site",
                       "site_state", "government_id", "parent_code"]
            writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(data["rows"])
        else:
            _coverage_table(data, year, out)
    finally:
        if output:
            out.close()


def _coverage_table(data: dict[str, Any], year: int, out: Any) -> None:
    click.echo(f"reports on {year}, due before {data['deadline']}", file=out)
    for row in data["rows"]:
        who = row["issuer"] or row["source"] or ""
        where = row["title"] or row["site"] or ""
        click.echo(f"  {row['status']:<8} {row['region_code'] or '-':<7} {(row['level'] or '-'):<10} "
                   f"{who:<24} {row['published_at'] or '':<10}  {where}", file=out)
    totals = data["totals"]
    click.echo("totals: " + ", ".join(f"{k} {v}" for k, v in totals.items()), file=out)
    for lvl in data.get("levels", []):
        click.echo(f"  {lvl['level']:<10} {lvl['kind']:<10}: found {lvl['found']} of {lvl['expected']}, "
                   f"on time {lvl['on_time']}, late {lvl['late']}, missing {lvl['missing']}, "
                   f"no known site {lvl['no_site']}", file=out)
    for reg in data["regions"]:
        click.echo(f"  {reg['level']:<8} {reg['region_code']}: found {reg['found']} of "
                   f"{reg['expected']}, on time {reg.get('on_time', 0)}, late "
                   f"{reg.get('late', 0)}, missing {reg.get('missing', 0)}, no known site "
                   f"{reg.get('no_site', 0)}", file=out)
