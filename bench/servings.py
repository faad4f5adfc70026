"""The servers `make bench` compares, each started the way it is really run, on free loopback ports.

* **ours, embedded**: what `make run` starts (scripts/run.sh): `python -m serving run` with the
  project's endpoints.yml and credentials.yml (its REST channel and the widget), and the
  Makefile's defaults: the custom actions inside the Rasa server (ACTIONS_IN_PROCESS=1), SQLite
  tracker store, in-memory lock store.
* **ours, scale-out**: what deploy/ runs: `python -m serving actions` and REPLICAS Rasa servers
  calling it (ACTIONS_IN_PROCESS unset), sharing a PostgreSQL tracker store and the Redis lock
  store (serving/locks.py); the load is spread over the replicas message by message, as a load
  balancer without affinity does.
* **Rasa default**: stock `rasa run` and `python -m rasa_sdk`, with Rasa's in-memory stores and
  its own REST channel.

Start-up is measured from starting the processes until every Rasa server has answered a message.
Memory is the resident set of every process started (and their children), added up.
"""
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_tree(pid: int) -> list[int]:
    """pid and its descendants (Sanic workers, if any)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                queue += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                pass
    return found


def memory_mb(pid: int) -> tuple[float, float]:
    """(resident, proportional) MB of one process: RSS counts pages shared with other processes
    in full, PSS counts its share of them."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("Rss", "Pss"):
                values[key] = int(rest.split()[0]) / 1024
    except OSError:
        return 0.0, 0.0
    return values.get("Rss", 0.0), values.get("Pss", 0.0)


class Served:
    """Started servers: their processes, REST URLs (one per Rasa server) and logs."""

    def __init__(self, name: str, tmp: Path) -> None:
        self.name, self.tmp = name, tmp
        self.processes: list[subprocess.Popen] = []
        self.urls: list[str] = []
        self.started = time.perf_counter()

    def start(self, command: list[str], env: dict, log_name: str) -> subprocess.Popen:
        log = (self.tmp / f"{log_name}.log").open("ab")
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def add_rasa_server(self, port: int) -> None:
        self.urls.append(f"http://127.0.0.1:{port}/webhooks/rest/webhook")

    async def wait_for_first_answers(self, timeout: float = 300) -> float:
        """Seconds from the start until every Rasa server has answered a message."""
        async with aiohttp.ClientSession() as session:
            for url in self.urls:
                while True:
                    self._check_running()
                    if time.perf_counter() - self.started > timeout:
                        raise RuntimeError(f"{self.name}: no answer within {timeout} s\n{self.logs()}")
                    try:
                        async with session.post(url, json={"sender": "warm-up", "message": "hi"}) as reply:
                            if reply.status == 200 and await reply.json():
                                break
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.05)
        return time.perf_counter() - self.started

    def _check_running(self) -> None:
        for process in self.processes:
            if process.poll() is not None:
                raise RuntimeError(f"{self.name}: a server stopped while starting\n{self.logs()}")

    def memory_mb(self) -> dict:
        rss = pss = 0.0
        for process in self.processes:
            for pid in process_tree(process.pid):
                r, p = memory_mb(pid)
                rss, pss = rss + r, pss + p
        return {"rss_mb": rss, "pss_mb": pss}

    def logs(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}"
                         for log in sorted(self.tmp.glob("*.log")))

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _rest_only_credentials(tmp: Path) -> Path:
    path = tmp / "credentials.yml"
    path.write_text("rest:\n")
    return path


def ours_environment(actions_port: int, **settings: str) -> dict:
    """The Makefile's defaults for `make run` (embedded), changed by `settings`."""
    return {
        **os.environ,
        "SANIC_HOST": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "RASA_TELEMETRY_ENABLED": "false",
        "ACTION_SERVER_URL": f"http://127.0.0.1:{actions_port}/webhook",
        "ACTION_TIMEOUT": "5",
        "LOCK_STORE_TYPE": "in_memory",
        "REDIS_HOST": "localhost", "REDIS_PORT": "6379", "REDIS_PASSWORD": "", "REDIS_DB": "1",
        "REDIS_KEY_PREFIX": "",
        "MODEL_RELOAD_SECONDS": "10",
        "ACTIONS_IN_PROCESS": "1",
        **settings,
    }


def _start_ours(served: Served, model: str, env: dict, actions_port: int, replicas: int) -> None:
    if env["ACTIONS_IN_PROCESS"] != "1":
        served.start([sys.executable, "-m", "serving", "actions", "--host", "127.0.0.1", "--port",
                      str(actions_port)], env, "actions")
    for replica in range(replicas):
        port = free_port()
        served.start([sys.executable, "-m", "serving", "run", "--model", model, "--interface", "127.0.0.1",
                      "--port", str(port), "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"],
                     env, f"rasa-{replica}")
        served.add_rasa_server(port)


def embedded(model: str, tmp: Path) -> Served:
    served = Served("ours, embedded", tmp)
    actions_port = free_port()
    env = ours_environment(actions_port, TRACKER_STORE_URL=f"sqlite:///{tmp / 'conversations.db'}",
                           LEADS_DB_URL=f"sqlite:///{tmp / 'leads.db'}")
    _start_ours(served, model, env, actions_port, replicas=1)
    return served


def scale_out(model: str, tmp: Path, postgres_url: str, redis_port: int, replicas: int) -> Served:
    served = Served("ours, scale-out", tmp)
    actions_port = free_port()
    env = ours_environment(actions_port, ACTIONS_IN_PROCESS="0", TRACKER_STORE_URL=postgres_url + "?connect_timeout=3",
                           LEADS_DB_URL=postgres_url, LOCK_STORE_TYPE="serving.locks.RedisTicketLockStore",
                           REDIS_HOST="127.0.0.1", REDIS_PORT=str(redis_port), REDIS_KEY_PREFIX="bench",
                           WIDGET_SECRET=os.urandom(32).hex())
    _start_ours(served, model, env, actions_port, replicas)
    return served


def stock_rasa(model: str, tmp: Path) -> Served:
    served = Served("Rasa default", tmp)
    actions_port, port = free_port(), free_port()
    endpoints = tmp / "endpoints.yml"
    endpoints.write_text(f"action_endpoint:\n  url: http://127.0.0.1:{actions_port}/webhook\n")
    env = {**os.environ, "SANIC_HOST": "127.0.0.1", "LOG_LEVEL": "WARNING", "RASA_TELEMETRY_ENABLED": "false",
           "LEADS_DB_URL": f"sqlite:///{tmp / 'leads.db'}"}
    served.start([sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(actions_port)], env,
                 "actions")
    served.start([str(BIN / "rasa"), "run", "--model", model, "--interface", "127.0.0.1", "--port", str(port),
                  "--endpoints", str(endpoints), "--credentials", str(_rest_only_credentials(tmp))], env, "rasa-0")
    served.add_rasa_server(port)
    return served
