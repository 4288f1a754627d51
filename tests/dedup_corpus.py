"""A labelled near-duplicate set generated from the five seed reports in tests/data/seeds.

Each generated *report* (a ground-truth cluster) is a seed's body rewritten for one county and one
year; each *document* is one publication of a report as a clean pipeline would hand it to dedup,
with the DocKey a field extractor would read from it. What the set contains, and why:

- different reports that share a template: the same seed for other counties of the same city (place
  names swapped, half the figures changed: textually close, told apart only by issuer and region);
- one county's report for another year: years shifted, every figure changed, and either nothing
  else (the hard case, told apart by the year) or 30% of sentences rewritten (the usual case);
- copies of one report: the same clean text, other page chrome (portal, justice bureau), one to three
  edited sentences, traditional characters (OpenCC s2t, s2tw, s2hk), PDF text with broken lines,
  page numbers and running heads, a lost last paragraph, spam clones with advertising lines, and
  combinations of these;
- keys as extraction gives them: issuer in full (重庆市合川区司法局), short (合川区司法局), generic
  (区司法局) or missing; the region code from the issuer's place or the host, sometimes only the
  city's code, none on clones; the year known for 97% of documents.

Content is never reordered. `labelled_corpus()` is the set the tests use; `report_stream()` yields
report-sized documents lazily for the scale benchmark. Both are deterministic for a given seed.
"""
from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from opencc import OpenCC

from pipeline.dedup import DocKey

SEEDS_DIR = Path(__file__).resolve().parent / "data" / "seeds"


@dataclass(frozen=True)
class LabelledDoc:
    text: str
    key: DocKey  # key.doc_id is the document's position in the corpus
    cluster: int  # ground truth: documents with one cluster are one report
    case: str  # how the document was made: "original", "chrome+edit2", "traditional", ...


@dataclass(frozen=True)
class _Seed:
    """How to turn one seed into a template: clean it and find its place names."""

    file: str
    kind: str
    year: int
    level: str  # 县 or 区: generated counties keep the seed's level
    city: str
    code_prefix: str  # the city's 4-digit division code; counties get prefix + 2 digits
    agency: str
    own: tuple[str, str] | None  # (short name, code) of the seed's own county; None if anonymised
    places: tuple[tuple[str, str], ...]  # (text, replacement template), longest first
    head: int  # non-empty title/header lines before the body
    tail: int  # non-empty signature lines after the body
    drop: str  # lines to drop (chrome a crude copy kept), as one regex
    strip: str  # inline artefacts to remove


_SEEDS = (
    _Seed("000_3ac7fe0e181d558b.txt", "annual_report", 2024, "县", "重庆市", "5002", "司法局",
          ("酉阳", "500242"),
          (("酉阳土家族苗族自治县", "{name}县"), ("酉阳县", "{name}县"), ("酉阳", "{name}")),
          2, 0, r"^$", r"\[bookmark: _GoBack\]"),
    _Seed("001_f69bae6f924f58fb.txt", "annual_report", 2024, "区", "重庆市", "5001", "司法局",
          ("合川", "500117"),
          (("重庆市合川区", "{city}{name}区"), ("合川区", "{name}区"), ("合川", "{name}")),
          0, 0, r"^(日期:.*来源:.*|分享文章到|文件下载|相关文档|政策文件|附件下载|(主办|邮编|地址|网站标识码):.*)$",
          r"$^"),
    _Seed("002_e4762b63c45e50c0.txt", "annual_report", 2023, "县", "重庆市", "5002", "人民政府",
          ("酉阳", "500242"),
          (("酉阳土家族苗族自治县", "{name}县"), ("酉阳县", "{name}县"), ("酉阳", "{name}")),
          2, 2, r"^$", r"\*\*"),
    _Seed("003_fe20c6ad95ac04ac.txt", "annual_report", 2024, "县", "河源市", "4416", "司法局",
          ("和平", "441624"),
          (("河源市和平县", "{city}{name}县"), ("和平县", "{name}县"), ("和平", "{name}")),
          1, 2, r"^作者:.*浏览次数.*$", r"$^"),
    _Seed("004_d4b381be0c82ea30.txt", "work_summary", 2023, "区", "临江市", "3399", "司法局",
          None,
          (("党的XX大", "党的二十大"), ("XX区", "{name}区"), ("XX市", "{city}"), ("XX", "{name}")),
          1, 0, r"^##paidend##$", r"$^"),
)

