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


def test_signature_and_addressee_are_fields():
    out = clean_lines(["区委、区政府:", BODY, "和平县司法局", "2025年2月5日"])
    assert out.addressee == "区委、区政府:"
    assert out.signature == ("和平县司法局", "2025年2月5日")
    assert out.lines == (BODY,)


def test_short_heading_at_the_end_is_not_a_signature():
    out = clean_lines([BODY, "三、下一步工作打算"])
    assert out.signature == () and out.lines[-1] == "三、下一步工作打算"


def test_broken_paragraphs_joined_headings_kept():
    first = "一是建立健全依法治县专题会议制度。深度谋划顶层设计，及时组织召开会议，明确政府职责。政府内部建立"
    out = clean_lines([first, "", "班子（扩大）会议、党员大会首个议题跟进学习制度。", "二、下步工作打算", "（一）严格落实领导干部法治建设责任。"])
    assert out.lines == (first + "班子（扩大）会议、党员大会首个议题跟进学习制度。", "二、下步工作打算",
                         "（一）严格落实领导干部法治建设责任。")


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
