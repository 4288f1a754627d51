"""The served test web: realistic government sites on 127.0.0.1, built at test time, never the network.

    from web.build import build_web          # tests/ is on sys.path, as for the other helpers
    from web.server import TestWeb

    manifest = build_web(tmp_path / "web", profile="seeds")   # or "full"; writes manifest.json too
    with TestWeb(manifest.sites_dir) as web:
        crawl with crawl.proxy = web.proxy_url (or http_proxy), start URLs manifest.columns / .homes
        assert on web.requests(host) (time, path, method, status, validators, cookies, via)

Manifest (also manifest.json next to sites/):
- columns, homes: start URLs of the report columns and of the official sites' home pages;
- reports: one per planted report: id, seed, title, issuer, report_year, published_at
  (YYYY-MM-DD, the page's PubDate / 发布时间), kind, urls (the documents holding it: pages, or the
  file of an attachment-only report; a repost has two), pages, attachment_only, host;
- decoys: look-alikes in the same columns (url, title, kind: interpretation | news | work_plan |
  work_summary | other);
- faults: url, fault, fetch_state the capture should show (http_error, network_error, too_large,
  robots), parent for a dead attachment;
- blocked: hosts behind a 412/521 challenge or a WAF (fetch_state blocked);
- spam: copies of a planted report on a host outside gov.cn (copy_of the report id).
`manifest.add_report(host, doc)` / `manifest.edit_report(id, paragraph, when)` change a site
between crawls (call `web.reload()` after); tests/web/full.py's `report()` makes a new report.
"""
