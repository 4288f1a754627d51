"""The HTTP API under /api/v1/, against a database filled by crawling the seeds test web: every
endpoint, JSON errors, limits, writes with the token, and the OpenAPI document."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import replace

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from jobs.web import create_app
from jobs.web.actions import WebCrawls
from webapp import EDIT, EDITED_REPORT, TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}


class FakeCrawl:
    """Stands in for jobs.tasks.crawl: records what it was asked and writes the run it would."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], str | None, str]] = []
        self.public_only: list[bool] = []  # each call's [crawl] refuse_private_addresses

    def __call__(self, settings, db, urls, *, source=None, trigger="cli", stop=None):
        from storage.runs import finish_run, start_run
        self.calls.append((list(urls), source.name if source else None, trigger))
        self.public_only.append(settings.crawl.refuse_private_addresses)
        with db.session() as s:
            run_id = start_run(s, start_urls=urls, source_id=source.id if source else None, trigger=trigger)
            finish_run(s, run_id, status="succeeded", stats={"fetch/pages": 0})

        class Summary:
            status = "succeeded"
        Summary.run_id = run_id
        return Summary()


@pytest.fixture(scope="module")
def client(crawled_web):
    app = create_app(crawled_web.settings, crawled_web.db)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def fake_crawl(crawled_web, client):
    fake = FakeCrawl()
    state = client.app.state.web
    before = state.crawls
    state.crawls = WebCrawls(crawled_web.settings, crawled_web.db, crawl=fake)
    yield fake
    state.crawls.close()
    state.crawls = before


def _planted(crawled_web, report_id=EDITED_REPORT):
    return crawled_web.manifest.report(report_id)


def _report_id(client, title):
    hits = client.get("/api/v1/search", params={"q": f'"{title}"'}).json()["results"]
    return next(h["id"] for h in hits if h["title"] == title)


# ------------------------------------------------------------------------------------ reads

def test_search_finds_the_crawled_reports_with_facets(client, crawled_web):
    annual = [r for r in crawled_web.manifest.reports]
    body = client.get("/api/v1/search", params={"q": "法治政府"}).json()
    assert body["total"] == len(annual) and body["total_estimated"] is False
    assert {h["title"] for h in body["results"]} == {r["title"] for r in annual}
    years = {f["value"]: f["count"] for f in body["facets"]["years"]}
    assert years == {y: sum(1 for r in annual if r["report_year"] == y) for y in years}
    provinces = {f["code"]: (f["name"], f["count"]) for f in body["facets"]["provinces"]}
    assert provinces["50"][0] == "重庆市"
    assert all("<mark>法治政府</mark>" in h["snippet_html"] for h in body["results"])
    assert all(h["published_at"] is None or dt.date.fromisoformat(h["published_at"])
               for h in body["results"])


def test_search_filters_and_paging(client, crawled_web):
    planted = _planted(crawled_web)
    by_year = client.get("/api/v1/search", params={"q": "法治政府", "year": planted["report_year"]}).json()
    assert by_year["total"] == sum(1 for r in crawled_web.manifest.reports
                                   if r["report_year"] == planted["report_year"])
    # A region by name and by code: 重庆市合川区 is 500117.
    by_name = client.get("/api/v1/search", params={"region": "重庆市合川区"}).json()
    by_code = client.get("/api/v1/search", params={"region": "500117"}).json()
    assert [h["title"] for h in by_name["results"]] == [planted["title"]] == \
        [h["title"] for h in by_code["results"]]
    issuer = client.get("/api/v1/search", params={"issuer": "合川区司法局", "kind": "annual_report"}).json()
    assert [h["title"] for h in issuer["results"]] == [planted["title"]]
    day = planted["published_at"]
    dated = client.get("/api/v1/search", params={"from": day, "to": day}).json()
    assert planted["title"] in {h["title"] for h in dated["results"]}
    none = client.get("/api/v1/search", params={"q": "法治政府 NOT 司法局"}).json()
    assert all("司法局" not in (h["issuer"] or "") for h in none["results"])
    first = client.get("/api/v1/search", params={"q": "法治政府", "limit": 2}).json()
    second = client.get("/api/v1/search", params={"q": "法治政府", "limit": 2, "offset": 2}).json()
    assert len(first["results"]) == 2 and len(second["results"]) == first["total"] - 2
    assert not {h["id"] for h in first["results"]} & {h["id"] for h in second["results"]}


