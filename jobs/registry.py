"""Registry files: TOML lists of sources ([[source]] tables), read into SourceSpec values."""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from storage.sources import SourceSpec

__all__ = ["STARTER_REGISTRY", "RegistryError", "load_registry"]

STARTER_REGISTRY = Path(__file__).resolve().parent / "data" / "starter_sources.toml"
_KEYS = {"name", "issuer", "start_urls", "division_code", "hints", "schedule", "queue"}


class RegistryError(ValueError):
    pass


def load_registry(path: Path) -> list[SourceSpec]:
    """Read a registry file; every problem names the file and the entry."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RegistryError(f"{path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{path}: not valid TOML: {exc}") from exc
    specs: list[SourceSpec] = []
    names: set[str] = set()
    for i, entry in enumerate(data.get("source", []), start=1):
        where = f"{path}: source #{i}"
        unknown = set(entry) - _KEYS
        if unknown:
            raise RegistryError(f"{where}: unknown keys {sorted(unknown)}")
        name = entry.get("name")
        urls = entry.get("start_urls")
        if not isinstance(name, str) or not name:
            raise RegistryError(f"{where}: 'name' is required")
        if name in names:
            raise RegistryError(f"{where}: duplicate name {name!r}")
        if not isinstance(urls, list) or not urls or not all(
                isinstance(u, str) and u.startswith(("http://", "https://")) for u in urls):
            raise RegistryError(f"{where} ({name}): 'start_urls' must be a list of http(s) URLs")
        names.add(name)
        specs.append(SourceSpec(name=name, start_urls=tuple(urls), issuer=entry.get("issuer"),
                                division_code=_str_or_none(entry.get("division_code")),
                                hints=dict(entry.get("hints", {})), schedule=entry.get("schedule"),
                                queue=entry.get("queue")))
    return specs


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
