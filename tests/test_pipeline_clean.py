"""clean_lines on the chrome, artefacts and structure the seeds and real pages show."""
from __future__ import annotations

import pytest

from pipeline.clean import (ARTEFACTS, CHROME_PHRASES, FOOTER_LABELS, clean_lines, holds_figure,
                            is_info_line, learn_boilerplate, normalise_line)

BODY = "2024年，县司法局坚持以习近平新时代中国特色社会主义思想为指导，办理行政复议案件128件，现将有关情况报告如下。"


@pytest.mark.parametrize("raw,clean", [
    ("[bookmark: _GoBack]一是坚持统筹有度求突破", "一是坚持统筹有度求突破"),
    ("##paidbegin##（三）惠民助企激活法治社会新动能", "（三）惠民助企激活法治社会新动能"),
    ("**三是**深化理论学习中心组学习", "三是深化理论学习中心组学习"),
    ("部逢提必考、年度一考。**三是**推进考核体系更加优化。", "部逢提必考、年度一考。三是推进考核体系更加优化。"),
    ("进一步提升基层治理法治化水平。##paidend##", "进一步提升基层治理法治化水平。"),
    ("（此页无正文）", ""),
    ("关于 2023 年法治政府建设情况的报告", "关于2023年法治政府建设情况的报告"),
    ("培育科技型企业 211 家、高新技术企业 5 家", "培育科技型企业211家、高新技术企业5家"),
    ("　　  一、工作开展情况  ", "一、工作开展情况"),
    ("采用 PC 端 and Web 平台", "采用 PC 端 and Web 平台"),
])
def test_normalise_line(raw, clean):
    assert normalise_line(raw) == clean


@pytest.mark.parametrize("line", [
    "日期:2025-01-24来源:区司法局", "作者: 来源:本网 发布时间:2025-02-05 浏览次数:34 【字体:",
    "来源:静海区人民政府办公室 发布时间:2024-03-28 09:18", "文章来源:司法局 更新时间:2021/03/29 11:30:01",
    "发布日期:2023-02-10 15:34:38 来源:留下街道 点击率:", "2005-04-05 06:40更新 来源：转载文章", "2024-03-28",
    "发表于2004年12月27日12:40 - (阅读:3727;评论:63)",  # a blog's post line (zh-extraction dataset)
    "來源：中央社 發佈時間：2012/01/12",  # traditional characters (a Taiwan site)
])
def test_info_lines(line):
    assert is_info_line(line)


@pytest.mark.parametrize("line", [BODY, "一、工作开展情况", "（一）深入学习贯彻习近平法治思想。", "来源于群众，服务于群众。"])
def test_not_info_lines(line):
    assert not is_info_line(line)


def test_header_footer_and_chrome_out():
    lines = ["当前位置：首页 > 政务公开 > 法治政府建设", "日期:2025-01-24来源:区司法局", "【打印】 【关闭】",
             "字体：大 中 小", BODY, "一、工作开展情况", BODY, "分享文章到", "文件下载", "相关文档", "政策文件",
             "附件下载", "主办:重庆市合川区人民政府办公室", "邮编:401520", "地址:重庆合川区希尔安大道222号",
             "网站标识码:5001170002", "渝ICP备05003300号 渝公网安备 50011702500001号", "技术支持：XX网络科技有限公司"]
    out = clean_lines(lines)
    assert out.lines == (BODY, "一、工作开展情况", BODY)
    assert out.header[0] == "日期:2025-01-24来源:区司法局"
    assert "网站标识码:5001170002" in out.footer and "政策文件" in out.footer


