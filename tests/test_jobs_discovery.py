"""`govreports sources discover` on the provinces web (tests/web/provinces.py), through the real
command line and the test web's proxy; and the registry writes it makes, on both backends."""
from __future__ import annotations

import copy
import datetime as dt
import json
import re

import pytest
from sqlalchemy import select

from jobs.config import Settings
from jobs.discovery import apply_findings
from jobs.governments import ensure_divisions
from storage.models import Government, Source
from web.provinces import OTHER_PROVINCES, build_provinces
from web.server import TestWeb

from test_e2e_crawl import govreports

MAX_PAGES = 4  # [discover] max_pages_per_portal


@pytest.fixture(scope="module")
def discovered(tmp_path_factory):
    """The province discovered twice, a user's edit between the two runs."""
    root = tmp_path_factory.mktemp("discover")
    web = build_provinces(root / "web")
    with TestWeb(web.sites_dir) as server:
        config = root / "settings.toml"
        config.write_text(
            f'[database]\nurl = "sqlite:///{root / "govreports.db"}"\n'
            f'[crawl]\nproxy = "{server.proxy_url}"\ndownload_delay_seconds = 0.0\nautothrottle = false\n'
            f'download_timeout_seconds = 2.0\nretry_times = 0\nconcurrent_requests = 16\n'
            f'[discover]\nmax_pages_per_portal = {MAX_PAGES}\n', encoding="utf-8")
        first = govreports(config, "sources", "discover", web.province_url, "--depth", "2").stdout
        before = _sources(config)
        govreports(config, "sources", "set", "www.changchun.gov.cn", "--issuer", "长春市政府")
        second = govreports(config, "sources", "discover", web.province_url, "--depth", "2").stdout
        after = _sources(config)
        dry = govreports(config, "sources", "discover", *OTHER_PROVINCES, "--dry-run").stdout
        after_dry = _sources(config)
        others = govreports(config, "sources", "discover", *OTHER_PROVINCES, "--json").stdout
        yield {"web": web, "first": first, "second": second, "before": before, "after": after,
               "dry": dry, "after_dry": after_dry, "others": json.loads(others),
               "requests": [(e.host, e.path) for e in server.requests()], "config": config}


def _sources(config) -> dict[str, dict]:
    out = govreports(config, "sources", "list", "--json").stdout
    return {row["name"]: row for row in map(json.loads, out.splitlines())}


def test_every_planted_site_and_nothing_else_with_its_division_and_issuer(discovered):
    web, found = discovered["web"], discovered["before"]
    expected = {s["name"]: s for s in web.sources}
    assert set(found) == set(expected), (set(expected) - set(found), set(found) - set(expected))
    for name, want in expected.items():
        got = found[name]
        assert (got["division_code"], got["issuer"]) == (want["code"], want["issuer"]), name
        assert got["verified"] is False and got["origin"] == "discovered", name
        state = None if want["state"] == "active" else want["state"]
        assert (got["site_state"], got["successor_url"]) == (state, want["successor"]), name
        assert got["government_id"] is not None and got["start_urls"] == [want["url"]], name
        assert got["discovered_from"] or name == "www.jl.gov.cn", name
    # The province is where discovery starts again next month.
    assert found["www.jl.gov.cn"]["hints"] == {"discover": True}
    urls = {u for row in found.values() for u in row["start_urls"]}
    assert not urls & set(web.not_sources)
    # Why each listed non-government site is not a source is printed.
    assert "not a source: http://www.chinajilin.com.cn/" in discovered["first"]
    assert "not a gov.cn host and no 网站标识码" in discovered["first"]
    assert re.search(r"not a source: http://changchuncourt\S+ \(长春市中级人民法院", discovered["first"])


def test_requests_per_host_are_printed_and_polite(discovered):
    printed = {m.group(1): int(m.group(2))
               for m in re.finditer(r"requests to (\S+): (\d+)", discovered["first"])}
    asked: dict[str, int] = {}
    for host, path in discovered["requests"]:
        asked[host] = asked.get(host, 0) + 1
    assert printed and set(printed) <= set(asked)
    # robots.txt and at most MAX_PAGES pages per site; the news site only its home page.
    assert max(printed.values()) <= MAX_PAGES + 1
    assert printed["www.chinajilin.com.cn"] == 2
    # Sites whose names are no government's (the courts, 长春新闻网) are never asked.
    assert not any(h.endswith("chinacourt.gov.cn") or h == "www.changchunnews.com" for h in asked)


