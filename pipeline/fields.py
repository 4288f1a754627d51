"""Fields of a document: title, issuer, report year, published date, kind, sections, keywords.

Each field has an order of trust (documented on its function); the first source that answers
wins. Pure: values in, values out.
"""
from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections import Counter
from typing import Any, Callable, Iterable, Mapping, Sequence

from pipeline.body import body_kind, opening_issuer
from pipeline.clean import DATE_LINE, is_info_line
from pipeline.titles import TitleInfo, classify_title, normalise_title, split_issuer

__all__ = ["parse_date", "parse_month", "url_date", "title_from_lines", "page_title", "find_issuer", "issuer_and_source", "find_year",
           "find_date", "find_kind", "find_sections", "keywords", "source_from_lines", "SECTION_RULES"]

_DATE_RE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_DATE_COMPACT = re.compile(r"(?<!\d)((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?!\d)")
_US_DATE = re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/((?:19|20)\d{2})(?!\d)")
_MONTH_RE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*月")
_CN_NUM = {"〇": 0, "零": 0, "○": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6,
           "七": 7, "八": 8, "九": 9}
_CN_DATE = re.compile(r"([〇零○O一二三四五六七八九]{4})年([一二三四五六七八九十]{1,2})月([一二三四五六七八九十]{1,3})日")
# Labels that introduce a publication date in a header line (`发布时间:2025-02-05`).
_DATE_LABEL = re.compile(r"(发布|更新|公开|成文|印发)?(日期|时间)\s*[:：]|发表于|更新$")
# A clock or calendar in the page chrome: `2024年3月28日 星期四`, `今天是…`.
_CHROME_DATE = re.compile(r"星期|礼拜|今天是|今日|农历|天气")
_SOURCE = re.compile(r"(?:信息来源|文章来源|稿件来源|来源|发布机构)\s*[:：]\s*([^\s:：|]{2,40}?)"
                     r"(?=\s|$|作者|发布|日期|时间|浏览|点击|【|\[|字体|编辑)")
_NOT_ISSUER = re.compile(r"^(本网|本站|本部|原创|网站|转载|转载文章|网络|互联网|新华网|人民网|未知|不详|.*(网|报|社|台)$)")
# URL dates: TRS `t20240328_6583952.html`, `/202403/`, Hanweb `/art/2024/3/28/`, `/2024-03/28/`.
_URL_DATES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"/t((?:19|20)\d{2})(\d{2})(\d{2})_\d+"), "…/202403/t20240328_6583952.html"),
    (re.compile(r"/art/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/"), "/art/2023/1/29/art_1229199096_2455693.html"),
    (re.compile(r"/((?:19|20)\d{2})[-/_]?(\d{2})[-/_]?(\d{2})/"), "/nw12344/20250321/00afa2….html"),
    (re.compile(r"/((?:19|20)\d{2})-?(\d{2})/(\d{2})/"), "/2024-03/28/content_1.htm"),
    (re.compile(r"/((?:19|20)\d{2})(\d{2})/"), "/202304/t20230403_2965417.html (month only: day 1)"),
)

# (section, heading pattern, real heading). The five contents the 督察工作规定 requires.
SECTION_RULES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("first_responsible_person", re.compile(r"第一责任人|主要负责人履行|主要负责人.*职责"),
     "（二）加强组织领导，全面推进党政主要负责人切实履行法治建设第一责任人职责 (seed 002)"),
    ("shortcomings", re.compile(r"不足|问题|短板|差距|困难"), "二、存在的问题和不足 (seed 001)"),
    ("next_year_plan", re.compile(r"下一步|下步|打算|思路|计划|工作安排|重点工作|工作要点|展望"),
     "三、下一步工作打算 (seed 001)"),
    ("measures_and_results", re.compile(r"举措|成效|开展情况|主要工作|做法|进展|亮点|工作情况|完成情况|推进|加强|深化|提升|坚持"),
     "一、2024年推进法治政府建设的主要举措和成效 (seed 001)"),
    ("other", re.compile(r"^.{0,6}(其他|其它)"), "五、其他需要报告的事项"),
)
_TOP_HEADING = re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.．]")
_SUB_HEADING = re.compile(r"^\s*[（(][一二三四五六七八九十]+[)）]")


def _valid(y: int, m: int, d: int) -> dt.date | None:
    try:
        date = dt.date(y, m, d)
    except ValueError:
        return None
    return date if 1990 <= y <= 2100 else None