# (lines around BODY, addressee, signature, lines kept besides BODY). Seeds' endings and the shapes
# of a 公文 (GB/T 9704): addressee line, issuer(s) and date, 此件公开发布 under the date.
SIGNATURE_CASES = [
    (["区委、区政府:", BODY, "和平县司法局", "2025年2月5日"], "区委、区政府:", ("和平县司法局", "2025年2月5日"), []),
    ([BODY, "酉阳土家族苗族自治县人民政府", "2024年2月28日"], None,
     ("酉阳土家族苗族自治县人民政府", "2024年2月28日"), []),  # seed 002
    ([BODY, "和平县司法局", "2025年2月5日"], None, ("和平县司法局", "2025年2月5日"), []),  # seed 003
    (["市委、市政府：", BODY, "中共淮北市烈山区委", "烈山区人民政府", "2024年3月15日"], "市委、市政府：",
     ("中共淮北市烈山区委", "烈山区人民政府", "2024年3月15日"), []),  # two issuers, one report
    (["市人民政府：", BODY, "XX县人民政府", "二〇二四年二月二十八日"], "市人民政府：",
     ("XX县人民政府", "二〇二四年二月二十八日"), []),
    ([BODY, "和平县司法局 2025年2月5日"], None, ("和平县司法局", "2025年2月5日"), []),  # on one line
    ([BODY, "XX镇人民政府（盖章）", "2024年12月30日"], None, ("XX镇人民政府（盖章）", "2024年12月30日"), []),
    ([BODY, "（此页无正文）", "XX区司法局", "2025年1月10日", "（此件公开发布）"], None,
     ("XX区司法局", "2025年1月10日"), []),
    ([BODY, "XX县人民政府", "2024年1月5日", "（联系人：张三，联系电话：023-75551148）"], None,
     ("XX县人民政府", "2024年1月5日"), []),
    ([BODY, "2025年1月10日"], None, ("2025年1月10日",), []),
    # Not an addressee, not a signature: the body's own lines.
    (["现将有关情况报告如下：", BODY], None, (), ["现将有关情况报告如下："]),
    (["一、主要工作：", BODY], None, (), ["一、主要工作："]),
    ([BODY, "三、下一步工作打算"], None, (), ["三、下一步工作打算"]),
    ([BODY, "附件：1.XX区2024年法治政府建设任务清单"], None, (), ["附件：1.XX区2024年法治政府建设任务清单"]),
    ([BODY, "截至2024年12月31日"], None, (), ["截至2024年12月31日"]),
]


@pytest.mark.parametrize("lines,addressee,signature,others", SIGNATURE_CASES,
                         ids=[f"{i}-{c[0][-1][:8]}" for i, c in enumerate(SIGNATURE_CASES)])
def test_signature_and_addressee_are_fields(lines, addressee, signature, others):
    out = clean_lines(lines)
    assert (out.addressee, out.signature) == (addressee, signature)
    assert sorted(out.lines) == sorted([BODY, *others])
    assert "此件" not in "".join(out.lines) and "此页无正文" not in "".join(out.lines)


def test_short_heading_at_the_end_is_not_a_signature():
    out = clean_lines([BODY, "三、下一步工作打算"])
    assert out.signature == () and out.lines[-1] == "三、下一步工作打算"


def test_broken_paragraphs_joined_headings_kept():
    first = "一是建立健全依法治县专题会议制度。深度谋划顶层设计，及时组织召开会议，明确政府职责。政府内部建立"
    out = clean_lines([first, "", "班子（扩大）会议、党员大会首个议题跟进学习制度。", "二、下步工作打算", "（一）严格落实领导干部法治建设责任。"])
    assert out.lines == (first + "班子（扩大）会议、党员大会首个议题跟进学习制度。", "二、下步工作打算",
                         "（一）严格落实领导干部法治建设责任。")


# Paragraphs seed 002's export broke mid-sentence (end of one line, start of the next, as in the seed).
BROKEN = [
    ("常务会议定期学法制度。采取学法+研究+部署方式，学习贯彻落实法治政府建设举措。政府内部建立", "班子（扩大）会议、党员大会、干部职工会议首个议题跟进学习制度。"),
    ("，组织市管领导干部1名、县管领导干部328名、干部职工16197名参加年度法治考试，实现干", "部逢提必考、年度一考。**三是**推进考核体系更加优化。"),
    ("，新培育市场主体6888户，市场主体总量达57474户，居渝东南第二位。实施“双倍增”行动", "计划，培育科技型企业 211 家、高新技术企业 5 家。"),
    ("务公开制度，推进决策、执行、管理、服务、结果“五公开”，实行政务公开清单管理制度，落实公开", "事项“三级审核”制度，公开政务信息3万余条。"),
    ("法律顾问”全覆盖。创新“楼长制”社区治理，县城区招募楼栋长157名，实现“双网”融合。常态", "化推进扫黑除恶，持续攻坚全民反诈，群众安全感指数 99.1%。"),
    ("治理体系，共富乡村建设项目入选“首批乡村振兴赋能计划”组织振兴典型案例，花田乡何家岩村入选", "全国巩固拓展脱贫攻坚成果村级实践交流基地。"),
]
# Lines that must stay apart: a heading and what follows or precedes it, a finished sentence,
# a line ending in a colon before its list (seeds 000, 002, 003).
APART = [
    ("一、工作开展情况", "一是坚持统筹有度求突破，依法治县全面推进。集中学法求真求实。"),
    ("（一）提高政治站位，切实将习近平法治思想贯穿工作始终。", "一是建立健全依法治县专题会议制度。深度谋划顶层设计。"),
    ("2024年,和平县司法局坚持以习近平新时代中国特色社会主义思想为指导,统筹推进法治政府建设。现将有关工作情况报告如下。",
     "一、学习贯彻习近平法治思想,加大法治建设统筹力度"),
    ("一年来，县司法局坚持以习近平新时代中国特色社会主义思想为指导，坚持稳中求进工作总基调，下一步工作打算如下：",
     "一是加快推进行政复议体制改革，办理行政复议案件128件。"),
    ("县司法局坚持以习近平新时代中国特色社会主义思想为指导，坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念",
     "二、存在的主要问题"),
    ("县司法局坚持以习近平新时代中国特色社会主义思想为指导，坚持稳中求进工作总基调，完整、准确、全面贯彻新发展理念",
     "（三）推进更高水平法治和平建设。"),
]


