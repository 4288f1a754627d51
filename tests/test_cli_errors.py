"""No traceback reaches a user: every command, run against a corrupt database, an unreachable
PostgreSQL server, a missing file or a broken settings file, prints one line and exits with a
documented status."""
from __future__ import annotations

import click
import pytest

from jobs.cli import cli, main
from jobs.cli import errors

DOCUMENTED = {1, 2, errors.EXIT_DATA, errors.EXIT_NOINPUT, errors.EXIT_UNAVAILABLE,
              errors.EXIT_CANTCREAT, errors.EXIT_IOERR, errors.EXIT_TEMPFAIL, errors.EXIT_CONFIG}
# Commands that only run a long-lived process or read nothing stored are given a short life.
SKIP = {"serve", "worker"}


def _value(param: click.Parameter, tmp_path) -> list[str]:
    t = param.type
    if isinstance(t, click.Choice):
        return [str(t.choices[0])]
    if isinstance(t, (click.types.IntParamType, click.IntRange)):
        return ["1"]
    if isinstance(t, click.DateTime):
        return ["2024-01-01"]
    if isinstance(t, (click.Path, click.File)):
        return [str(tmp_path / "missing-input.html")]
    return ["http://127.0.0.1:9/report.html" if "url" in param.name.lower() else "社区矫正"]


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, cmd in sorted(group.commands.items()):
        if name in SKIP:
            continue
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))
            continue
        yield (*prefix, name), cmd


def _argv(path: tuple[str, ...], cmd: click.Command, tmp_path) -> list[str]:
    args = list(path)
    for p in cmd.params:
        if isinstance(p, click.Argument) and p.required:
            args += _value(p, tmp_path) * (1 if p.nargs == 1 else 1)
        elif isinstance(p, click.Option) and p.required:
            args += [p.opts[0], *_value(p, tmp_path)]
    return args


COMMANDS = list(_commands(cli))


@pytest.fixture
def corrupt_db(tmp_path):
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not a database " * 400)
    return f"sqlite:///{path}"


def _run(argv: list[str], capfd) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capfd.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 1), out + err


@pytest.mark.parametrize("path, cmd", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_fails_in_one_line_on_a_corrupt_database(path, cmd, corrupt_db, tmp_path,
                                                                capfd, monkeypatch):
    monkeypatch.delenv("GOVREPORTS_DEBUG", raising=False)
    code, output = _run(["--db", corrupt_db, *_argv(path, cmd, tmp_path)], capfd)
    assert "Traceback" not in output
    assert code in DOCUMENTED, output
    assert code != 0 and output.strip()


@pytest.mark.parametrize("path, cmd", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_fails_in_one_line_when_postgresql_is_unreachable(path, cmd, tmp_path,
                                                                        capfd, monkeypatch):
    monkeypatch.delenv("GOVREPORTS_DEBUG", raising=False)
    url = "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2"
    code, output = _run(["--db", url, *_argv(path, cmd, tmp_path)], capfd)
    assert "Traceback" not in output
    assert code in DOCUMENTED, output


def test_a_broken_settings_file_is_one_line(tmp_path, capfd):
    bad = tmp_path / "settings.toml"
    bad.write_text("[database\nurl = ", encoding="utf-8")
    code, output = _run(["--config", str(bad), "status"], capfd)
    assert "Traceback" not in output and code == 2 and str(bad) in output


def test_debug_shows_the_traceback(corrupt_db, capfd, monkeypatch):
    code, output = _run(["--debug", "--db", corrupt_db, "status"], capfd)
    assert code == errors.EXIT_DATA and "Traceback" in output
    monkeypatch.setenv("GOVREPORTS_DEBUG", "1")
    code, output = _run(["--db", corrupt_db, "status"], capfd)
    assert code == errors.EXIT_DATA and "Traceback" in output


@pytest.mark.parametrize("exc, code, words", [
    (FileNotFoundError(2, "No such file or directory", "/data/report.pdf"), errors.EXIT_NOINPUT,
     "/data/report.pdf"),
    (OSError(28, "No space left on device", "/data/x.parquet"), errors.EXIT_CANTCREAT, "disk full"),
    (OSError(30, "Read-only file system", "/ro/x.db"), errors.EXIT_CANTCREAT, "read-only"),
    (ModuleNotFoundError("No module named 'pyarrow'", name="pyarrow"), errors.EXIT_UNAVAILABLE,
     "pyarrow"),
    (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), errors.EXIT_DATA, "decoded"),
    (ValueError("unexpected"), errors.EXIT_SOFTWARE, "--debug"),
])
def test_failures_are_described(exc, code, words):
    got, line = errors.describe(exc)
    assert got == code and words in line and "\n" not in line


@pytest.mark.parametrize("message, code", [
    ("database is locked", errors.EXIT_TEMPFAIL),
    ("attempt to write a readonly database", errors.EXIT_CANTCREAT),
    ("database or disk is full", errors.EXIT_CANTCREAT),
    ("file is not a database", errors.EXIT_DATA),
    ("database disk image is malformed", errors.EXIT_DATA),
])
def test_sqlite_faults_are_described(message, code):
    import sqlite3

    import sqlalchemy.exc as sa_exc
    exc = sa_exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError(message))
    assert errors.describe(exc)[0] == code