def _cn_int(text: str) -> int:
    if all(ch in _CN_NUM for ch in text):
        return int("".join(str(_CN_NUM[ch]) for ch in text))
    # 十, 十二, 二十, 二十八
    tens, _, ones = text.partition("十")
    return (_CN_NUM.get(tens, 1) if tens else 1) * 10 + (_CN_NUM.get(ones, 0) if ones else 0)


def parse_date(text: str | None) -> dt.date | None:
    """The first full date in a text: `2025-01-24`, `2024年2月28日`, `2024/3/28 09:18`,
    `二〇二四年二月二十八日`."""
    if not text:
        return None
    for m in _DATE_RE.finditer(text):
        date = _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if date:
            return date
    m = _CN_DATE.search(text)
    if m:
        return _valid(_cn_int(m.group(1)), _cn_int(m.group(2)), _cn_int(m.group(3)))
    m = _US_DATE.search(text)  # `9/17/2004 5:54:13 AM` on English-templated pages: month first
    if m:
        return _valid(int(m.group(3)), int(m.group(1)), int(m.group(2)))
    return None


def parse_month(text: str | None) -> dt.date | None:
    """A month-only date (`2003年5月`, `《北京之春》1998年3月号`) as its first day."""
    m = _MONTH_RE.search(text or "")
    return _valid(int(m.group(1)), int(m.group(2)), 1) if m else None


def url_date(url: str | None) -> dt.date | None:
    """The release date a URL's path carries (TRS, Hanweb, dated folders); month-only folders
    give the first of the month."""
    if not url:
        return None
    path = re.sub(r"^[a-z]+://[^/]+", "", url, flags=re.I)
    for pattern, _ in _URL_DATES:
        m = pattern.search(path)
        if m:
            parts = [int(g) for g in m.groups()] + [1] * (3 - len(m.groups()))
            date = _valid(*parts)
            if date:
                return date
    return None


def _title_like(line: str) -> bool:
    return (4 <= len(line) <= 80 and not re.search(r"[。；！？]$", line) and not is_info_line(line)
            and not DATE_LINE.match(line) and not _TOP_HEADING.match(line) and not _SUB_HEADING.match(line)
            and line.count("，") + line.count(",") <= 1)


def title_from_lines(lines: Sequence[str]) -> tuple[str | None, int]:
    """A file's or text's title from its first lines, joining an issuer line and a title line
    (`酉阳土家族苗族自治县司法局` + `关于2024年法治政府建设情况的报告`, seed 000). Returns the
    title and how many leading lines it took (info lines above it included)."""
    i = 0
    while i < len(lines) and i < 4 and (is_info_line(lines[i]) or not lines[i].strip()):
        i += 1
    if i >= len(lines) or not _title_like(lines[i]):
        return None, 0
    first = lines[i]
    if i + 1 < len(lines) and _title_like(lines[i + 1]):
        second = lines[i + 1]
        issuer, _ = split_issuer(first)
        joined = first + second
        if (issuer or second.startswith(("关于", "《", "(", "（", "——")) or
                (classify_title(joined).kind == "annual_report" and classify_title(first).kind != "annual_report")):
            if len(joined) <= 100:
                return joined, i + 2
    if classify_title(first).kind == "other" and len(first) > 40:
        return None, 0
    return first, i + 1


def page_title(meta: Mapping[str, str], info: Mapping[str, str], h1: str | None,
               html_title: str | None) -> str | None:
    """An HTML page's title: ArticleTitle meta, the 信息公开 table's 标题, h1, <title> less the
    site name."""
    for value in (meta.get("articletitle"), meta.get("detail.title"), info.get("title")):
        if value and len(value) >= 4:
            return value
    site = meta.get("sitename")
    cleaned_title = None
    if html_title:
        parts = [p.strip() for p in re.split(r"\s*(?:_|\||｜|--|—|-{1,2}|::)\s*", html_title) if p.strip()]
        parts = [p for p in parts if not site or p != site]
        cleaned_title = max(parts, key=len) if parts else None
    if h1 and cleaned_title and (h1 in cleaned_title or cleaned_title in h1):
        return h1 if len(h1) >= len(cleaned_title) else cleaned_title
    # A template that cuts long h1s (`…建设年度...`) while <title> has the whole title.
    cut = re.sub(r"(\.{2,}|…+)$", "", h1 or "")
    if h1 and cleaned_title and cut != h1 and len(cut) >= 4 and cleaned_title.startswith(cut):
        return cleaned_title
    if h1 and classify_title(h1).kind != "other":
        return h1
    return cleaned_title or h1