@pytest.mark.parametrize("first,second", BROKEN)
def test_broken_paragraph_is_joined(first, second):
    out = clean_lines([first, "", second])
    assert out.lines == (normalise_line(first) + normalise_line(second),)


@pytest.mark.parametrize("first,second", APART)
def test_headings_and_finished_paragraphs_stay_apart(first, second):
    out = clean_lines([BODY, first, second])
    assert out.lines == (BODY, normalise_line(first), normalise_line(second))


def test_a_figure_is_never_chrome():
    lines = [BODY, "地址变更登记办理案件128件", "电话回访群众1200人次，满意率99.1%", "分享到"]
    out = clean_lines(lines)
    assert "地址变更登记办理案件128件" in out.lines and "电话回访群众1200人次，满意率99.1%" in out.lines
    assert holds_figure("办理行政复议案件128件") and not holds_figure("浏览次数:34")


def test_cleaning_twice_changes_nothing():
    once = clean_lines(["作者: 来源:本网", BODY, "和平县司法局", "2025年2月5日", "和平县司法局", "2025年2月6日"])
    assert clean_lines(once.lines).lines == once.lines


def test_learn_boilerplate_from_a_hosts_pages():
    pages = [["XX区人民政府 版本所有", "本站声明：转载请注明", f"正文{i}，办理案件{i}件。"] for i in range(5)]
    learned = learn_boilerplate(pages)
    assert learned == frozenset({"XX区人民政府版本所有", "本站声明：转载请注明"})  # as normalise_line has them
    assert learn_boilerplate(pages[:2]) == frozenset()  # too few pages to tell
    out = clean_lines(["本站声明：转载请注明", BODY], boilerplate=learned)
    assert out.lines == (BODY,)


def test_pattern_tables_carry_examples():
    for table in (ARTEFACTS, CHROME_PHRASES, FOOTER_LABELS):
        assert all(entry[-1] for entry in table)


@pytest.mark.parametrize("tail", [
    # A site's reprint notice under the article (DAnIEL, cs.com.cn; sina.com.hk).
    ["中证网声明：凡本网注明“来源：中国证券报・中证网”的所有作品，版权均属于中国证券报、中证网。中国证券报・中证网"
     "与作品作者联合声明，任何组织未经中国证券报、中证网以及作者书面授权不得转载、摘编或利用其它方式使用上述作品。"],
    ["(內容由新浪北京提供。未經授權，不得轉載。)"],
    # Readers' comments under a post: from their heading on (DAnIEL, a blog's comments).
    ["瑞雪对圣元奶粉致死的评论:", "这样的事频频发生，我们的日子过得心惊胆颤。", "刘英对圣元奶粉致死的评论:", "担心啊！"],
    ["网友评论", "说得好。", "支持！"],
    # An editor's credit, a disclaimer in traditional characters and a contact line (DAnIEL).
    ["(曹文明編輯)", "免責聲明：本文所載資料僅供參考，并不構成投資建議，世華財訊對該資料或使用該資料所導致的結果概不承擔任何責任。",
     "世華財訊資訊中心：editor@shihua.com.cn 電話：4006744482"],
    ["（编辑：谢璇）"],
])
def test_reprint_notices_and_comments_go(tail):
    assert clean_lines([BODY, BODY] + tail).lines == (BODY, BODY)


def test_a_comment_like_line_in_a_report_stays():
    lines = [BODY, "（二）广泛听取社会各界对规范性文件的评论和意见，共收到建议42条。", BODY]
    assert clean_lines(lines).lines == tuple(lines)


def test_a_run_of_dated_entries_in_the_text_stays():
    """A list of events in the text (zh-extraction d5bced5e) is content; one dated line alone
    under the text, or at its top, is a header line."""
    events = ["2019年6月1日 大田站 大田又松文化会馆", "2019年6月9日 全洲站 全洲三星文化会馆", "2019年9月7日 安养站 安养购物中心"]
    assert clean_lines([BODY, *events, BODY]).lines == (BODY, *map(normalise_line, events), BODY)
    assert clean_lines(["2005-01-06 08:13更新", BODY, BODY]).lines == (BODY, BODY)
    assert clean_lines([BODY, "2005-01-06 08:13更新", BODY]).lines == (BODY, BODY)
