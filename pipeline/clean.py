"""Line cleaning: a careful person's copy of a page's or file's text.

Pure functions over lines. Takes out what a crude copy leaves in: header and info lines (来源,
发布时间, 浏览次数, 字体 大 中 小, breadcrumbs), the trailing chrome block (主办, 网站标识码,
相关文档, 分享文章到, …), document artefacts (`[bookmark: _GoBack]`, `##paidend##`, Markdown
bold, stray spaces in `2023 年`), indentation; joins paragraphs a PDF or Word export broke
mid-sentence; splits off the addressee line and the signature block (issuer and date at the end),
which are fields, not text. A line holding a figure (`办理…案件128件`) is never taken for chrome.
Every pattern below is a table entry with a real example.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

__all__ = ["Cleaned", "clean_lines", "normalise_line", "learn_boilerplate", "is_info_line",
           "holds_figure", "DATE_LINE", "ARTEFACTS", "CHROME_PHRASES", "FOOTER_LABELS", "INFO_LABELS",
           "DOCUMENT_NOTES"]

# (pattern, replacement, real example). Document artefacts, removed inside lines.
ARTEFACTS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"\[bookmark:\s*_?\w*\]"), "", "[bookmark: _GoBack]一是坚持统筹有度求突破 (seed 000)"),
    (re.compile(r"##paid(?:begin|end)##"), "", "##paidbegin##（三）惠民助企激活法治社会新动能 (seed 004)"),
    # Every `**`, paired or not: a bold run can span a line break (`**办理…128件` / `…司法局**`),
    # and a report never needs a literal double asterisk.
    (re.compile(r"\*\*"), "", "**三是**深化理论学习中心组学习 (seed 002)"),
    (re.compile(r"(?<![\w*])__(.+?)__(?![\w*])"), r"\1", "__一是__ (Markdown bold, underscores)"),
    (re.compile(r"[\u200b-\u200f\u2060\ufeff\u00ad]"), "", "zero-width spaces left by web editors"),
    (re.compile(r"\(cid:\d+\)"), "", "(cid:123) left by PDF text layers without a ToUnicode map"),
    (re.compile(r"^\s*[（(]此页无正文[)）]\s*$"), "",
     "（此页无正文） above a signature set on a page of its own (公文 layout, GB/T 9704)"),
)
# Spaces that Word/PDF exports put between CJK text and numbers: `2023 年`, `211 家`, `酉阳 800`.
_CJK = r"\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
_STRAY_SPACE = re.compile(rf"(?<=[{_CJK}])[ \t\u00a0\u3000]+(?=[{_CJK}0-9])|"
                          rf"(?<=[{_CJK}0-9%])[ \t\u00a0\u3000]+(?=[{_CJK}])")
_SPACES = re.compile(r"[ \t\u00a0\u3000\u2002\u2003\u2009]+")

# Labels of info lines (`来源:本网 发布时间:2025-02-05 浏览次数:34`), seed 003.
INFO_LABELS = ("发布日期", "发布时间", "更新时间", "日期", "时间", "信息来源", "文章来源", "稿件来源", "来源",
               "作者", "撰稿", "浏览次数", "点击率", "点击数", "点击量", "阅读次数", "阅读量", "访问次数",
               "浏览量", "字体大小", "字体", "字号", "责任编辑", "编辑", "审核", "供稿", "发布者", "发布人",
               "发布机构", "摄影", "通讯员", "记者", "信息提供", "录入", "打印",
               # a blog's or forum's post line: `发表于2004年12月27日12:40 - (阅读:3727;评论:63)`
               "阅读", "评论", "回复",
               # the same labels in traditional characters (Hong Kong and Taiwan sites, DAnIEL)
               "發佈日期", "發佈時間", "發布日期", "發布時間", "更新時間", "時間", "信息來源", "文章來源", "來源",
               "瀏覽次數", "點擊率", "點閱", "責任編輯", "編輯", "審核", "記者", "攝影", "閱讀", "評論", "回覆")
_INFO_LABEL = re.compile(r"(%s)\s*[:：]" % "|".join(INFO_LABELS))
_DATE = (r"(?:(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
         r"(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?)")
_MONTH = r"(?:(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月)"
DATE_LINE = re.compile(rf"^[\[【(（]?\s*(?:{_DATE}|{_MONTH})\s*(?:星期.|周.)?\s*[\]】)）]?$")
_CN_DATE_LINE = re.compile(r"^[〇零○一二三四五六七八九]{4}年[一二三四五六七八九十]{1,2}月[一二三四五六七八九十]{1,3}日$")
_STARTS_DATE = re.compile(rf"^\s*(?:[\[【(（]\s*)?(?:(?:发表|发布|更新)于\s*)?{_DATE}")  # no two \s* side by side: quadratic

# Whole lines made only of these (and separators) are chrome. (phrase, real example line)
CHROME_PHRASES: tuple[tuple[str, str], ...] = (
    ("分享文章到", "分享文章到 (seed 001)"), ("分享到", "分享到："), ("分享至", "分享至"),
    ("文件下载", "文件下载 (seed 001)"), ("相关文档", "相关文档 (seed 001)"), ("附件下载", "附件下载 (seed 001)"),
    ("相关附件", "相关附件："), ("相关链接", "相关链接"), ("相关报道", "相关报道：(zh-extraction 2bac7fb2)"),
    ("相关新闻", "相关新闻"), ("相关阅读", "相关阅读"), ("相关文章", "相关文章"), ("延伸阅读", "延伸阅读"),
    ("发表评论", "发表评论"), ("我要评论", "我要评论"), ("打印本文", "打印本文"), ("打印本页", "打印本页"),
    ("打印此页", "打印此页"), ("关闭窗口", "关闭窗口"), ("关闭本页", "关闭本页"), ("打印", "【打印】 【关闭】"),
    ("关闭", "【关闭】"), ("发送给朋友", "发送给朋友"), ("收藏本页", "收藏本页"), ("收藏", "收藏"),
    ("返回顶部", "返回顶部"), ("返回首页", "返回首页"), ("返回", "[返回]"), ("上一篇", "上一篇："),
    ("下一篇", "下一篇："), ("上一页", "<< 上一页 | 下一页 >>"), ("下一页", "下一页"), ("首页", "首页"),
    ("末页", "末页"), ("尾页", "尾页"), ("扫一扫在手机打开当前页", "扫一扫在手机打开当前页"),
    ("扫一扫", "扫一扫"), ("网站地图", "网站地图"), ("联系我们", "联系我们"), ("友情链接", "友情链接"),
    ("无障碍", "无障碍 简体|繁体"), ("关怀版", "关怀版"), ("简体", "简体"), ("繁体", "繁体"),
    ("字体", "【字体：大 中 小】"), ("大", "【字体：大 中 小】"), ("中", "【字体：大 中 小】"),
    ("小", "【字体：大 中 小】"), ("默认", "字号：大 中 默认"), ("我要纠错", "我要纠错"), ("纠错", "纠错"),
    ("找错", "找错"), ("视力保护色", "视力保护色"), ("手机版", "手机版"), ("微信", "微信"), ("微博", "微博"),
    ("QQ空间", "QQ空间"), ("复制链接", "复制链接"), ("点赞", "点赞"), ("English", "English"),
    ("本页", "【打印本页】"), ("窗口", "[关闭窗口]"), ("文章", "分享文章"), ("下载", "下载"),
)
# Only in the trailing chrome block: ordinary words elsewhere. (phrase, real example)
TRAILING_PHRASES: tuple[tuple[str, str], ...] = (
    ("政策文件", "政策文件 (seed 001, between 相关文档 and 附件下载)"), ("相关政策", "相关政策"),
    ("政策解读", "政策解读"), ("热点", "热点"), ("推荐阅读", "推荐阅读"), ("热门", "热门"),
    ("附件", "附件："), ("图片", "图片"), ("视频", "视频"),
    ("本栏目其他信息", "本栏目其他信息 (the column's other items under a report, tests/shapes.py)"),
    ("其他信息", "其他信息"), ("最新信息", "最新信息"),
)
_PAGER = re.compile(r"第\s*\d+\s*页\s*/?\s*共\s*\d+\s*页|共\s*\d+\s*页|(?<!\d)\d+/\d+页")
_SEPARATORS = re.compile(r"[\s【】\[\]|｜/<>《》«»()（）:：·•\-—_,，.。!！>]+")
# (label, real example) — footer lines: `主办:重庆市合川区人民政府办公室` (seed 001).
FOOTER_LABELS: tuple[tuple[str, str], ...] = (
    ("主办单位", "主办单位：XX市人民政府办公室"), ("承办单位", "承办单位：XX市大数据发展局"),
    ("主办", "主办:重庆市合川区人民政府办公室 (seed 001)"), ("承办", "承办：XX区政务数据局"),
    ("协办", "协办：…"), ("网站标识码", "网站标识码:5001170002 (seed 001)"),
    ("邮编", "邮编:401520 (seed 001)"), ("邮政编码", "邮政编码：401520"),
    ("地址", "地址:重庆合川区希尔安大道222号 (seed 001)"), ("电话", "电话：023-42825000"),
    ("联系电话", "联系电话：…"), ("传真", "传真：…"), ("电子邮箱", "电子邮箱：…"), ("邮箱", "邮箱：…"),
    ("技术支持", "技术支持：XX网络科技有限公司"), ("版权所有", "版权所有：XX市人民政府"),
    ("网站维护", "网站维护：XX中心"), ("联系方式", "联系方式：…"), ("Email", "Email: …"),
    ("运维", "运维：…"), ("建议使用", "建议使用IE9以上浏览器"), ("ICP备", "渝ICP备05003300号"),
    ("公网安备", "渝公网安备 50011702500001号"), ("Copyright", "Copyright © 2005 Yahoo!"),
    ("©", "© 2024 XX区人民政府"), ("版权声明", "版权声明"), ("免责声明", "免责声明"),
    ("免責聲明", "免責聲明：本文所載資料僅供參考，并不構成投資建議 (DAnIEL, traditional characters)"),
    ("版權聲明", "版權聲明"), ("版權所有", "版權所有"), ("聯絡電話", "聯絡電話："), ("電話", "電話："),
)
# A site's reprint notice under an article, however long: `中证网声明：凡本网注明“来源：中国证券报・
# 中证网”的所有作品，版权均属于…未经…书面授权不得转载…` (DAnIEL, cs.com.cn). Only at the text's end.
_REPRINT_NOTICE = re.compile(r"^.{0,20}(?:声明|版权|说明)[:：]?.{0,40}(?:本网|本站|本报|本刊|本文).{0,200}"
                             r"(?:版权|著作权).{0,200}(?:转载|授权)|"
                             # `(內容由新浪北京提供。未經授權，不得轉載。)` (DAnIEL, sina.com.hk)
                             r"^[(（【\[].{0,40}未[经經][^，,]{0,20}[授许許][权權可][，,]?\s*(?:不得|请勿|請勿|禁止)[转轉][载載].{0,10}[)）】\]]$")
# An editor's credit closing an article: `(曹文明編輯)`, `（编辑：谢璇）` (DAnIEL). Only at the end.
_EDITOR_CREDIT = re.compile(r"^[(（\[【]\s*(?:[^\s()（）:：]{2,4}\s*(?:编辑|編輯)|(?:责任编辑|責任編輯|编辑|編輯)\s*[:：]"
                            r"\s*[^\s()（）]{2,8})\s*[)）\]】]$")
_EMAIL = re.compile(r"[\w.+-]@[\w-]+\.[A-Za-z]{2,}")
# Where readers' comments start under an article: everything from here on is theirs.
# `网友评论`, `已有63条评论`, `瑞雪对圣元奶粉致死的评论:` (DAnIEL, a blog's comments under its post).
_COMMENTS_START = re.compile(r"^(?:网友评论|最新评论|热门评论|精彩评论|全部评论|用户评论|读者评论|评论列表|"
                             r"網友評論|最新評論|熱門評論|(?:已有|共有|共)\d+条(?:评论|回复))\s*[:：]?\s*$|"
                             r"^[^，。,.\s]{1,20}对[^，。]{1,40}的(?:评论|評論)[:：]$")
_FOOTER = re.compile(r"^\s*(?:%s)\s*[:：]|ICP备|ICP证|公网安备|Copyright|版权所有|©|分辨率|浏览器"
                     % "|".join(re.escape(label) for label, _ in FOOTER_LABELS), re.I)
_BREADCRUMB = re.compile(r"^\s*(?:当前位置|您现在的位置|您的位置|您当前的位置|所在位置|当前的位置|位置)\s*[:：]|"
                         r"^\s*首页\s*(?:>|＞|»|›|→|/)")
# A figure: `办理…案件128件`, `群众安全感指数 99.1%`. Such a line is content, never chrome.
# (`(?<!\d)`: a number is tried from its first digit only, not again from each digit after it.)
_FIGURE = re.compile(r"(?<!\d)\d+(?:\.\d+)?\s*(?:件|个|项|人次|人|次|家|户|元|%|％|条|场|名|宗|起|份|篇|所|批|余|万|亿|倍|天|小时|公里|亩|平方米)")
_TERMINAL = "。！？；…”’」』.!?;"
_HEADING = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|"
                      r"[一二三四五六七八九十]+是|第[一二三四五六七八九十\d]+[章节条部分]|\d+[、.．](?!\d)|"
                      r"[①②③④⑤⑥⑦⑧⑨⑩])")
_ORG_SUFFIX = re.compile(r"(人民政府|政府|委员会|办公室|办事处|局|委|厅|院|中心|街道|镇|乡|党组|部|署|处|所|公司|区委|县委|市委)$")
_ADDRESSEE = re.compile(r"^[^，。；！？]{2,40}[:：]$")
# Notes a 公文 sets under its date (GB/T 9704): not report text. (pattern, real example)
DOCUMENT_NOTES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^[（(]此件[^）)]{0,12}[)）]$"), "（此件公开发布）"),
    (re.compile(r"^[（(]联系人[:：][^）)]{0,60}[)）]$"), "（联系人：张三，联系电话：023-75551148）"),
)
# Issuer and date on one line: `和平县司法局 2025年2月5日` (its space gone with normalise_line).
_ONE_LINE_SIGNATURE = re.compile(r"^([^，。；！？,;：:]{2,40}?)[ ]?((?:19|20)\d{2}年\d{1,2}月\d{1,2}日)$")


@dataclass(frozen=True)
class Cleaned:
    """The body (one paragraph per line) and what was taken out that fields may read."""

    lines: tuple[str, ...]
    header: tuple[str, ...] = ()  # info lines removed: `日期:2025-01-24来源:区司法局`
    footer: tuple[str, ...] = ()  # chrome removed (footer lines: `网站标识码:5001170002`, …)
    addressee: str | None = None  # `区委、区政府:`
    signature: tuple[str, ...] = ()  # (`和平县司法局`, `2025年2月5日`)


def normalise_line(line: str) -> str:
    """One line without artefacts, indentation, repeated or stray spaces."""
    for pattern, repl, _ in ARTEFACTS:
        line = pattern.sub(repl, line)
    line = _SPACES.sub(" ", line).strip()
    return _STRAY_SPACE.sub("", line)


def holds_figure(line: str) -> bool:
    """True for a line reporting a figure (`办理…案件128件`): content, whatever else it looks like."""
    return bool(_FIGURE.search(line)) and len(re.findall(rf"[{_CJK}]", line)) >= 8


def _phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)))


_ANY_PHRASES = _phrase_pattern(p for p, _ in CHROME_PHRASES)
_TRAIL_PHRASES = _phrase_pattern([p for p, _ in CHROME_PHRASES] + [p for p, _ in TRAILING_PHRASES])


def _is_chrome_phrases(line: str, phrases: re.Pattern[str]) -> bool:
    if len(line) > 80:  # chrome words with separators never run this long
        return False
    rest = phrases.sub(" ", _PAGER.sub(" ", line))
    return not _SEPARATORS.sub("", rest).strip("0123456789")


def is_info_line(line: str) -> bool:
    """Header/info line: label:value pairs (来源, 发布时间, 浏览次数, …) or a bare date."""
    if len(line) > 120 or holds_figure(line) or any(ch in line for ch in "。；！？"):
        return False
    if DATE_LINE.match(line) or _CN_DATE_LINE.match(line):
        return True
    # A date and a word: `2003-7-24 钱江晚报`, `2005-01-06 08:13更新`.
    if _STARTS_DATE.match(line) and len(line) <= 40 and not re.search(r"[，,、]", line):
        return True
    labels = list(_INFO_LABEL.finditer(line))
    if not labels:
        return False
    head = line[: labels[0].start()]
    # Starts with a label, or with a date (`2005-04-05 06:40更新 来源：转载文章`), or brackets.
    return not _SEPARATORS.sub("", head) or bool(_STARTS_DATE.match(line)) or len(labels) >= 2


def _dated_entry(line: str) -> bool:
    """A line that opens with a date and says what happened, without labels: `2019年6月1日 大田站
    大田又松文化会馆` (an entry of a list of events, zh-extraction d5bced5e), not a bare date."""
    return (bool(_STARTS_DATE.match(line)) and not DATE_LINE.match(line) and len(line) <= 120
            and not _INFO_LABEL.search(line))


def _is_chrome(line: str) -> bool:
    """Chrome wherever it stands: lines of chrome words, breadcrumbs, footer labels."""
    if holds_figure(line) and len(line) > 30:
        return False
    if _is_chrome_phrases(line, _ANY_PHRASES):
        return True
    if _BREADCRUMB.match(line) and len(line) <= 200:
        return True
    return bool(_FOOTER.search(line)) and len(line) <= 160 and not holds_figure(line)


def _is_trailing_chrome(line: str) -> bool:
    if _is_chrome(line) or is_info_line(line):
        return True
    if len(line) <= 600 and _REPRINT_NOTICE.match(line) and not holds_figure(line):
        return True
    if _EDITOR_CREDIT.match(line):
        return True
    # A contact line: `世華財訊資訊中心：editor@shihua.com.cn 電話：4006744482` (DAnIEL).
    if len(line) <= 120 and _EMAIL.search(line) and not holds_figure(line) and not line.endswith("。"):
        return True
    return len(line) <= 12 and _is_chrome_phrases(line, _TRAIL_PHRASES)


def _is_paragraph(line: str) -> bool:
    return len(line) >= 40 or line.endswith(tuple(_TERMINAL))


def _is_date(line: str) -> bool:
    return bool(DATE_LINE.match(line) or _CN_DATE_LINE.match(line))


def _split_signature(lines: list[str]) -> tuple[list[str], tuple[str, ...]]:
    """Issuer and date lines at the end (`和平县司法局` / `2025年2月5日`), after body text."""
    if len(lines) > 1:
        one = _ONE_LINE_SIGNATURE.match(lines[-1])
        if one and _ORG_SUFFIX.search(one.group(1)) and not _HEADING.match(one.group(1)) \
                and not holds_figure(one.group(1)) \
                and _is_paragraph(lines[-2]):
            return lines[:-1], (one.group(1), one.group(2))
    n = len(lines)
    i = n
    if i and _is_date(lines[i - 1]):
        i -= 1
    dated = i < n
    # Issuer lines: short, no sentence punctuation; without a date only an organisation's name.
    while i > 0 and n - i < 4:
        cand = lines[i - 1]
        if len(cand) > 40 or any(ch in cand for ch in "，。；！？,;") or _HEADING.match(cand) or holds_figure(cand):
            break
        if not dated and not _ORG_SUFFIX.search(cand):
            break
        if not _ORG_SUFFIX.search(cand) and not re.search(r"[（(]?(?:印|章|盖章)[)）]?$", cand):
            break
        i -= 1
    if i == n or i == 0 or not _is_paragraph(lines[i - 1]):
        return lines, ()
    return lines[:i], tuple(lines[i:])


def _join_broken(lines: list[str]) -> list[str]:
    """Join a paragraph that a PDF or Word export broke mid-sentence (seed 002)."""
    out: list[str] = []
    for line in lines:
        if out:
            prev = out[-1]
            short_heading = bool(_HEADING.match(prev)) and len(prev) < 60 and "。" not in prev
            if (len(prev) >= 40 and not short_heading and prev[-1] not in _TERMINAL + ":：)）】]》>"
                    and re.match(rf"[{_CJK}\w“‘(（]", line) and not _HEADING.match(line)
                    and re.search(rf"[{_CJK}，、,]$", prev)):
                out[-1] = prev + line
                continue
        out.append(line)
    return out


def _clean_once(lines: list[str], boilerplate: frozenset[str]) -> Cleaned:
    header: list[str] = []
    chrome: list[str] = []
    kept: list[str] = []
    dated = [_dated_entry(line) for line in lines]
    for i, line in enumerate(lines):
        if not line:
            continue
        if line in boilerplate and not holds_figure(line):
            continue
        if is_info_line(line) and not any(_is_paragraph(k) for k in kept):
            header.append(line)
        elif _is_chrome(line):
            chrome.append(line)
        elif dated[i] and ((i and dated[i - 1]) or (i + 1 < len(lines) and dated[i + 1])):
            kept.append(line)  # a run of dated entries in the text: a chronology, not a header
        elif is_info_line(line) and not DATE_LINE.match(line) and not _CN_DATE_LINE.match(line):
            header.append(line)
        else:
            kept.append(line)
    footer: list[str] = []
    for i, line in enumerate(kept):
        if i and _COMMENTS_START.match(line) and any(_is_paragraph(k) for k in kept[:i]):
            footer, kept = kept[i:], kept[:i]
            break
    while kept and _is_trailing_chrome(kept[-1]) and not _is_date(kept[-1]):
        footer.insert(0, kept.pop())
    while kept and any(pattern.match(kept[-1]) for pattern, _ in DOCUMENT_NOTES):
        footer.insert(0, kept.pop())
    kept = _join_broken(kept)
    kept, signature = _split_signature(kept)
    addressee = None
    if (len(kept) > 1 and _ADDRESSEE.match(kept[0]) and "如下" not in kept[0] and not _HEADING.match(kept[0])
            and ("、" in kept[0] or _ORG_SUFFIX.search(kept[0].rstrip(":："))) and len(kept[0]) <= 30
            and not holds_figure(kept[0])):
        addressee = kept.pop(0)
    return Cleaned(lines=tuple(kept), header=tuple(header), footer=tuple(chrome + footer),
                   addressee=addressee, signature=signature)


def clean_lines(lines: Iterable[str], *, boilerplate: frozenset[str] = frozenset()) -> Cleaned:
    """Clean lines of a page or file: artefacts, chrome, broken paragraphs, addressee, signature.
    Runs to a fixed point, so cleaning clean lines changes nothing."""
    current = [normalise_line(line) for raw in lines for line in str(raw).split("\n")]
    current = [line for line in current if line]
    first: Cleaned | None = None
    for _ in range(6):
        result = _clean_once(current, boilerplate)
        if first is None:
            first = result
        else:
            first = Cleaned(lines=result.lines, header=first.header + result.header,
                            footer=result.footer + first.footer,
                            addressee=first.addressee or result.addressee,
                            signature=result.signature + first.signature)
        if list(result.lines) == current:
            break
        current = list(result.lines)
    assert first is not None
    return first


def learn_boilerplate(pages: Iterable[Sequence[str]], *, min_pages: int = 3,
                      min_share: float = 0.5) -> frozenset[str]:
    """Lines that recur on many pages of one host are its chrome (a footer never seen before,
    a frozen header date): lines on at least `min_pages` distinct pages and `min_share` of them.
    `pages` are the lines of each page (pipeline.process.page_lines); the same page twice counts
    once."""
    counts: Counter[str] = Counter()
    seen: set[frozenset[str]] = set()
    n_pages = 0
    for page in pages:
        lines = frozenset(normalise_line(line) for line in page if line and len(line) <= 120)
        # A page fetched twice (or a report posted twice) would teach its own text as chrome.
        if lines in seen:
            continue
        seen.add(lines)
        n_pages += 1
        counts.update(lines)
    if n_pages < min_pages:
        return frozenset()
    need = max(min_pages, int(min_share * n_pages + 0.999999))
    return frozenset(line for line, count in counts.items() if line and count >= need)
