"""Shared fixtures: paths, the trained model, and real running servers."""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "sources"  # the clinic's documents, the ground truth of actions/facts.py
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")


@pytest.fixture(scope="session")
def model_path() -> Path:
    path = ROOT / os.environ.get("MODEL", "models/clinic-faq.tar.gz")
    if not path.exists():
        pytest.fail(f"no trained model at {path}: run `make train` (make test does it for you)")
    return path


# --- A real assistant: action server + Rasa server over HTTP -------------------------

import contextlib  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import requests  # noqa: E402

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Assistant:
    """Talks to a running Rasa server through the standard REST channel."""

    def __init__(self, url: str, tracker_db: Path, processes=(), log_dir: Path = None):
        self.url = url
        self.tracker_db = tracker_db
        self.processes = list(processes)  # the action server and Rasa server
        self.log_dir = log_dir
        self.actions_url = None  # set by start_assistant
        self.leads_db_url = ""  # consultation requests (leads/): set by start_assistant

    def say(self, message: str, sender: str) -> list:
        reply = requests.post(
            f"{self.url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=30
        )
        reply.raise_for_status()
        return reply.json()

    @staticmethod
    def new_sender() -> str:
        return "test-" + uuid.uuid4().hex


# `make run`'s stores (the Makefile's defaults): SQLite and an in-memory lock.
EMBEDDED_STORES = dict(
    ACTION_TIMEOUT="5", LOCK_STORE_TYPE="in_memory",
    REDIS_HOST="localhost", REDIS_PORT="6379", REDIS_PASSWORD="", REDIS_DB="1", REDIS_KEY_PREFIX="",
)


def wait_until_ready(urls, processes, logs, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for proc, log in zip(processes, logs):
            if proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{log.read_text()[-3000:]}")
        try:
            if all(requests.get(u, timeout=2).ok for u in urls):
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError("servers not ready in time:\n" + "\n".join(log.read_text()[-2000:] for log in logs))


def actions_server(port: int, env: dict, log: Path, root: Path = ROOT) -> subprocess.Popen:
    """`python -m serving actions`, as `make run` starts it (in ``root``: the project, or a copy)."""
    return subprocess.Popen([str(BIN / "python"), "-m", "serving", "actions", "--port", str(port)],
                            cwd=root, env=env, stdout=log.open("a"), stderr=subprocess.STDOUT)


def rasa_server(model_path: Path, port: int, env: dict, log: Path, extra_args=(), root: Path = ROOT) -> subprocess.Popen:
    """`python -m serving run` with the project's endpoints.yml and credentials.yml."""
    return subprocess.Popen(
        [str(BIN / "python"), "-m", "serving", "run", "--model", str(model_path), "--port", str(port),
         "--endpoints", "endpoints.yml", "--credentials", "credentials.yml", *extra_args],
        cwd=root, env=env, stdout=log.open("a"), stderr=subprocess.STDOUT)


def stop(processes) -> None:
    for proc in processes:
        if proc.poll() is None:
            proc.terminate()
    for proc in processes:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def embedded_env(actions_port: int, tracker_db: Path, **overrides) -> dict:
    return {**os.environ, "SANIC_HOST": "127.0.0.1", "ACTION_SERVER_URL": f"http://127.0.0.1:{actions_port}/webhook",
            **EMBEDDED_STORES, "TRACKER_STORE_URL": f"sqlite:///{tracker_db}", **overrides}


@contextlib.contextmanager
def start_assistant(model_path: Path, tmp: Path, root: Path = ROOT, **extra_env: str):
    """A real action server and Rasa server on free ports, with their own SQLite stores
    (run from ``root``: the project, or a copy of it)."""
    rasa_port, actions_port = free_port(), free_port()
    tracker_db = tmp / "conversations.db"
    env = embedded_env(actions_port, tracker_db, **{"LEADS_DB_URL": f"sqlite:///{tmp / 'leads.db'}", **extra_env})
    logs = [tmp / "actions.log", tmp / "rasa.log"]
    processes = [actions_server(actions_port, env, logs[0], root), rasa_server(model_path, rasa_port, env, logs[1], root=root)]
    try:
        wait_until_ready(
            [f"http://127.0.0.1:{rasa_port}/", f"http://127.0.0.1:{actions_port}/health"], processes, logs
        )
        running = Assistant(f"http://127.0.0.1:{rasa_port}", tracker_db, processes, tmp)
        running.actions_url = f"http://127.0.0.1:{actions_port}"
        running.leads_db_url = env["LEADS_DB_URL"]
        yield running
    finally:
        stop(processes)


@pytest.fixture(scope="session")
def assistant(model_path, tmp_path_factory):
    with start_assistant(model_path, tmp_path_factory.mktemp("assistant")) as running:
        yield running


# --- figures for the CI log ----------------------------------------------------------

SESSION_STARTED = time.time()


def pytest_terminal_summary(terminalreporter):
    """Prints the scale-out test's figures (visitors, messages, faults...) when it ran."""
    figures = ROOT / "test-artifacts" / "scale-out.json"
    if figures.exists() and figures.stat().st_mtime >= SESSION_STARTED:
        import json

        terminalreporter.section("scale-out figures (test-artifacts/scale-out.json)")
        for name, values in json.loads(figures.read_text()).items():
            terminalreporter.write_line(f"{name}: " + ", ".join(f"{k} {v}" for k, v in values.items()))
