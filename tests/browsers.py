"""What the browser tests share: Debian's Chromium driven by Playwright, and a static site on
another origin (the clinic's own site, which embeds the widget with its one script tag)."""
import contextlib
import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from paths import ROOT
from servers import free_port

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Flags for a headless root session on a machine without outside network access.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts"  # screenshots


def require(*also: tuple[bool, str]) -> None:
    """Skips the calling test module when Chromium (or another need: (missing, reason)) is not
    installed; in CI, where .ci/run installs them, that is an error instead."""
    for missing, reason in [(not shutil.which(CHROMIUM), f"{CHROMIUM} not installed (apt-get install chromium)"),
                            *also]:
        if missing:
            if os.environ.get("CI"):
                raise RuntimeError(reason + "; .ci/run installs it")
            pytest.skip(reason + "; .ci/run installs it", allow_module_level=True)


@contextlib.contextmanager
def chromium() -> Iterator:
    """A headless Chromium for a module's tests."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def static_site(directory: Path, host: str = "127.0.0.1") -> Iterator[str]:
    """The files in ``directory`` served on their own origin, quietly: http://localhost:<port>,
    or http://<host>:<port> for another loopback address (a site the widget does not allow)."""
    quiet = type("Quiet", (http.server.SimpleHTTPRequestHandler,), {"log_message": lambda *args: None})
    server = http.server.ThreadingHTTPServer((host, free_port()), functools.partial(quiet, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{'localhost' if host == '127.0.0.1' else host}:{server.server_port}"
    finally:
        server.shutdown()
