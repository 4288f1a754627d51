"""Settings: read once from settings.toml, then the environment, into frozen typed objects.

Nothing else in govreports reads the environment or the settings file; the objects built here are
passed down. Unknown keys and values of the wrong type fail at load, naming the key.
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

__all__ = [
    "Settings", "DatabaseSettings", "CrawlSettings", "ParseSettings", "SearchSettings",
    "ServiceSettings", "WorkerSettings", "DiscoverSettings", "WebSettings", "SettingsError", "load_settings",
    "LimitsSettings",
    "PROJECT_ROOT",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETTINGS_FILE = PROJECT_ROOT / "settings.toml"
ENV_PREFIX = "GOVREPORTS__"


class SettingsError(ValueError):
    """A settings file or environment variable that cannot be used; the message names the key."""


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite:///data/govreports.db"
    busy_timeout_ms: int = 30000
    compression_level: int = 6


@dataclass(frozen=True)
class CrawlSettings:
    user_agent: str = "govreports/0.1 (rule-of-law report collector; +https://pypi.org/project/govreports/)"
    obey_robots: bool = True
    concurrent_requests_per_host: int = 1
    concurrent_requests: int = 8
    download_delay_seconds: float = 1.0
    autothrottle: bool = True
    autothrottle_max_delay_seconds: float = 30.0
    retry_times: int = 3
    download_timeout_seconds: float = 30
    max_response_bytes: int = 50_000_000
    max_requests_per_site: int = 400
    max_list_pages: int = 50
    max_url_length: int = 500
    revisit_seconds: int = 86400
    verify_tls: bool = False
    proxy: str = ""
    refuse_private_addresses: bool = False
    process_timeout_seconds: int = 3600
    process_memory_mb: int = 1024
    log_level: str = "INFO"


@dataclass(frozen=True)
class ParseSettings:
    batch_size: int = 100
    min_report_chars: int = 200


@dataclass(frozen=True)
class SearchSettings:
    tokenizer: str = "auto"
    snippet_chars: int = 60


@dataclass(frozen=True)
class ServiceSettings:
    timezone: str = "Asia/Shanghai"
    misfire_grace_seconds: int = 21600
    crawl_interval_hours: int = 24
    crawl_jitter_seconds: int = 3600
    parse_interval_minutes: int = 30
    log_file: str = "data/govreports.log"
    default_schedule: str = "legal-calendar"
    peak_months: str = "1-4"
    peak_interval_hours: int = 6
    max_concurrent_crawls: int = 4
    takeover_seconds: int = 30
    lock_heartbeat_seconds: int = 10
    lock_stale_seconds: int = 60
    progress_log_seconds: int = 30
    webhook_url: str = ""
    webhook_timeout_seconds: int = 10
    alert_after_failures: int = 3
    report_deadline: str = "04-01"


@dataclass(frozen=True)
class WorkerSettings:
    """Celery workers; settings.toml's [worker] section says why each default is what it is."""

    broker_url: str = ""
    result_backend: str = ""
    crawl_queue: str = "crawl"
    parse_queue: str = "parse"
    queues: str = ""
    concurrency: int = 2
    visibility_timeout_seconds: int = 1800
    max_retries: int = 3
    retry_delay_seconds: int = 60
    host_busy_retry_seconds: int = 20
    host_busy_max_wait_seconds: int = 7200
    parse_lock_wait_seconds: int = 30
    parse_batch_captures: int = 2000
    task_soft_time_limit_seconds: int = 3900
    task_time_limit_seconds: int = 4200
    enqueue_retries: int = 5
    inspect_timeout_seconds: float = 1.0


@dataclass(frozen=True)
class OcrSettings:
    """OCR of scanned reports; settings.toml's [ocr] section says why each default is what it is."""

    enabled: bool = True
    dpi: int = 150
    max_pages: int = 60
    page_seconds: float = 60.0
    threads: int = 1
    max_image_pixels: int = 60_000_000
    batch_documents: int = 20
    interval_minutes: int = 30
    queue: str = "ocr"


@dataclass(frozen=True)
class DiscoverSettings:
    """`sources discover` and the service's discovery; settings.toml's [discover] says why."""

    depth: int = 2
    schedule: str = "cron: 0 3 1 * *"
    on_empty_database: bool = True
    starter_registry: str = ""
    max_requests: int = 100000
    max_pages_per_portal: int = 4
    dead_after_days: int = 60
    process_timeout_seconds: int = 86400
    process_memory_mb: int = 2048