# Two-character place names for generated counties (not real county names, no level characters).
_NAMES = (
    "青川", "临溪", "松林", "白沙", "石门", "龙泉", "安澜", "平阳", "长宁", "云台", "桃源", "凤鸣",
    "金沙", "清河", "永和", "兴隆", "东坪", "南岭", "西岩", "北津", "玉溪", "花溪", "柳江", "梅岭",
    "竹山", "兰亭", "荷塘", "枫林", "杏坛", "槐荫", "桂阳", "棠溪", "丹霞", "紫阳", "青峰", "碧水",
    "黄岩", "赤水", "蓝田", "翠屏", "银川", "铜梁", "铁山", "锦屏", "绣湖", "珠江", "宝丰", "瑞安",
)
_DATES = ("2025-01-24", "2025-02-05", "2025-03-18", "2024-12-30", "2025-04-02", "2024-03-28")
_ADS = (
    "本文来源于网络，版权归原作者所有，如有侵权请联系删除。",
    "更多精品范文请访问第一范文网，海量文档免费下载。",
    "文档可自由编辑打印，下载后请仔细核对。",
    "关注公众号“公文写作宝典”，获取更多材料。",
    "##paidend##",
    "本站所有资源均来自网友上传，仅供学习参考。",
)
_EDIT_CLAUSES = ("，取得明显成效", "，群众满意度进一步提升", "，形成一批可复制可推广的经验做法",
                 "，相关做法被市级媒体报道", "，切实增强了人民群众获得感")
_NEW_SENTENCES = ("全年未发生重大涉法涉诉事件。", "相关工作得到上级部门充分肯定。",
                  "同时，注重总结提炼经验做法，形成长效机制。", "各项工作均按时间节点有序推进。")


@dataclass(frozen=True)
class _County:
    name: str
    code: str
    full_name: str  # 酉阳土家族苗族自治县 for the seed's own county, else name + level


@dataclass(frozen=True)
class _Report:
    cluster: int
    seed: _Seed
    county: _County
    year: int
    text: str


def _clean_seed(seed: _Seed) -> str:
    lines = (SEEDS_DIR / seed.file).read_text(encoding="utf-8").splitlines()
    lines = [re.sub(seed.strip, "", line).rstrip() for line in lines]
    lines = [line for line in lines if line.strip() and not re.match(seed.drop, line.strip())]
    return "\n".join(lines[seed.head: len(lines) - seed.tail])


@functools.cache
def _bodies() -> tuple[str, ...]:
    return tuple(_clean_seed(seed) for seed in _SEEDS)


@functools.cache
def _sentence_pool() -> tuple[str, ...]:
    """Sentences of all seeds that name no place: material for rewritten sentences."""
    places = ("酉阳", "合川", "和平", "河源", "重庆", "XX")
    pool = []
    for body in _bodies():
        for sent in _sentences(body):
            if len(sent) >= 20 and not any(p in sent for p in places) and "\n" not in sent.strip():
                pool.append(sent.strip())
    return tuple(pool)


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[。；！？\n])", text) if s]


@functools.cache
def _converter(name: str) -> OpenCC:
    return OpenCC(name)


def _place(seed: _Seed, text: str, county: _County) -> str:
    if seed.own and county.name == seed.own[0]:
        return text
    for old, new in seed.places:
        text = text.replace(old, new.format(name=county.name, city=seed.city))
    return text