def test_export_streams_every_match_as_csv_and_jsonl(client):
    total = client.get("/api/v1/search", params={"q": "法治政府"}).json()["total"]
    r = client.get("/api/v1/export", params={"q": "法治政府", "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == total and {"id", "title", "url", "text"} <= set(rows[0])
    lines = client.get("/api/v1/export", params={"q": "法治政府", "format": "jsonl", "year": 2023}).text.splitlines()
    assert [json.loads(x)["report_year"] for x in lines] == [2023]
    assert client.get("/api/v1/export", params={"format": "xml"}).json()["status"] == 400


def test_report_has_publications_versions_and_merge_reasons(client, crawled_web):
    reposted = next(r for r in crawled_web.manifest.reports if len(r["urls"]) > 1)
    detail = client.get(f"/api/v1/reports/{_report_id(client, reposted['title'])}").json()
    assert detail["title"] == reposted["title"] and detail["issuer"] == reposted["issuer"]
    assert detail["published_at"] == reposted["published_at"]
    assert sorted(p["url"] for p in detail["publications"]) == sorted(reposted["urls"])
    texts = [p["merge_reason_text"] for p in detail["publications"]]
    assert "first publication of the report" in texts and len(texts) == 2
    assert all(dt.datetime.fromisoformat(p["first_seen"]).tzinfo for p in detail["publications"])
    assert detail["versions"] and detail["sections"]


def test_version_diff_shows_the_edit(client, crawled_web):
    rid = _report_id(client, _planted(crawled_web)["title"])
    versions = client.get(f"/api/v1/reports/{rid}").json()["versions"]
    assert len(versions) == 2
    diff = client.get(f"/api/v1/reports/{rid}/versions/{versions[1]['id']}/diff").json()
    assert diff["previous"]["id"] == versions[0]["id"] and diff["lines_added"] >= 1
    added = ["".join(t for _, t in row["new"]) for row in diff["rows"] if row["tag"] in ("added", "changed")]
    assert any(EDIT in line for line in added)
    assert client.get(f"/api/v1/reports/{rid}/versions/999999/diff").json() == {
        "error": f"report {rid} has no version 999999", "status": 404}


def test_coverage_json_and_csv(client, crawled_web):
    planted = _planted(crawled_web)
    data = client.get("/api/v1/coverage", params={"year": planted["report_year"], "region": "5001"}).json()
    assert data["year"] == planted["report_year"] and data["deadline"] == f"{planted['report_year'] + 1}-04-01"
    found = [r for r in data["rows"] if r["found"]]
    assert [(r["issuer"], r["status"]) for r in found] == [(planted["issuer"], "on_time")]
    assert data["totals"]["expected"] == len(data["rows"]) > 1
    r = client.get("/api/v1/coverage", params={"year": planted["report_year"], "region": "5001", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == len(data["rows"]) and {"issuer", "status"} <= set(rows[0])
    assert client.get("/api/v1/coverage", params={"level": "village"}).status_code == 400


def test_sources_runs_progress_and_status(client, crawled_web):
    sources = client.get("/api/v1/sources").json()
    src = next(s for s in sources["sources"] if s["name"] == crawled_web.source_name)
    assert src["last_run"]["status"] == "succeeded" and src["reports_found"] == 1
    assert src["blocked"] is None and src["failures_in_a_row"] == 0
    one = client.get(f"/api/v1/sources/{crawled_web.source_name}").json()
    assert len(one["runs"]) == 2 and all(r["source"] == crawled_web.source_name for r in one["runs"])
    runs = client.get("/api/v1/runs", params={"limit": 10}).json()
    assert runs["total"] >= 3 and runs["runs"][0]["id"] > runs["runs"][-1]["id"]
    mine = client.get("/api/v1/runs", params={"source": crawled_web.source_name}).json()
    assert mine["total"] == 2
    run = client.get(f"/api/v1/runs/{runs['runs'][-1]['id']}").json()
    assert run["pages"] > 0 and sum(run["captures"].values()) > 0 and "fetch/requests" in run["stats"]
    assert client.get("/api/v1/progress").json() == {"running": []}
    status = client.get("/api/v1/status").json()
    assert status["reports"]["total"] == len(crawled_web.manifest.reports)


# ---------------------------------------------------------------------------------- errors

@pytest.mark.parametrize("path, status", [
    ("/api/v1/reports/999999", 404), ("/api/v1/reports/abc", 400), ("/api/v1/nowhere", 404),
    ("/api/v1/search?year=twenty", 400), ("/api/v1/search?q=NOT%20x", 400),
    ("/api/v1/search?kind=poem", 400), ("/api/v1/search?region=不存在的地方", 400),
    ("/api/v1/sources/nobody", 404), ("/api/v1/runs/999999", 404),
])
def test_errors_are_json_with_message_and_status(client, path, status):
    r = client.get(path)
    assert r.status_code == status and r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error", "status"} and body["status"] == status and body["error"]


def test_limits_on_query_length_page_size_and_offset(client, crawled_web):
    web = crawled_web.settings.web
    assert client.get("/api/v1/search", params={"q": "法" * (web.max_query_chars + 1)}).status_code == 400
    assert client.get("/api/v1/search", params={"limit": web.max_page_size + 1}).status_code == 400
    assert client.get("/api/v1/search", params={"offset": web.max_offset + 1}).status_code == 400
    assert client.get("/api/v1/search", params={"limit": web.max_page_size}).status_code == 200


def test_rate_limit_and_body_size(crawled_web):
    settings = replace(crawled_web.settings, web=replace(crawled_web.settings.web, requests_per_minute=5,
                                                         max_request_bytes=1000))
    with TestClient(create_app(settings, crawled_web.db)) as c:
        big = c.post("/api/v1/crawls", content=b"{" + b" " * 2000 + b"}", headers={**AUTH, "Content-Type": "application/json"})
        assert big.status_code == 413 and big.json()["status"] == 413
        codes = [c.get("/api/v1/progress").status_code for _ in range(6)]
        assert codes[:4] == [200] * 4 and codes[-1] == 429
        r = c.get("/api/v1/progress")
        assert r.json()["status"] == 429 and int(r.headers["retry-after"]) >= 1


# ---------------------------------------------------------------------------------- writes

def test_writes_need_the_token(client):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        r = client.post("/api/v1/crawls", json={"source": "x"}, headers=headers)
        assert r.status_code == 401 and r.json()["status"] == 401
        assert r.headers["www-authenticate"].startswith("Bearer")
    assert client.delete("/api/v1/sources/x").status_code == 401
    assert client.post("/api/v1/publications/1/split").status_code == 401


def test_writes_are_off_without_a_token(crawled_web):
    settings = replace(crawled_web.settings, web=replace(crawled_web.settings.web, token=""))
    with TestClient(create_app(settings, crawled_web.db)) as c:
        r = c.post("/api/v1/crawls", json={"source": crawled_web.source_name}, headers={"Authorization": "Bearer "})
        assert r.status_code == 403 and "no [web] token" in r.json()["error"]


def test_trigger_a_crawl_of_a_source(client, crawled_web, fake_crawl):
    r = client.post("/api/v1/crawls", json={"source": crawled_web.source_name}, headers=AUTH)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["source"] == crawled_web.source_name and body["run_id"]
    client.app.state.web.crawls.close()
    urls = crawled_web.manifest.sites[crawled_web.source_host]["columns"]
    assert fake_crawl.calls == [(urls, crawled_web.source_name, "web")]
    run = client.get(body["run_url"]).json()
    assert run["trigger"] == "web" and run["source"] == crawled_web.source_name
    assert client.post("/api/v1/crawls", json={"source": "nobody"}, headers=AUTH).status_code == 404
    assert client.post("/api/v1/crawls", json={}, headers=AUTH).status_code == 400


def test_one_off_crawl_of_a_public_url(client, fake_crawl, monkeypatch):
    monkeypatch.setattr("jobs.web.guards.resolve_host", lambda host, port: ["59.255.10.20"])
    r = client.post("/api/v1/crawls", json={"urls": ["http://www.example.gov.cn/fzzf/"]}, headers=AUTH)
    assert r.status_code == 202, r.text
    client.app.state.web.crawls.close()
    assert fake_crawl.calls == [(["http://www.example.gov.cn/fzzf/"], None, "web")]
    # Checked again where the crawler connects (DNS rebinding): crawler/resolver.py.
    assert fake_crawl.public_only == [True]


def test_add_and_remove_a_source(client, monkeypatch):
    monkeypatch.setattr("jobs.web.guards.resolve_host", lambda host, port: ["59.255.10.21"])
    new = {"name": "测试县司法局", "urls": ["http://sfj.test-county.gov.cn/fzzf/"],
           "issuer": "测试县司法局", "division_code": "500242"}
    r = client.post("/api/v1/sources", json=new, headers=AUTH)
    assert r.status_code == 201, r.text
    assert client.get(f"/api/v1/sources/{new['name']}").json()["start_urls"] == new["urls"]
    assert client.post("/api/v1/sources", json=new, headers=AUTH).status_code == 409
    assert client.delete(f"/api/v1/sources/{new['name']}", headers=AUTH).json() == {"removed": new["name"]}
    assert client.get(f"/api/v1/sources/{new['name']}").status_code == 404
    bad = client.post("/api/v1/sources", json={**new, "urls": ["ftp://x.gov.cn/"]}, headers=AUTH)
    assert bad.status_code == 400 and "http" in bad.json()["error"]


def test_a_crawled_source_is_not_removed(client, crawled_web):
    r = client.delete(f"/api/v1/sources/{crawled_web.source_name}", headers=AUTH)
    assert r.status_code == 409 and "closed" in r.json()["error"]


def test_split_a_publication(tmp_path):
    from helpers_webdb import small_db
    from jobs.web.api import report_json  # noqa: F401  (the split is read back through the API)
    with small_db(tmp_path, duplicate=True) as (settings, db, ids):
        with TestClient(create_app(settings, db)) as c:
            report = c.get(f"/api/v1/reports/{ids['report']}").json()
            assert len(report["publications"]) == 2
            pub = report["publications"][1]["id"]
            r = c.post(f"/api/v1/publications/{pub}/split", json={"note": "different reports"}, headers=AUTH)
            assert r.status_code == 200, r.text
            new = c.get(f"/api/v1/reports/{r.json()['new_report_id']}").json()
            assert [p["id"] for p in new["publications"]] == [pub]
            assert new["publications"][0]["merge_reason"]["method"] == "split"
            again = c.post(f"/api/v1/publications/{pub}/split", headers=AUTH)
            assert again.status_code == 409 and again.json()["status"] == 409
            assert c.post("/api/v1/publications/999999/split", headers=AUTH).status_code == 404


# --------------------------------------------------------------------------------- OpenAPI

def test_openapi_document_matches_the_endpoints(client):
    doc = client.get("/api/v1/openapi.json").json()
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    from jobs.web import api, pages
    routed = {(route.path, method) for route in api.router.routes if isinstance(route, APIRoute)
              and route.include_in_schema for method in route.methods}
    assert documented == routed
    assert not [r for r in pages.router.routes if getattr(r, "include_in_schema", False)]
    assert all(path.startswith("/api/v1/") for path, _ in documented)
    expected = {("/api/v1/search", "GET"), ("/api/v1/export", "GET"), ("/api/v1/reports/{report_id}", "GET"),
                ("/api/v1/reports/{report_id}/versions/{version_id}/diff", "GET"),
                ("/api/v1/coverage", "GET"), ("/api/v1/sources", "GET"), ("/api/v1/sources", "POST"),
                ("/api/v1/sources/{name}", "GET"), ("/api/v1/sources/{name}", "DELETE"),
                ("/api/v1/runs", "GET"), ("/api/v1/runs/{run_id}", "GET"), ("/api/v1/progress", "GET"),
                ("/api/v1/crawls", "POST"), ("/api/v1/publications/{publication_id}/split", "POST"),
                ("/api/v1/status", "GET")}
    assert documented == expected
    params = {p["name"] for p in doc["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert {"q", "year", "region", "issuer", "kind", "from", "to", "offset", "limit"} <= params
    # Every documented path is served by the app (a made-up id is the endpoint's own 404).
    fill = {"{report_id}": "999999", "{version_id}": "1", "{name}": "nobody", "{run_id}": "999999",
            "{publication_id}": "999999"}
    for path, method in documented:
        url = path
        for key, value in fill.items():
            url = url.replace(key, value)
        r = client.request(method, url, headers=AUTH, json={} if method == "POST" else None)
        if r.headers["content-type"].startswith("application/json"):
            assert not r.json().get("error", "").startswith(("not found: /", "method ")), (method, path)
        if method == "GET" and "{" not in path:
            assert r.status_code == 200, path