def source_from_lines(lines: Iterable[str]) -> str | None:
    """The 来源 of header lines (`日期:2025-01-24来源:区司法局` → 区司法局), not `本网`."""
    for line in lines:
        m = _SOURCE.search(line)
        if m:
            value = m.group(1).strip()
            if value and not _NOT_ISSUER.match(value):
                return value
    return None


def find_issuer(info: TitleInfo | None, *, table: Mapping[str, str] = {}, meta: Mapping[str, str] = {},
                header: Sequence[str] = (), signature: Sequence[str] = ()) -> str | None:
    """Issuer: the title's prefix, the table's 发布机构/发文机关, 来源 (ContentSource meta or a
    header line), the signature's issuer line, the column's owner (ColumnName)."""
    return issuer_and_source(info, table=table, meta=meta, header=header, signature=signature)[0]


def issuer_and_source(info: TitleInfo | None, *, table: Mapping[str, str] = {},
                      meta: Mapping[str, str] = {}, header: Sequence[str] = (),
                      signature: Sequence[str] = (), lines: Sequence[str] = (),
                      government_of: Callable[[str], str] | None = None) -> tuple[str | None, str | None]:
    """(issuer, where it was read): "title", "table", "meta", "header", "signature", "column" —
    what the page states — then, only when it states nothing, "place" (a title naming only a
    place: that place's government, inferred, by *government_of*) and "opening" (the body's first
    sentence names it: `…，龙华区司法局坚持…`)."""
    if info is not None and info.issuer and info.kind not in ("interpretation", "news"):
        return info.issuer, "title"
    value = table.get("issuer")
    if value and not _NOT_ISSUER.match(value):
        return value, "table"
    for value, where in ((meta.get("contentsource"), "meta"), (meta.get("detail.publisher"), "meta"),
                         (meta.get("detail.source"), "meta"), (source_from_lines(header), "header")):
        if value and not _NOT_ISSUER.match(value.strip()):
            return value.strip(), where
    names = [line for line in signature if not parse_date(line) and not _CN_DATE.search(line)]
    if names:
        return "".join(names), "signature"
    column = meta.get("columnname")
    if column:
        issuer, _ = split_issuer(column)
        if issuer:
            return issuer, "column"
    if info is not None and info.place and government_of is not None \
            and info.kind not in ("interpretation", "news"):
        return government_of(info.place), "place"
    named = opening_issuer(lines) if lines else None
    if named:
        return named, "opening"
    return None, None


def find_year(info: TitleInfo | None, lines: Sequence[str], published: dt.date | None = None) -> int | None:
    """The year reported on: the title's, else the first year the opening paragraph names
    (`2024年，县司法局…`), else the year before publication for a report published by June."""
    if info is not None and info.report_year:
        return info.report_year
    for line in lines[:3]:
        m = re.search(r"((?:19|20)\d{2})\s*年(?!\s*\d{1,2}\s*月)", line)
        if m:
            year = int(m.group(1))
            if published is None or year <= published.year:
                return year
    return None


def find_date(*, meta: Mapping[str, str] = {}, table: Mapping[str, str] = {}, header: Sequence[str] = (),
              before: Sequence[str] = (), signature: Sequence[str] = (), url: str | None = None,
              title: str | None = None, tail: Sequence[str] = (),
              not_before: dt.date | None = None) -> dt.date | None:
    """Published date: PubDate meta, the table's 发布日期, a header line (labelled dates first,
    nearest to the body), the signature date, the URL date. A clock or calendar of the page chrome
    (`星期四`) is never taken; learned boilerplate (a date frozen on every page) is gone already.
    A date before `not_before` (the start of the year an annual report is on: a frozen
    `更新日期：2019年6月1日` above a 2024 report) is not the report's and is passed over."""
    def ok(date: dt.date | None) -> dt.date | None:
        return date if date is not None and (not_before is None or date >= not_before) else None

    for key in ("pubdate", "publishdate", "firstpublishedtime", "article:published_time", "detail.publish_time",
                "detail.date", "dc.date", "publish_time"):
        date = ok(parse_date(meta.get(key)))
        if date:
            return date
    date = ok(parse_date(table.get("published"))) or ok(parse_date(table.get("written")))
    if date:
        return date
    # The lines above the body, from the title (if seen) on; nearest to the body first.
    near = list(before)
    if title:
        key = normalise_title(title)[:12]
        for idx in range(len(near) - 1, -1, -1):
            if key and key in normalise_title(near[idx]):
                near = near[idx + 1:]
                break
        else:
            near = near[-8:]
    else:
        near = near[-8:]
    header = [ln for ln in header if not _CHROME_DATE.search(ln)]
    near = [ln for ln in reversed(near) if not _CHROME_DATE.search(ln)]
    # Labelled dates first (`发布时间:2025-02-05`), then the document's own date lines at the top
    # of the body (`2003年5月` under the title), then bare dates around the title.
    for lines, labelled, month in ((header, True, False), (near, True, False), (header, False, True),
                                   (near, False, False)):
        for line in lines:
            if len(line) > 200 or (labelled and not _DATE_LABEL.search(line)):
                continue
            date = ok(parse_date(line) or (parse_month(line) if month and len(line) <= 20 else None))
            if date:
                return date
    for line in signature:
        date = ok(parse_date(line) or parse_month(line))
        if date:
            return date
    # A month-only date line (`2003年5月` under the title) or a citation at the end of the body
    # (`——《北京之春》1998年3月号`).
    for line in [*header, *tail]:
        if len(line) <= 40:
            date = ok(parse_date(line) or parse_month(line))
            if date:
                return date
    return ok(url_date(url))


