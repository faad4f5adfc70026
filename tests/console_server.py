"""The staff console as `make run` starts it, for the console's tests: a real server
(`python -m console serve`) on a free loopback port, with its own database, and staff
accounts made with the real command (`python -m console staff-account`)."""
import contextlib
import os
import re
import subprocess
import sys
from pathlib import Path

import requests

import lanes
from paths import ROOT
from servers import free_port, stop, wait_until_ready

PASSWORD = "a long enough password"


def console_env(tmp: Path, **overrides) -> dict:
    return {**os.environ, "CONSOLE_DB_URL": f"sqlite:///{tmp / 'console.db'}",
            "LEADS_DB_URL": f"sqlite:///{tmp / 'leads.db'}",
            "TRACKER_STORE_URL": f"sqlite:///{tmp / 'conversations.db'}",
            "LOG_LEVEL": "INFO", **overrides}


def staff_account(env: dict, email: str, password: str = PASSWORD, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "console", "staff-account", email, *args], cwd=ROOT,
                          env={**env, "STAFF_PASSWORD": password}, capture_output=True, text=True, timeout=60)


@contextlib.contextmanager
def start_console(tmp: Path, **overrides):
    """Yields (url, env, log); the console listens on 127.0.0.1 only (on CONSOLE_PORT if
    given: a proxy in front was told it, else a free port)."""
    lanes.require("server", "the staff console")
    port = int(overrides.pop("CONSOLE_PORT", 0)) or free_port()
    url = f"http://127.0.0.1:{port}"
    env = console_env(tmp, **{"CONSOLE_PORT": str(port), "CONSOLE_URL": url, **overrides})
    log = tmp / "console.log"
    process = subprocess.Popen([sys.executable, "-m", "console", "serve"], cwd=ROOT, env=env,
                               stdout=log.open("a"), stderr=subprocess.STDOUT)
    try:
        wait_until_ready([f"{url}/healthz"], [process], [log], timeout=60)
        yield url, env, log
    finally:
        stop([process])


def signed_in_session(url: str, email: str, password: str = PASSWORD) -> requests.Session:
    """A plain HTTP client signed in through the sign-in form (with its CSRF token)."""
    client = requests.Session()
    form = client.get(f"{url}/sign-in").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    reply = client.post(f"{url}/sign-in", data={"csrf_token": token, "email": email, "password": password})
    assert reply.ok and reply.url.endswith("/requests"), reply.text
    return client


def csrf_token(page_html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page_html).group(1)