def test_running_it_again_changes_nothing_and_keeps_the_users_edit(discovered):
    second = discovered["second"]
    assert "sources added:     0" in second and "sources updated:   0" in second, second
    before, after = discovered["before"], copy.deepcopy(discovered["after"])
    assert after["www.changchun.gov.cn"]["issuer"] == "长春市政府"
    assert after["www.changchun.gov.cn"]["user_fields"] == ["issuer"]
    after["www.changchun.gov.cn"].update(issuer=before["www.changchun.gov.cn"]["issuer"], user_fields=[])
    assert after == before


def test_names_that_only_their_parent_settles(discovered):
    assert "would add" in discovered["dry"] and "dry run" in discovered["dry"]
    assert discovered["after_dry"] == discovered["after"]  # a dry run registers nothing
    changes = {c["name"]: c for c in discovered["others"]["changes"]}
    codes = {name: c["division_code"] for name, c in changes.items()}
    assert codes["www.bjchy.gov.cn"] == "110105"  # 朝阳区 on Beijing's portal
    assert codes["www.tjhp.gov.cn"] == "120101"  # 和平区 on Tianjin's
    assert codes["www.syhp.gov.cn"] == "210102"  # 和平区 on 沈阳市's (depth 2)
    assert codes["www.zgcy.gov.cn"] == "211300"  # 朝阳: 朝阳市 or 朝阳县? its 网站标识码 says
    assert changes["www.tjhp.gov.cn"]["issuer"] == "天津市和平区人民政府"
    assert changes["www.syhp.gov.cn"]["issuer"] == "沈阳市和平区人民政府"
    assert discovered["others"]["requests"] > 0 and discovered["others"]["requests_per_host"]


# ---------------------------------------------------------------------------- the registry writes

def _found(key: str, code: str | None, department: str = "", **extra) -> dict:
    return {"key": key, "url": f"http://{key}/", "final_url": f"http://{key}/", "code": code,
            "department": department, "depth": 1, "root": False, "state": "active",
            "found_from": "http://www.jl.gov.cn/zfwzdh/", "where": "section", **extra}


def test_findings_become_sources_failing_sites_die_and_user_fields_stay(db):
    ensure_divisions(db)
    settings = Settings()
    t0 = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    findings = [_found("www.cc.gov.cn", "220100"), _found("sfj.cc.gov.cn", "220100", "司法局"),
                _found("www.antu.gov.cn", "222426", state="failing", error="fetch: HTTP 503"),
                _found("www.old.gov.cn", "220184", state="moved", successor="http://www.new.gov.cn/")]
    with db.session() as s:
        s.add(Source(name="mine", start_urls=["http://www.cc.gov.cn/"], issuer="我的长春",
                     user_fields=["issuer"], hints={}, known_columns=[]))
    dry = apply_findings(db, findings, settings=settings, dry_run=True, now=t0)
    assert {c.name: c.change for c in dry} == {
        "mine": "updated", "sfj.cc.gov.cn": "added", "www.antu.gov.cn": "added", "www.old.gov.cn": "added"}
    with db.session() as s:
        assert s.scalar(select(Source).where(Source.name == "sfj.cc.gov.cn")) is None
    first = apply_findings(db, findings, settings=settings, now=t0)
    assert {c.name: c.change for c in first} == {
        "mine": "updated", "sfj.cc.gov.cn": "added", "www.antu.gov.cn": "added", "www.old.gov.cn": "added"}
    again = apply_findings(db, findings, settings=settings, now=t0 + dt.timedelta(days=30))
    assert {c.change for c in again} == {"unchanged"}
    later = apply_findings(db, findings, settings=settings, now=t0 + dt.timedelta(days=61))
    assert {c.name: c.change for c in later}["www.antu.gov.cn"] == "updated"
    with db.session() as s:
        by_name = {src.name: src for src in s.scalars(select(Source))}
        assert by_name["mine"].issuer == "我的长春"  # the user's; not 长春市人民政府
        assert by_name["mine"].division_code == "220100"  # the discovery's (not set by the user)
        assert by_name["www.antu.gov.cn"].site_state == "dead"
        assert by_name["www.old.gov.cn"].site_state == "moved"
        assert by_name["www.old.gov.cn"].successor_url == "http://www.new.gov.cn/"
        dept = s.get(Government, by_name["sfj.cc.gov.cn"].government_id)
        assert (dept.division_code, dept.department, dept.name, dept.level) == (
            "220100", "司法局", "长春市司法局", "prefecture")
    # A dead site that answers again is alive again.
    revived = apply_findings(db, [_found("www.antu.gov.cn", "222426")], settings=settings,
                             now=t0 + dt.timedelta(days=90))
    assert revived[0].state is None
