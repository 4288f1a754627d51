"""The web app in a real browser (Debian's headless Chromium driven by Playwright), against a
database filled by crawling the seeds test web: every page loads, a search with filters, a
report, a version diff, coverage with drill-down, a crawl triggered after logging in with the
token, a phone-sized layout, and the pages with JavaScript off.

Set GOVREPORTS_SCREENSHOTS=docs/screenshots to write the README's screenshots (small PNGs)."""
from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from conftest import IN_CI
from webapp import EDIT, EDITED_REPORT, TOKEN

CHROMIUM = "/usr/bin/chromium"
SHOTS = os.environ.get("GOVREPORTS_SCREENSHOTS", "")


def _need_browser() -> None:
    reason = None
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        reason = f"Chromium is not installed at {CHROMIUM} (Debian package chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "Playwright for Python is not installed (pip install -e '.[test]')"
    if reason:
        if IN_CI:
            pytest.fail(reason + " (CI=true: .ci/run installs it)")
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(crawled_web):
    """The app served by uvicorn on 127.0.0.1, as `govreports web` serves it."""
    _need_browser()
    from jobs.web.server import make_server
    port = _free_port()
    srv = make_server(crawled_web.settings, host="127.0.0.1", port=port, db=crawled_web.db)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the web app did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(15)


@pytest.fixture(scope="module")
def browser():
    _need_browser()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
                              args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 800, "height": 1000}, locale="zh-CN")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    pg.script_errors = errors  # type: ignore[attr-defined]
    yield pg
    context.close()
    assert not errors, errors  # no script errors, no CSP violations


def shot(pg, name: str) -> None:
    """A small PNG of what the page shows, for the README (only with GOVREPORTS_SCREENSHOTS)."""
    if not SHOTS:
        return
    from PIL import Image
    out = Path(SHOTS)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.png"
    pg.screenshot(path=str(path))
    img = Image.open(path).convert("RGB")
    img.quantize(colors=128).save(path, optimize=True)


def test_every_page_loads(page, server, crawled_web):
    for path, heading in [("/search", None), ("/coverage?year=2024", "2024 年度报告公开情况"),
                          ("/sources", "来源"), ("/runs", "抓取记录"), ("/login", "登录")]:
        response = page.goto(server + path)
        assert response.status == 200, path
        if heading:
            assert heading in page.locator("h1").inner_text()
    runs = page.goto(server + "/runs")
    page.locator("#runs a").first.click()
    assert re.search(r"/runs/\d+$", page.url) and "抓取 #" in page.locator("h1").inner_text()
    page.goto(server + "/sources")
    page.get_by_role("link", name=crawled_web.source_name).click()
    assert crawled_web.source_name in page.locator("h1").inner_text()
    assert runs.headers["content-security-policy"].startswith("default-src 'self'")


def test_search_with_filters_then_open_the_report(page, server, crawled_web):
    planted = crawled_web.manifest.report(EDITED_REPORT)
    page.goto(server + "/search")
    page.fill("input[name=q]", "法治政府")
    page.click("button:has-text('检索')")
    total = len(crawled_web.manifest.reports)
    assert f"共 {total} 篇" in page.locator("#result-count").inner_text()
    assert page.locator(".hit mark").first.inner_text() == "法治政府"
    shot(page, "search")
    # A menu filter applies on change (a little JavaScript); the URL holds the whole query.
    page.select_option("select[name=year]", str(planted["report_year"]))
    page.wait_for_url(re.compile(r"year=2024"))
    page.fill("input[name=region]", "重庆市合川区")
    page.click("button:has-text('筛选')")
    page.wait_for_url(re.compile(r"region="))
    assert "共 1 篇" in page.locator("#result-count").inner_text()
    assert "q=%E6%B3%95%E6%B2%BB%E6%94%BF%E5%BA%9C" in page.url
    # Facets are links that narrow the search.
    assert page.locator(".facets").get_by_text("重庆市").count() == 1
    shared = page.url
    page.goto(shared)  # the same URL shows the same results
    assert "共 1 篇" in page.locator("#result-count").inner_text()
    page.locator(".hit a.title").first.click()
    assert page.locator("#report-title").inner_text() == planted["title"]
    shot(page, "report")
    toc = page.locator("nav.toc a")
    assert toc.count() >= 2
    first = toc.first
    anchor = first.get_attribute("href")
    first.click()
    assert page.url.endswith(anchor) and page.locator(anchor).inner_text() == first.inner_text()
    assert planted["issuer"] in page.locator("dl.fields").inner_text()
    assert page.locator("#publications a[href^='http']").first.get_attribute("href") == planted["urls"][0]


def test_version_diff(page, server, crawled_web):
    planted = crawled_web.manifest.report(EDITED_REPORT)
    page.goto(server + "/search?q=" + planted["title"])
    page.get_by_role("link", name=planted["title"]).first.click()
    page.locator("#versions").get_by_role("link", name="比较").click()
    assert "版本比较" in page.locator("h1").inner_text()
    added = page.locator("table.diff ins")
    assert any(EDIT in added.nth(i).inner_text() for i in range(added.count()))
    assert "增加 1 行" in page.locator("#diff-summary").inner_text()
    page.locator("table.diff tr.added, table.diff tr.changed").first.scroll_into_view_if_needed()
    shot(page, "diff")
    page.get_by_role("link", name="行内").click()
    assert EDIT in page.locator(".diff.inline").inner_text()


