"""The web app is safe by construction: crawled titles, texts and URLs are escaped everywhere,
raw captures are sandboxed, crawl URLs cannot reach inside the network (SSRF), and page writes
need a login session with its CSRF token."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from helpers_webdb import HOSTILE_ISSUER, HOSTILE_TITLE, HOSTILE_URL, small_db
from jobs.web import create_app
from jobs.web.errors import WebError
from jobs.web.guards import check_crawl_url, refused_address
from webapp import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    with small_db(tmp_path_factory.mktemp("hostile"), hostile=True) as (settings, db, ids):
        with TestClient(create_app(settings, db)) as client:
            yield client, ids


def _no_live_markup(html: str) -> None:
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert not re.search(r"<img[^>]*onerror", html)
    assert not re.search(r"""href=["']?\s*javascript:""", html, re.I)
    assert not re.search(r"""src=["']?\s*javascript:""", html, re.I)


def test_hostile_title_text_and_urls_are_escaped_in_every_page(hostile):
    client, ids = hostile
    pages = [f"/reports/{ids['report']}", "/search?q=法治政府", "/search?q=script",
             f"/search?issuer={HOSTILE_ISSUER}", f"/captures/{ids['capture']}", "/coverage?year=2024&region=50",
             "/sources", "/runs"]
    for path in pages:
        r = client.get(path)
        assert r.status_code == 200, (path, r.text[:300])
        _no_live_markup(r.text)
    report = client.get(f"/reports/{ids['report']}").text
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in report  # shown as text
    assert "&lt;img src=x onerror=alert(1)&gt;" in report
    assert "&lt;script&gt;alert(&#39;text&#39;)&lt;/script&gt;" in report
    assert HOSTILE_URL in report  # the hostile publication URL is listed, as text, not a link
    assert 'href="http://www.youyang.gov.cn/a.pdf"' in report  # a plain attachment is a link
    assert "附件&lt;b&gt;1&lt;/b&gt;" in report
    search = client.get("/search?q=法治政府").text
    assert "<mark>法治政府</mark>" in search and "&lt;script&gt;" in search


def test_hostile_text_in_the_api_is_data_not_markup(hostile):
    client, ids = hostile
    detail = client.get(f"/api/v1/reports/{ids['report']}").json()
    assert detail["title"] == HOSTILE_TITLE and detail["issuer"] == HOSTILE_ISSUER
    hit = client.get("/api/v1/search", params={"q": "依法行政"}).json()["results"][0]
    assert "<script>" not in hit["snippet_html"] and "&lt;script&gt;" in hit["snippet_html"]
    assert client.get("/api/v1/search").headers["content-type"].startswith("application/json")


def test_pages_carry_a_strict_content_security_policy(hostile):
    client, ids = hostile
    r = client.get(f"/reports/{ids['report']}")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "object-src 'none'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_raw_capture_is_sandboxed_or_downloaded(hostile):
    client, ids = hostile
    page = client.get(f"/captures/{ids['capture']}").text
    frame = re.search(r"<iframe[^>]*>", page).group(0)
    assert 'sandbox=""' in frame and f'src="/captures/{ids["capture"]}/raw"' in frame
    raw = client.get(f"/captures/{ids['capture']}/raw")
    assert raw.content.startswith(b"<html>")  # the bytes as captured, for the sandbox
    csp = raw.headers["content-security-policy"]
    assert csp.startswith("sandbox;") and "default-src 'none'" in csp and "script-src" not in csp
    assert raw.headers["x-content-type-options"] == "nosniff"
    assert raw.headers["content-disposition"].startswith("inline")
    download = client.get(f"/captures/{ids['capture']}/raw?download=1")
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["content-type"] == "application/octet-stream"
    pdf = client.get(f"/captures/{ids['pdf']}/raw")  # never inline: only HTML and text are
    assert pdf.headers["content-disposition"].startswith("attachment")
    assert pdf.headers["content-type"] == "application/octet-stream"
    assert "<iframe" not in client.get(f"/captures/{ids['pdf']}").text


# ------------------------------------------------------------------------------------- SSRF

@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://127.8.9.10:8080/admin", "http://10.1.2.3/report.html",
    "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
    "http://192.168.1.1/", "http://172.16.5.4/", "http://0.0.0.0/", "http://100.100.100.200/",
    "http://[fe80::1]/",
])
def test_ssrf_refuses_internal_addresses(url):
    with pytest.raises(WebError) as err:
        check_crawl_url(url, resolver=lambda host, port: pytest.fail("an address is not resolved"))
    assert err.value.status == 400 and "refused" in err.value.message


