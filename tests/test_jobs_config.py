"""Settings: settings.toml, environment overrides, errors that name the key."""
from __future__ import annotations

import dataclasses
import tomllib

import pytest

from jobs.config import DEFAULT_SETTINGS_FILE, Settings, SettingsError, load_settings


def test_settings_toml_lists_every_default_and_matches_the_code():
    raw = tomllib.loads(DEFAULT_SETTINGS_FILE.read_text(encoding="utf-8"))
    code = Settings()
    for section in ("database", "crawl", "parse", "search", "service"):
        defaults = dataclasses.asdict(getattr(code, section))
        assert set(raw[section]) == set(defaults), f"[{section}] keys differ from the code"
        for key, value in raw[section].items():
            if section == "database" and key == "url":
                continue  # made absolute against the file's directory
            assert defaults[key] == value, f"{section}.{key}: settings.toml {value!r} != code {defaults[key]!r}"


def test_relative_sqlite_path_is_resolved_against_the_settings_file(tmp_path):
    cfg = tmp_path / "s.toml"
    cfg.write_text('[database]\nurl = "sqlite:///var/x.db"\n')
    assert load_settings(cfg, env={}).database.url == f"sqlite:///{tmp_path / 'var' / 'x.db'}"


@pytest.mark.parametrize("env, check", [
    ({"GOVREPORTS_DB": "postgresql+psycopg://h/db"}, lambda s: s.database.url == "postgresql+psycopg://h/db"),
    ({"GOVREPORTS__CRAWL__DOWNLOAD_DELAY_SECONDS": "2.5"}, lambda s: s.crawl.download_delay_seconds == 2.5),
    ({"GOVREPORTS__CRAWL__OBEY_ROBOTS": "false"}, lambda s: s.crawl.obey_robots is False),
    ({"GOVREPORTS__CRAWL__PROXY": "http://127.0.0.1:3128"}, lambda s: s.crawl.proxy == "http://127.0.0.1:3128"),
    ({"GOVREPORTS__PARSE__BATCH_SIZE": "7"}, lambda s: s.parse.batch_size == 7),
])
def test_environment_overrides(env, check):
    assert check(load_settings(env=env))


@pytest.mark.parametrize("text, env, message", [
    ("[crawl]\nspeed = 3\n", {}, "unknown setting crawl.speed"),
    ("[nope]\n", {}, "unknown settings section [nope]"),
    ("[crawl]\nretry_times = 'three'\n", {}, "setting crawl.retry_times: expected int"),
    ("[crawl]\nobey_robots = 1\n", {}, "setting crawl.obey_robots: expected true or false"),
    ("", {"GOVREPORTS__CRAWL__RETRY_TIMES": "many"}, "setting crawl.retry_times"),
    ("", {"GOVREPORTS__CRAWL": "x"}, "GOVREPORTS__SECTION__KEY"),
])
def test_bad_settings_fail_at_load_naming_the_key(tmp_path, text, env, message):
    cfg = tmp_path / "s.toml"
    cfg.write_text(text)
    with pytest.raises(SettingsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_settings(cfg, env=env)


def test_missing_settings_file_is_an_error(tmp_path):
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "missing.toml", env={})