@dataclass(frozen=True)
class WebSettings:
    """The web app and HTTP API (`govreports web`); settings.toml's [web] says why."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 8080
    token: str = ""
    session_secret: str = ""
    allow_private_crawl_urls: bool = False
    max_query_chars: int = 200
    max_page_size: int = 100
    max_offset: int = 10000
    requests_per_minute: int = 600
    writes_per_minute: int = 30
    max_request_bytes: int = 65536
    exact_count_limit: int = 300
    max_web_crawls: int = 2


@dataclass(frozen=True)
class LimitsSettings:
    """Hard limits on parsing one crawled document; settings.toml's [limits] says why."""

    sandbox: bool = True
    workers: int = 1
    memory_mb: int = 1024
    cpu_seconds: float = 60.0
    wall_seconds: float = 90.0
    max_file_bytes: int = 50_000_000
    max_unpacked_bytes: int = 200_000_000
    max_xml_part_bytes: int = 50_000_000
    max_pages: int = 500
    max_glyphs: int = 2_000_000
    max_page_objects: int = 100_000
    max_text_chars: int = 5_000_000


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    parse: ParseSettings = field(default_factory=ParseSettings)
    search: SearchSettings = field(default_factory=SearchSettings)
    service: ServiceSettings = field(default_factory=ServiceSettings)
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    ocr: OcrSettings = field(default_factory=OcrSettings)
    discover: DiscoverSettings = field(default_factory=DiscoverSettings)
    web: WebSettings = field(default_factory=WebSettings)
    limits: LimitsSettings = field(default_factory=LimitsSettings)
    # Directory that relative paths (SQLite file, log file) are resolved against.
    base_dir: Path = PROJECT_ROOT

    def with_db(self, url: str | None) -> "Settings":
        """A copy using another database URL (the --db option)."""
        if not url:
            return self
        return replace(self, database=replace(self.database, url=_resolve_sqlite(url, self.base_dir)))

    def path(self, relative: str) -> Path:
        p = Path(relative)
        return p if p.is_absolute() else self.base_dir / p


_SECTION_TYPES = {
    "database": DatabaseSettings, "crawl": CrawlSettings, "parse": ParseSettings,
    "search": SearchSettings, "service": ServiceSettings, "worker": WorkerSettings,
    "ocr": OcrSettings,
    "discover": DiscoverSettings,
    "web": WebSettings,
    "limits": LimitsSettings,
}


def _coerce(section: str, key: str, value: Any, expected: Any) -> Any:
    name = f"{section}.{key}"
    kind = {"str": str, "int": int, "float": float, "bool": bool}.get(
        expected if isinstance(expected, str) else getattr(expected, "__name__", ""), None)
    if kind is None:
        return value
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise SettingsError(f"setting {name}: expected true or false, got {value!r}")
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, bool):
        raise SettingsError(f"setting {name}: expected an integer, got {value!r}")
    if not isinstance(value, kind):
        raise SettingsError(f"setting {name}: expected {kind.__name__}, got {value!r}")
    return value


def _build(raw: Mapping[str, Any], base_dir: Path) -> Settings:
    sections: dict[str, Any] = {}
    for section, values in raw.items():
        cls = _SECTION_TYPES.get(section)
        if cls is None:
            raise SettingsError(f"unknown settings section [{section}]")
        if not isinstance(values, Mapping):
            raise SettingsError(f"settings section [{section}] must be a table")
        known = {f.name: f.type for f in fields(cls)}
        kwargs = {}
        for key, value in values.items():
            if key not in known:
                raise SettingsError(f"unknown setting {section}.{key}")
            kwargs[key] = _coerce(section, key, value, known[key])
        sections[section] = cls(**kwargs)
    settings = Settings(**sections, base_dir=base_dir)
    db = replace(settings.database, url=_resolve_sqlite(settings.database.url, base_dir))
    return replace(settings, database=db)


def _resolve_sqlite(url: str, base_dir: Path) -> str:
    """Make a relative SQLite path absolute against base_dir, so the service can run from anywhere."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite:///:memory:":
        return prefix + str((base_dir / url[len(prefix):]).resolve())
    return url


def _parse_env_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _env_overrides(env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, value in env.items():
        if name == "GOVREPORTS_DB" and value:
            out.setdefault("database", {})["url"] = value
        elif name.startswith(ENV_PREFIX):
            parts = name[len(ENV_PREFIX):].lower().split("__")
            if len(parts) != 2:
                raise SettingsError(f"environment variable {name}: expected GOVREPORTS__SECTION__KEY")
            out.setdefault(parts[0], {})[parts[1]] = _parse_env_value(value)
    return out


def load_settings(path: str | os.PathLike[str] | None = None,
                  env: Mapping[str, str] | None = None) -> Settings:
    """Read settings.toml (or *path*), then environment overrides, into a Settings object."""
    env = os.environ if env is None else env
    file = Path(path) if path else DEFAULT_SETTINGS_FILE
    raw: dict[str, dict[str, Any]] = {}
    if file.exists():
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{file}: not valid TOML: {exc}") from exc
    elif path:
        raise SettingsError(f"settings file {file} does not exist")
    for section, values in _env_overrides(env).items():
        raw.setdefault(section, {}).update(values)
    return _build(raw, file.resolve().parent if file.exists() else PROJECT_ROOT)


def as_dict(settings: Settings) -> dict[str, Any]:
    """Plain dict of the settings, for handing to a crawl subprocess."""
    data = dataclasses.asdict(settings)
    data["base_dir"] = str(settings.base_dir)
    return data


def from_dict(data: Mapping[str, Any]) -> Settings:
    data = dict(data)
    base_dir = Path(data.pop("base_dir", PROJECT_ROOT))
    return _build(data, base_dir)


# ------------------------------------------------------------------ the CLI's --debug switch

def debug_requested(env: Mapping[str, str] | None = None) -> bool:
    """Whether GOVREPORTS_DEBUG asks for tracebacks (1, true, yes). Read apart from the settings
    file: a broken settings file is one of the failures it helps with."""
    value = (os.environ if env is None else env).get("GOVREPORTS_DEBUG", "")
    return value.strip().lower() in ("1", "true", "yes", "on")