def test_ssrf_refuses_a_hostname_resolving_to_a_private_address(monkeypatch):
    monkeypatch.setattr("jobs.web.guards.resolve_host", lambda host, port: ["59.255.1.2", "192.168.10.7"])
    with pytest.raises(WebError) as err:
        check_crawl_url("http://intranet.example.gov.cn/")
    assert "192.168.10.7 is a private address" in err.value.message
    monkeypatch.setattr("jobs.web.guards.resolve_host", lambda host, port: ["59.255.1.2"])
    assert check_crawl_url("http://www.example.gov.cn/") == "http://www.example.gov.cn/"


def test_ssrf_refuses_what_does_not_resolve_and_other_schemes(monkeypatch):
    def fail(host, port):
        raise OSError("Name or service not known")
    monkeypatch.setattr("jobs.web.guards.resolve_host", fail)
    for url, why in (("http://nowhere.invalid/", "does not resolve"), ("file:///etc/passwd", "only http"),
                     ("gopher://x/", "only http"), ("http:///x", "no host"), ("javascript:alert(1)", "only http")):
        with pytest.raises(WebError) as err:
            check_crawl_url(url)
        assert why in err.value.message, url


def test_private_urls_allowed_only_by_setting():
    assert check_crawl_url("http://10.0.0.5/fzzf/", allow_private=True) == "http://10.0.0.5/fzzf/"
    assert refused_address("59.255.1.2") is None and refused_address("::1")


def test_api_crawl_of_an_internal_url_is_refused(tmp_path):
    with small_db(tmp_path) as (settings, db, _):
        with TestClient(create_app(settings, db)) as c:
            for url in ("http://127.0.0.1:6379/", "http://169.254.169.254/", "http://[::1]/"):
                r = c.post("/api/v1/crawls", json={"urls": [url]}, headers=AUTH)
                assert r.status_code == 400 and "refused" in r.json()["error"], url
            r = c.post("/api/v1/sources", json={"name": "内网", "urls": ["http://10.2.3.4/"]}, headers=AUTH)
            assert r.status_code == 400 and "private" in r.json()["error"]


# ------------------------------------------------------------------------------ login, CSRF

def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_login_needs_the_form_token_and_the_right_password(tmp_path, monkeypatch):
    monkeypatch.setattr("jobs.web.guards.resolve_host", lambda host, port: ["59.255.1.2"])
    with small_db(tmp_path) as (settings, db, _):
        with TestClient(create_app(settings, db), follow_redirects=False) as c:
            # A form posted from elsewhere has no session, or not its CSRF token.
            assert c.post("/login", data={"token": TOKEN, "csrf": "forged"}).status_code == 403
            csrf = _csrf(c.get("/login").text)
            assert c.post("/login", data={"token": "wrong", "csrf": csrf}).status_code == 401
            add = {"name": "某县政府", "urls": "http://www.example.gov.cn/", "csrf": csrf}
            assert c.post("/actions/sources/add", data=add).status_code == 401  # not logged in
            ok = c.post("/login", data={"token": TOKEN, "csrf": csrf, "next": "//evil.example/"})
            assert ok.status_code == 303 and ok.headers["location"] == "/"
            cookie = ok.headers["set-cookie"]
            assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
            fresh = _csrf(c.get("/sources").text)
            assert fresh != csrf  # a new session on login
            assert c.post("/actions/sources/add", data={**add, "csrf": csrf}).status_code == 403
            assert c.post("/actions/sources/add", data={**add, "csrf": ""}).status_code == 403
            done = c.post("/actions/sources/add", data={**add, "csrf": fresh})
            assert done.status_code == 303 and done.headers["location"].startswith("/sources/")
            # A session cookie signed with another key is no session.
            c.cookies.set("govreports_session", cookie.split(";")[0].split("=", 1)[1][:-3] + "abc")
            assert c.post("/actions/sources/remove", data={"name": "某县政府", "csrf": fresh}).status_code == 403


def test_no_token_means_no_login_and_no_write_forms(tmp_path):
    with small_db(tmp_path, duplicate=True, token="") as (settings, db, ids):
        with TestClient(create_app(settings, db)) as c:
            assert c.post("/login", data={"token": "anything", "csrf": "x"}).status_code == 403
            page = c.get(f"/reports/{ids['report']}").text
            assert "/actions/split" not in page and "登录" not in page
            assert "set-cookie" not in c.get("/sources").headers
