"""The web app and HTTP API: search, read, compare and watch the collection in a browser.

Server-rendered pages (FastAPI, Jinja2 templates; they work with JavaScript off) and a JSON API
under /api/v1/ with its OpenAPI document at /api/v1/openapi.json. Everything read goes through
the storage/ query functions. Writes (crawl triggers, sources, splits) need the [web] token.

    create_app(settings, db)   the ASGI app (tests, embedding)
    run_web(settings)          serve it with uvicorn until stopped (`govreports web`)
"""
from __future__ import annotations

from jobs.web.app import create_app
from jobs.web.server import run_web, start_web_thread

__all__ = ["create_app", "run_web", "start_web_thread"]
