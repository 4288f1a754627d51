"""Serving the app with uvicorn: in the foreground (`govreports web`) or beside the scheduler in
a thread (`govreports serve` with [web] enabled)."""
from __future__ import annotations

import logging
import threading
from typing import Any

from jobs.config import Settings

__all__ = ["run_web", "start_web_thread", "make_server"]

log = logging.getLogger("govreports.web")


def make_server(settings: Settings, *, host: str | None = None, port: int | None = None,
                db: Any = None) -> Any:
    import uvicorn

    from jobs.web.app import create_app
    app = create_app(settings, db)
    config = uvicorn.Config(app, host=host or settings.web.host, port=port or settings.web.port,
                            log_level="warning", access_log=False, proxy_headers=False,
                            server_header=False, timeout_graceful_shutdown=5,
                            limit_concurrency=200)
    return uvicorn.Server(config)


def run_web(settings: Settings, *, host: str | None = None, port: int | None = None) -> None:
    """Serve until SIGINT or SIGTERM."""
    server = make_server(settings, host=host, port=port)
    c = server.config
    log.info("govreports web app on http://%s:%s/ (writes %s)", c.host, c.port,
             "need the [web] token" if settings.web.token else "off: no [web] token")
    server.run()


def start_web_thread(settings: Settings) -> tuple[Any, threading.Thread]:
    """The app in a daemon thread (signals stay with the caller); stop with server.should_exit."""
    server = make_server(settings)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  (uvicorn < 0.29)
    thread = threading.Thread(target=server.run, name="govreports-web", daemon=True)
    thread.start()
    log.info("govreports web app on http://%s:%s/", server.config.host, server.config.port)
    return server, thread
