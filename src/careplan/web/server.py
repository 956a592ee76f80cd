"""``serve()``: start the warm worker and the page under waitress; stop when idle or told to.

waitress serves the Flask application on a loopback address and a free port by default,
writes no access log and has no dependencies. The opening URL carries a token that is new at
every launch. The server stops after ``idle_minutes`` without a request (a running batch
counts as activity), when the nurse presses Quit, on Ctrl-C or SIGTERM; every temporary
folder is removed and every worker stopped before ``serve()`` returns.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import secrets
import signal
import sys
import threading
import webbrowser
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from careplan.clinic import load_clinic
from careplan.web.app import LOOPBACK_HOSTS, TypeOnly, WebSettings, create_app
from careplan.web.workers import Batches, WarmRenderer
from careplan.worker import default_jobs

LOG = logging.getLogger("careplan.web")
QUIT_DELAY = 0.5  # seconds: let the "stopped" page reach the browser first


def is_loopback(host: str) -> bool:
    """Tell whether ``host`` names this machine only (127.0.0.0/8, ::1 or localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str) -> tuple[str, ...]:
    """Return the Host names the page answers to: loopback's, and ``host`` when it is another."""
    return LOOPBACK_HOSTS if host in LOOPBACK_HOSTS else (*LOOPBACK_HOSTS, host)


class Server:
    """One launch: the warm worker, the batches, the application and its waitress server."""

    def __init__(
        self,
        *,
        clinic_path: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        jobs: int | None = None,
        idle_minutes: float = 30,
    ) -> None:
        from waitress import create_server

        clinic = load_clinic(clinic_path)
        self.idle_seconds = idle_minutes * 60
        self.renderer = WarmRenderer(clinic)
        self.batches = Batches(clinic_path, jobs or default_jobs())
        self.stopped = threading.Event()
        self.settings = WebSettings(
            token=secrets.token_urlsafe(32),
            clinic=clinic,
            renderer=self.renderer,
            batches=self.batches,
            hosts=allowed_hosts(host),
            on_quit=lambda: threading.Timer(QUIT_DELAY, self.stop).start(),
        )
        self.app = create_app(self.settings)
        self.server: Any = create_server(
            self.app,
            host=host,
            port=port,
            ident="careplan",
            threads=4,
            clear_untrusted_proxy_headers=True,
        )
        self.port: int = self.server.effective_port
        self.app.config["SESSION_COOKIE_NAME"] = f"careplan_{self.port}"  # one per launch's port
        shown = "127.0.0.1" if host in LOOPBACK_HOSTS else host
        shown = f"[{shown}]" if ":" in shown else shown
        self.url = f"http://{shown}:{self.port}/?token={self.settings.token}"

    def run(self) -> None:
        """Serve until stopped (the worker warms up meanwhile); then clean up."""
        from waitress import wasyncore

        threading.Thread(target=self.renderer.start, daemon=True).start()
        threading.Thread(target=self._watch_idle, daemon=True).start()
        try:
            self.server.run()
        finally:
            self.stopped.set()
            wasyncore.close_all(self.server._map)
            self.server.task_dispatcher.shutdown()
            self.batches.close()
            self.renderer.close()

    def _watch_idle(self) -> None:
        while not self.stopped.wait(min(30.0, max(self.idle_seconds / 10, 0.5))):
            if self.settings.idle_seconds() >= self.idle_seconds:
                LOG.warning("careplan serve: stopped after %g idle minutes", self.idle_seconds / 60)
                self.stop()

    def stop(self) -> None:
        """Ask the server to stop, from any thread: its own loop closes every connection."""
        from waitress import wasyncore

        if not self.stopped.is_set():
            self.stopped.set()
            with contextlib.suppress(OSError):
                self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self.server._map))


def serve(
    *,
    clinic_path: Path | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    open_browser: bool = True,
    jobs: int | None = None,
    idle_minutes: float = 30,
    out: TextIO = sys.stdout,
) -> None:
    """Run ``careplan serve`` until it stops; print the opening URL on ``out``."""
    logging.basicConfig(stream=sys.stderr, format="%(message)s", level=logging.WARNING)
    logging.getLogger("waitress").addFilter(TypeOnly())
    if not is_loopback(host):
        LOG.warning(
            "careplan serve: warning: %s is not a loopback address; other computers can reach "
            "this page (they still need the link below)",
            host,
        )
    server = Server(
        clinic_path=clinic_path, host=host, port=port, jobs=jobs, idle_minutes=idle_minutes
    )
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        print(f"careplan serve: open {server.url}", file=out, flush=True)
        print("careplan serve: press Ctrl-C, or Quit on the page, to stop", file=out, flush=True)
        if open_browser:
            threading.Thread(target=webbrowser.open, args=(server.url,), daemon=True).start()
        server.run()
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