def _perturb_numbers(text: str, rng: random.Random, fraction: float) -> str:
    """Other figures: each number except years changes with probability `fraction`."""
    def change(m: re.Match[str]) -> str:
        value = m.group()
        if re.fullmatch(r"(19|20)\d\d", value) or rng.random() >= fraction:
            return value
        if "." in value:
            whole, frac = value.split(".")
            return f"{max(0, int(whole) + rng.randint(1, 9))}.{rng.randint(0, 10 ** len(frac) - 1):0{len(frac)}d}"
        return str(int(value) + rng.randint(1, max(2, int(value) // 3 + 1)))
    return re.sub(r"\d+(?:\.\d+)?", change, text)


def _shift_years(text: str, shift: int) -> str:
    return re.sub(r"(?<!\d)(20\d\d)(?!\d)", lambda m: str(int(m.group()) + shift), text) if shift else text


def _rewrite(text: str, rng: random.Random, fraction: float) -> str:
    """Replace `fraction` of the sentences by others (another year's or county's wording)."""
    if not fraction:
        return text
    pool = _sentence_pool()
    out = []
    for sent in _sentences(text):
        if len(sent) >= 20 and rng.random() < fraction:
            sent = rng.choice(pool) + ("\n" if sent.endswith("\n") else "")
        out.append(sent)
    return "".join(out)


def _issuer_forms(report: _Report) -> dict[str, str]:
    seed, county = report.seed, report.county
    level = seed.level
    return {
        "full": f"{seed.city}{county.full_name}{seed.agency}",
        "short": f"{county.name}{level}{seed.agency}",
        "generic": f"{level}{seed.agency}",
    }


def _key(rng: random.Random, report: _Report, doc_id: int, case: str) -> DocKey:
    """The key extraction reads: the issuer from the title or signature, the region from the
    issuer's place name (a gazetteer lookup, which misses 5% of names) or else from the host (an
    official site's county, 5% only its city; a clone's host says nothing), the year from the title."""
    forms = _issuer_forms(report)
    clone = "clone" in case
    form = rng.choices(("full", "short", "generic", None),
                       weights=(0.1, 0.5, 0.1, 0.3) if clone else (0.35, 0.35, 0.15, 0.15))[0]
    roll = rng.random()
    if form in ("full", "short"):
        region = report.county.code if roll < 0.95 else None
    elif clone:
        region = None
    else:
        region = report.county.code if roll < 0.85 else report.county.code[:4] + "00" if roll < 0.9 else None
    return DocKey(
        doc_id=doc_id,
        issuer=forms[form] if form else None,
        region_code=region,
        report_year=report.year if rng.random() < 0.97 else None,
        kind=report.seed.kind if rng.random() < 0.9 else None,
    )


# --- publication variants: text -> text ---------------------------------------------------------


def _chrome(text: str, rng: random.Random, report: _Report) -> str:
    forms = _issuer_forms(report)
    date = rng.choice(_DATES)
    heads = [f"日期:{date}来源:{forms['generic']}", f"作者: 来源:本网 发布时间:{date} 浏览次数:{rng.randint(3, 900)} 【字体:大 中 小】",
             f"发布时间：{date}  来源：{forms['short']}  【打印】【关闭】", "当前位置：首页 > 政务公开 > 法治政府建设",
             f"索引号：115{report.county.code}MB{rng.randint(1000000, 9999999)}/2025-{rng.randint(1, 99999):05d}"]
    feet = ["分享文章到", "文件下载", "相关文档", "扫一扫在手机打开当前页", "【打印本页】【关闭窗口】",
            f"主办:{report.seed.city}{report.county.name}{report.seed.level}人民政府办公室",
            f"邮编:{rng.randint(400000, 699999)}", f"网站标识码:{report.county.code}{rng.randint(1, 9999):04d}",
            f"地址:{report.seed.city}{report.county.name}{report.seed.level}{rng.choice(('人民路', '滨江大道', '政府街'))}{rng.randint(1, 300)}号"]
    head = rng.sample(heads, rng.randint(1, 3))
    foot = rng.sample(feet, rng.randint(2, 6))
    return "\n".join(head + [text] + foot)


def _edit(text: str, rng: random.Random, count: int) -> str:
    """Edit `count` sentences: change a figure, add or drop a clause, drop or add a short sentence."""
    sents = _sentences(text)
    editable = [i for i, s in enumerate(sents) if len(s) >= 15]
    for i in rng.sample(editable, min(count, len(editable))):
        sent = sents[i]
        how = rng.choice(("figure", "clause", "cut", "drop", "add"))
        if how == "figure" and re.search(r"\d", sent):
            sents[i] = _perturb_numbers(sent, rng, 1.0)
        elif how == "clause" and sent.rstrip().endswith(("。", "；")):
            end = len(sent.rstrip()) - 1
            sents[i] = sent[:end] + rng.choice(_EDIT_CLAUSES) + sent[end:]
        elif how == "cut" and len(sent) > 40:
            start = rng.randint(5, len(sent) - 25)
            sents[i] = sent[:start] + sent[start + rng.randint(4, 15):]
        elif how == "drop" and len(sent) < 90:
            sents[i] = "\n" if sent.endswith("\n") else ""
        else:
            sents[i] = sent + rng.choice(_NEW_SENTENCES)
    return "".join(sents)


def _traditional(text: str, rng: random.Random) -> str:
    name = rng.choice(("s2t", "s2tw", "s2hk"))
    return "\n".join(_convert_line(name, line) for line in text.split("\n"))


@functools.lru_cache(maxsize=50_000)
def _convert_line(name: str, line: str) -> str:
    """OpenCC is slow (12 ms a report); a report's lines recur in its copies and its siblings."""
    return _converter(name).convert(line)


def _pdf(text: str, rng: random.Random, report: _Report) -> str:
    """Text from a PDF: lines broken every 28-40 characters, page numbers, a running head."""
    width = rng.randint(28, 40)
    flat = text.replace("\n", "")
    lines = [flat[i:i + width] for i in range(0, len(flat), width)]
    page_lines = rng.randint(25, 40)
    head = f"{report.county.name}{report.seed.level}{report.seed.agency}" if rng.random() < 0.5 else None
    out = []
    for n, start in enumerate(range(0, len(lines), page_lines), 1):
        if head and n > 1:
            out.append(head)
        out.extend(lines[start:start + page_lines])
        out.append(rng.choice((f"- {n} -", f"—{n}—", f"第{n}页")))
    return "\n".join(out)


def _truncate(text: str, rng: random.Random) -> str:
    """The last 3-8% lost (a page or a paragraph the copy did not take)."""
    cut = int(len(text) * (1 - rng.uniform(0.03, 0.08)))
    line_end = text.rfind("\n", 0, cut)
    return text[: line_end if line_end > len(text) // 2 else cut]


def _clone(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        lines.insert(rng.randint(0, len(lines)), rng.choice(_ADS))
    return "\n".join([rng.choice(_ADS)] + lines + rng.sample(_ADS, 2))


_Variant = Callable[[str, random.Random, _Report], str]
_VARIANTS: dict[str, _Variant] = {
    "copy": lambda t, r, rep: t,  # the same clean text elsewhere (another site, a mobile twin)
    "chrome": _chrome,
    "edit1": lambda t, r, rep: _edit(t, r, 1),
    "edit2": lambda t, r, rep: _edit(t, r, 2),
    "edit3": lambda t, r, rep: _edit(t, r, 3),
    "traditional": lambda t, r, rep: _traditional(t, r),
    "pdf": _pdf,
    "truncated": lambda t, r, rep: _truncate(t, r),
    "clone": lambda t, r, rep: _clone(t, r),
}
# The publications of one report in the labelled set: each a chain of variants.
_CASES = (
    ("copy",), ("chrome",), ("edit1",), ("edit2",), ("edit3",), ("chrome", "edit2"),
    ("traditional",), ("chrome", "traditional"), ("pdf",), ("edit1", "pdf"),
    ("truncated",), ("clone",), ("chrome", "clone", "edit1"), ("traditional", "pdf"),
)


def _publish(report: _Report, case: tuple[str, ...], rng: random.Random) -> str:
    text = report.text
    for name in case:
        text = _VARIANTS[name](text, rng, report)
    return text


# --- reports --------------------------------------------------------------------------------------


def _counties(seed: _Seed, count: int, rng: random.Random) -> list[_County]:
    names = rng.sample([n for n in _NAMES if not seed.own or n != seed.own[0]], count)
    # One code per name and city, so seeds of one city (000 and 002) agree on their counties.
    counties = [_County(n, f"{seed.code_prefix}{_NAMES.index(n) + 30:02d}", n + seed.level) for n in names]
    if seed.own:  # the seed's own county, under its official name
        full = "酉阳土家族苗族自治县" if seed.own[0] == "酉阳" else seed.own[0] + seed.level
        counties[0] = _County(seed.own[0], seed.own[1], full)
    return counties


def _make_report(cluster: int, seed: _Seed, body: str, county: _County, year_shift: int,
                 rewrite: float, figures: float, rng: random.Random) -> _Report:
    text = _place(seed, _rewrite(body, rng, rewrite), county)
    text = _shift_years(_perturb_numbers(text, rng, figures), year_shift)
    return _Report(cluster, seed, county, seed.year + year_shift, text)


def _reports(counties_per_seed: int, rng: random.Random) -> list[_Report]:
    """Per seed and county: the seed-year report (template siblings: place names and half the
    figures differ) and one other year's (hard: only years and figures differ; or usual: 30% of
    sentences rewritten too)."""
    reports = []
    for seed, body in zip(_SEEDS, _bodies()):
        for i, county in enumerate(_counties(seed, counties_per_seed, rng)):
            own = i == 0 and seed.own is not None
            reports.append(_make_report(len(reports), seed, body, county, 0, 0.0, 0.0 if own else 0.5, rng))
            shift = rng.choice((-1, 1))
            rewrite = 0.0 if i % 2 else 0.3
            reports.append(_make_report(len(reports), seed, body, county, shift, rewrite, 1.0, rng))
    return reports


def labelled_corpus(*, counties_per_seed: int = 16, seed: int = 5) -> list[LabelledDoc]:
    """The labelled set: 5 seeds x counties_per_seed counties x 2 years reports, each published as
    the original and the 14 cases in _CASES (15 documents): 2,400 documents by default. Shuffled,
    as publications arrive in any order."""
    rng = random.Random(seed)
    made = []
    for report in _reports(counties_per_seed, rng):
        made.append((report, "original", report.text))
        for case in _CASES:
            made.append((report, "+".join(case), _publish(report, case, rng)))
    rng.shuffle(made)
    return [LabelledDoc(text, _key(rng, report, i, case), report.cluster, case)
            for i, (report, case, text) in enumerate(made)]


def report_stream(count: int, *, seed: int = 7) -> Iterator[LabelledDoc]:
    """`count` report-sized documents, generated lazily for the scale benchmark. Reports are
    distinct (seed template, county, year) triples over 4,608 generated counties and six years,
    each with 30% of its sentences rewritten and every figure changed; each is published one to
    four times (chrome, edits, PDF text, clones; no traditional copies, which cost 12 ms each to
    make), so about half the documents are copies of another."""
    rng = random.Random(seed)
    bodies = _bodies()
    years = 6
    total = len(_SEEDS) * len(_NAMES) * len(_NAMES) * 2 * years
    step = 104_729  # a prime not dividing total: r -> r * step % total visits each triple once
    doc_id = 0
    cluster = 0
    while doc_id < count:
        triple = cluster * step % total
        index, rest = divmod(triple, total // len(_SEEDS))
        county_no, year_no = divmod(rest, years)
        a, b = divmod(county_no, len(_NAMES) * 2)
        name = _NAMES[a] + _NAMES[b // 2][b % 2]
        province = _SEEDS[index].code_prefix[:2]
        county = _County(name, f"{province}{1 + county_no // 99:02d}{1 + county_no % 99:02d}",
                         name + _SEEDS[index].level)
        report = _make_report(cluster, _SEEDS[index], bodies[index], county, -year_no, 0.3, 1.0, rng)
        cases: list[tuple[str, ...]] = [()]
        cases += rng.sample((("chrome",), ("edit2",), ("pdf",), ("chrome", "clone"), ("edit1", "chrome")),
                            rng.choice((0, 0, 1, 1, 2, 3)))
        for case in cases:
            if doc_id >= count:
                break
            name_of_case = "+".join(case) or "original"
            text = _publish(report, case, rng) if case else report.text
            yield LabelledDoc(text, _key(rng, report, doc_id, name_of_case), cluster, name_of_case)
            doc_id += 1
        cluster += 1
