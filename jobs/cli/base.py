"""What every command shares: the group with its global options, the context (settings read once,
a database opened on first use) and the exit statuses."""
from __future__ import annotations

import threading

import click

from jobs.config import Settings, SettingsError, load_settings

__all__ = ["Context", "pass_ctx", "cli", "KIND_CHOICES", "EXIT_BUSY", "EXIT_INTERRUPTED", "stop_on_signals"]

KIND_CHOICES = ["annual_report", "interpretation", "work_summary", "work_plan", "news", "other"]

# Exit statuses besides 0 and 1 (failed) and 2 (usage).
EXIT_BUSY = 75  # EX_TEMPFAIL: the source is being crawled by another process; try again later
EXIT_INTERRUPTED = 130


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
@click.option("--debug", is_flag=True,
              help="On failure, print the Python traceback too. Env: GOVREPORTS_DEBUG=1.")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None, config_path: str | None, verbose: int,
        quiet: bool, debug: bool) -> None:
    """govreports: collect, clean and search Chinese local governments' annual rule-of-law reports.

    \b
    A failure prints one line (what, where, what to do) and exits with:
      1 failed, 2 usage, 65 bad data (corrupt database), 66 input missing,
      69 unavailable (database unreachable, component missing), 70 internal error,
      73 cannot write (read-only, disk full), 74 I/O error, 75 busy (locked),
      78 configuration, 130 interrupted."""
    from jobs.logsetup import setup_logging
    try:
        settings = load_settings(config_path).with_db(db_url)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc
    level = "WARNING" if quiet else ("DEBUG" if verbose > 1 else "INFO")
    setup_logging(level)
    from jobs.cli.errors import STATE
    STATE["db_url"] = settings.database.url
    obj = Context(settings)
    ctx.obj = obj
    ctx.call_on_close(obj.close)


def stop_on_signals(doing: str) -> threading.Event:
    """An event that SIGINT and SIGTERM set, saying on stderr that the command is *doing* (e.g.
    "stopping the crawl"): long commands pass it down and finish their current step cleanly."""
    import signal

    stop = threading.Event()

    def _stop(signum, _frame) -> None:
        click.echo(f"{signal.Signals(signum).name}: {doing}", err=True)
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    return stop