def test_raw_capture_is_shown_in_a_sandbox(page, server, crawled_web):
    planted = crawled_web.manifest.report(EDITED_REPORT)
    page.goto(server + "/search?q=" + planted["title"])
    page.get_by_role("link", name=planted["title"]).first.click()
    page.locator("#publications").get_by_role("link", name="查看").first.click()
    frame = page.locator("iframe.raw")
    assert frame.get_attribute("sandbox") == ""
    inner = page.frame_locator("iframe.raw")
    assert "法治政府" in inner.locator("body").inner_text()
    # What the captured page asks to load is blocked by its sandbox's CSP (the browser says so),
    # and nothing else went wrong.
    blocked = [e for e in page.script_errors if "violates the following Content Security Policy" in e]
    assert blocked
    assert [e for e in page.script_errors if e not in blocked] == []
    page.script_errors.clear()


def test_coverage_grid_drills_down(page, server, crawled_web):
    planted = crawled_web.manifest.report(EDITED_REPORT)
    page.goto(server + f"/coverage?year={planted['report_year']}")
    grid = page.locator("#province-grid")
    assert grid.get_by_text("重庆市").count() == 1
    shot(page, "coverage")
    grid.get_by_role("link").filter(has_text="重庆市").click()
    assert "region=50" in page.url
    rows = page.locator("#coverage-rows tbody tr")
    assert rows.count() > 1
    found = page.locator("#coverage-rows tr", has_text=planted["issuer"])
    assert "按时公开" in found.inner_text()
    assert page.locator("a", has_text="下载 CSV").get_attribute("href").startswith("/coverage.csv?year=2024")


def test_login_and_trigger_a_crawl(page, server, crawled_web):
    page.goto(server + "/sources")
    assert page.locator("button:has-text('立即抓取')").count() == 0  # not logged in
    page.get_by_role("link", name="登录").first.click()
    page.fill("input[name=token]", "wrong")
    page.click("button:has-text('登录')")
    assert "令牌不正确" in page.locator("#login-error").inner_text()
    assert [e for e in page.script_errors if "401" not in e] == []  # the refused login's status
    page.script_errors.clear()
    page.fill("input[name=token]", TOKEN)
    page.click("button:has-text('登录')")
    page.wait_for_url(re.compile(r"/sources$"))
    row = page.locator("#sources tr", has_text=crawled_web.source_name)
    row.locator("button:has-text('立即抓取')").click()
    page.wait_for_url(re.compile(r"/runs/\d+$"))
    run_id = int(page.url.rsplit("/", 1)[1])
    deadline = time.monotonic() + 90
    while page.locator("#run-status").inner_text() == "运行中":
        assert time.monotonic() < deadline, "the triggered crawl did not finish"
        time.sleep(1)
        page.reload()
    assert page.locator("#run-status").inner_text() == "成功"
    text = page.locator("dl.fields").inner_text()
    assert crawled_web.source_name in text and "web" in text
    page.goto(server + "/runs")
    assert page.locator("#runs tbody tr").first.locator("td").first.inner_text() == str(run_id)
    shot(page, "runs")
    page.goto(server + "/sources")
    shot(page, "sources")


def test_phone_layout(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1,
                                  is_mobile=True, has_touch=True)
    pg = context.new_page()
    try:
        for path in ("/search?q=法治政府", "/coverage?year=2024", "/runs"):
            pg.goto(server + path)
            overflow = pg.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, (path, overflow)
        pg.goto(server + "/search?q=法治政府")
        # One column: the facets go below the results.
        hits, facets = pg.locator("section.results").bounding_box(), pg.locator("aside.facets").bounding_box()
        assert facets["y"] > hits["y"]
        shot(pg, "search-phone")
    finally:
        context.close()


def test_works_without_javascript(browser, server, crawled_web):
    context = browser.new_context(java_script_enabled=False)
    pg = context.new_page()
    try:
        pg.goto(server + "/search")
        pg.fill("input[name=q]", "法治政府")
        pg.select_option("select[name=year]", "2023")
        pg.click("button:has-text('筛选')")
        assert "共 1 篇" in pg.locator("#result-count").inner_text()
        pg.locator(".pager, .hit a.title").first.wait_for()
        pg.locator(".hit a.title").first.click()
        assert pg.locator("#report-title").inner_text()
    finally:
        context.close()


def test_chinese_text_renders_in_a_cjk_font(page, server):
    page.goto(server + "/search?q=法治政府")
    # Every glyph found in a font (no tofu): the width of CJK text is that of full-width glyphs.
    width = page.evaluate("""() => { const s = document.createElement('span');
        s.textContent = '法治政府建设年度报告'; document.body.appendChild(s);
        const w = s.getBoundingClientRect().width; s.remove(); return w; }""")
    size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert abs(width - 10 * size) < 1.5, (width, size)
    assert "Noto Sans CJK SC" in page.evaluate("getComputedStyle(document.body).fontFamily")
