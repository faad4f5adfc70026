"""Real servers for the tests: the action server and the Rasa server (`python -m serving ...`),
on free loopback ports, with their own SQLite stores. `make run` runs the custom actions inside
the Rasa server (ACTIONS_IN_PROCESS=1: ``start_assistant(..., actions_in_process=True)``); most
tests call them in an action server over HTTP, as the scale-out mode does."""
import contextlib
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import requests

import lanes
from paths import BIN, ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Assistant:
    """Talks to a running Rasa server through the standard REST channel."""

    def __init__(self, url: str, tracker_db: Path, processes: Sequence[subprocess.Popen] = (),
                 log_dir: Path | None = None) -> None:
        self.url = url
        self.tracker_db = tracker_db
        self.processes = list(processes)  # the Rasa server, and the action server if any
        self.log_dir = log_dir
        self.actions_url = ""  # set by start_assistant (stays empty: actions in the Rasa server)
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


def wait_until_ready(urls: Sequence[str], processes: Sequence[subprocess.Popen], logs: Sequence[Path],
                     timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        for proc, log in zip(processes, logs, strict=True):
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
    lanes.require("server", "the action server")
    return subprocess.Popen([str(BIN / "python"), "-m", "serving", "actions", "--port", str(port)],
                            cwd=root, env=env, stdout=log.open("a"), stderr=subprocess.STDOUT)


def rasa_server(model_path: Path, port: int, env: dict, log: Path, extra_args: Sequence[str] = (),
                root: Path = ROOT) -> subprocess.Popen:
    """`python -m serving run` with the project's endpoints.yml and credentials.yml."""
    lanes.require("server", "the Rasa server")
    return subprocess.Popen(
        [str(BIN / "python"), "-m", "serving", "run", "--model", str(model_path), "--port", str(port),
         "--endpoints", "endpoints.yml", "--credentials", "credentials.yml", *extra_args],
        cwd=root, env=env, stdout=log.open("a"), stderr=subprocess.STDOUT)


def stop(processes: Sequence[subprocess.Popen]) -> None:
    for proc in processes:
        if proc.poll() is None:
            proc.terminate()
    for proc in processes:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def embedded_env(actions_port: int, tracker_db: Path, **overrides: str) -> dict:
    """The embedded mode's stores; the actions in an action server (ACTIONS_IN_PROCESS=0) unless
    overridden."""
    return {**os.environ, "SANIC_HOST": "127.0.0.1", "ACTION_SERVER_URL": f"http://127.0.0.1:{actions_port}/webhook",
            "ACTIONS_IN_PROCESS": "0", **EMBEDDED_STORES, "TRACKER_STORE_URL": f"sqlite:///{tracker_db}", **overrides}


@contextlib.contextmanager
def start_assistant(model_path: Path, tmp: Path, root: Path = ROOT, actions_in_process: bool = False,
                    **extra_env: str) -> Iterator[Assistant]:
    """A real action server and Rasa server on free ports, with their own SQLite stores (run from
    ``root``: the project, or a copy of it); with ``actions_in_process``, the Rasa server alone,
    running the custom actions itself, as `make run` does."""
    rasa_port, actions_port = free_port(), free_port()
    tracker_db = tmp / "conversations.db"
    env = embedded_env(actions_port, tracker_db, **{"LEADS_DB_URL": f"sqlite:///{tmp / 'leads.db'}",
                                                    "ACTIONS_IN_PROCESS": "1" if actions_in_process else "0",
                                                    **extra_env})
    logs = [tmp / "rasa.log"] if actions_in_process else [tmp / "actions.log", tmp / "rasa.log"]
    processes: list[subprocess.Popen] = []
    try:
        if not actions_in_process:
            processes.append(actions_server(actions_port, env, logs[0], root))
        processes.append(rasa_server(model_path, rasa_port, env, logs[-1], root=root))
        ready = [f"http://127.0.0.1:{rasa_port}/"]
        if not actions_in_process:
            ready.append(f"http://127.0.0.1:{actions_port}/health")
        wait_until_ready(ready, processes, logs)
        running = Assistant(f"http://127.0.0.1:{rasa_port}", tracker_db, processes, tmp)
        if not actions_in_process:
            running.actions_url = f"http://127.0.0.1:{actions_port}"
        running.leads_db_url = env["LEADS_DB_URL"]
        yield running
    finally:
        stop(processes)