def find_kind(info: TitleInfo | None, lines: Sequence[str]) -> str:
    """Kind: the title's; with no title (or one that says nothing, see pipeline.body), what the
    body shows by its formulas (`现将2024年法治政府建设情况报告如下`, the required sections: an
    annual report without a title line, seed 001), else "other"."""
    if info is not None:
        return info.kind
    return body_kind(lines) or "other"


def find_sections(lines: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """The required sections found, as (section, heading) in order of first appearance:
    measures_and_results, shortcomings, first_responsible_person, next_year_plan, other."""
    found: dict[str, str] = {}
    for line in lines:
        top = _TOP_HEADING.match(line)
        sub = _SUB_HEADING.match(line)
        if not (top or sub):
            continue
        heading = re.split(r"[。；]", line, maxsplit=1)[0][:80]
        matched = False
        for name, pattern, _ in SECTION_RULES:
            # Only top headings open a section; a sub-heading may name the 第一责任人 duty.
            if not top and name != "first_responsible_person":
                continue
            if pattern.search(heading):
                matched = True
                if name not in found:
                    found[name] = heading
                break
        # Reports open with what was done, whatever the first heading's words.
        if top and not matched and "measures_and_results" not in found:
            found["measures_and_results"] = heading
    order = {line: i for i, line in enumerate(found.values())}
    return tuple(sorted(found.items(), key=lambda kv: order[kv[1]]))


@functools.lru_cache(maxsize=1)
def _idf() -> tuple[dict[str, float], float]:
    """jieba's IDF table (shipped with jieba), read on first use."""
    import os

    import jieba.analyse as analyse

    path = os.path.join(os.path.dirname(analyse.__file__), "idf.txt")
    table: dict[str, float] = {}
    with open(path, encoding="utf-8") as fh:
        for row in fh:
            word, _, value = row.strip().partition(" ")
            if value:
                table[word] = float(value)
    median = sorted(table.values())[len(table) // 2] if table else 10.0
    return table, median


_STOP = frozenset("工作 进一步 推进 开展 加强 持续 全面 坚持 组织 建设 提升 推动 完善 落实 深化 实现 情况 "
                  "我们 一是 二是 三是 四是 五是 六是 相关 有关 进行 全县 全区 全市 以及 年度 主要 积极 有效".split())


def keywords(text: str, tokenizer: Any, *, top: int = 10,
             boost: Iterable[str] = ()) -> tuple[str, ...]:
    """Top TF-IDF words of the text, cut by the tokenizer passed in (pipeline.tokens.Tokenizer or
    anything with query_tokens/lcut); words in `boost` (the rule-of-law dictionary) count double."""
    if not text or tokenizer is None:
        return ()
    if hasattr(tokenizer, "query_tokens"):
        words = tokenizer.query_tokens(text)
    else:
        words = list(tokenizer.lcut(text))
    counts = Counter(w for w in words if len(w) >= 2 and not w.isdigit() and w not in _STOP
                     and re.search(r"[\u4e00-\u9fff]", w))
    if not counts:
        return ()
    idf, median = _idf()
    boosted = set(boost)
    scored = {w: c * idf.get(w, median) * (2.0 if w in boosted else 1.0) for w, c in counts.items()}
    ranked = sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple(w for w, score in ranked[:top] if not math.isnan(score))

