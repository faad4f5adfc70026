"""The scale-out mode: two Rasa replicas sharing PostgreSQL and a Redis lock store.

Real servers only: a throwaway PostgreSQL and Redis (tests/stores.py), one action server
and two `python -m serving run` replicas configured through endpoints.yml's variables,
as deploy/ runs them. A small client-side balancer plays the load balancer: round robin
over the live replicas, and a replica whose connection fails is taken out of rotation
and the request retried on the other (what a health-checking balancer does).

The figures (visitors, messages, errors, events stored vs sent, faults survived, hostile
inputs) are printed at the end and written to test-artifacts/scale-out.json.
"""
import itertools
import json
import os
import secrets
import shutil
import statistics
import threading
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

import hostile
import stores
from actions import answers, registry
from expected_replies import CONVERSATIONS, response_text
from paths import ROOT
from retrained_model import NEW_GREETING, retrained_model
from servers import actions_server, free_port, rasa_server, stop, wait_until_ready

pytestmark = [pytest.mark.server, pytest.mark.services]

LOAD_SECONDS = float(os.environ.get("SCALE_OUT_LOAD_SECONDS", 60))
VISITORS = 16
APOLOGY = response_text("utter_technical_problem")
QUESTIONS = [turn["say"] for turn in CONVERSATIONS["named_questions"] + CONVERSATIONS["multi_turn"]]
FIGURES: dict[str, dict] = {}


class Cluster:
    def __init__(self, model_path: Path, tmp: Path, postgres: stores.Postgres, redis: stores.Redis) -> None:
        self.model_path, self.tmp, self.postgres, self.redis = model_path, tmp, postgres, redis
        self.actions_port = free_port()
        self.env = {
            **os.environ,
            "SANIC_HOST": "127.0.0.1",
            "ACTION_SERVER_URL": f"http://127.0.0.1:{self.actions_port}/webhook",
            "ACTION_TIMEOUT": "5",
            "TRACKER_STORE_URL": postgres.url + "?connect_timeout=3",
            "LOCK_STORE_TYPE": "serving.locks.RedisTicketLockStore",
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(redis.port),
            "REDIS_PASSWORD": "",
            "REDIS_DB": "1",
            "REDIS_KEY_PREFIX": "clinicfaq",
            # A replica that dies holding a conversation's lock blocks it this long (Rasa: 60 s).
            "TICKET_LOCK_LIFETIME": "10",
            # Every replica must sign and verify widget sessions with the same key.
            "WIDGET_SECRET": secrets.token_hex(32),
            # Each replica looks at its model file every second (serving/model_reload.py).
            "MODEL_RELOAD_SECONDS": "1",
        }
        self.api_token = secrets.token_hex(16)
        self.replicas: list[dict] = []
        self.actions: object | None = None
        self.engine = sa.create_engine(postgres.url, pool_pre_ping=True)

    def start_actions(self) -> None:
        log = self.tmp / "actions.log"
        self.actions = actions_server(self.actions_port, self.env, log)
        wait_until_ready([f"http://127.0.0.1:{self.actions_port}/health"], [self.actions], [log])

    def start_replicas(self, count: int) -> None:
        started = []
        for i in range(count):
            port, log = free_port(), self.tmp / f"rasa-{i}.log"
            started.append({"url": f"http://127.0.0.1:{port}", "log": log,
                            "process": rasa_server(self.model_path, port, self.env, log,
                                                   ["--enable-api", "--auth-token", self.api_token])})
        wait_until_ready([f"{r['url']}/" for r in started], [r["process"] for r in started],
                         [r["log"] for r in started])
        self.replicas += started

    def url(self, replica: int) -> str:
        return self.replicas[replica]["url"]

    def alive(self, replica: int) -> bool:
        return self.replicas[replica]["process"].poll() is None

    def replies(self, replica: int, sender: str, text: str) -> list[dict]:
        """The bot's messages, without the conversation id (to compare conversations)."""
        reply = self.say(replica, sender, text)
        reply.raise_for_status()
        return [{k: v for k, v in m.items() if k != "recipient_id"} for m in reply.json()]

    def say(self, replica: int, sender: str, text: str) -> requests.Response:
        return requests.post(f"{self.url(replica)}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                             timeout=60)

    def stored_user_texts(self, sender: str) -> list[str]:
        events = sa.Table("events", sa.MetaData(), autoload_with=self.engine)
        query = (sa.select(events.c.data)
                 .where(events.c.sender_id == sender, events.c.type_name == "user")
                 .order_by(events.c.id))
        with self.engine.connect() as connection:
            return [json.loads(row.data)["text"] for row in connection.execute(query)]

    def logs(self) -> str:
        return "\n".join(r["log"].read_text() for r in self.replicas)

    def stop(self) -> None:
        stop([r["process"] for r in self.replicas] + ([self.actions] if self.actions else []))
        self.engine.dispose()


@pytest.fixture(scope="module")
def cluster(model_path, tmp_path_factory):
    missing = stores.missing_binaries()
    if missing:
        reason = "the scale-out tests need " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(reason + " (.ci/run installs them)")
        pytest.skip(reason)
    postgres, redis = stores.Postgres(free_port()), stores.Redis(free_port())
    running = None
    try:
        postgres.start()
        redis.start()
        tmp = tmp_path_factory.mktemp("scale-out")
        served = tmp / "models" / "clinic-faq.tar.gz"  # the replicas' model file, which a test replaces
        served.parent.mkdir()
        shutil.copy2(model_path, served)
        running = Cluster(served, tmp, postgres, redis)
        running.start_actions()
        running.start_replicas(2)
        yield running
    finally:
        if running:
            running.stop()
        postgres.destroy()
        redis.destroy()
        _report_figures()


def _report_figures() -> None:
    if not FIGURES:
        return
    out = ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / "scale-out.json").write_text(json.dumps(FIGURES, indent=2))  # conftest prints it at the end


# --- a client-side load balancer and visitors -------------------------------------------

class Balancer:
    """Round robin over the live replicas; a failed connection takes a replica out."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.live = list(range(len(cluster.replicas)))
        self._turn = itertools.count()
        self._lock = threading.Lock()

    def send(self, sender: str, text: str):
        """(response, retried): retried when a replica failed mid-request."""
        retried = False
        for _ in range(len(self.cluster.replicas)):
            with self._lock:
                if not self.live:
                    break
                replica = self.live[next(self._turn) % len(self.live)]
            try:
                return self.cluster.say(replica, sender, text), retried
            except requests.ConnectionError:
                with self._lock:
                    if replica in self.live:
                        self.live.remove(replica)
                retried = True
        raise RuntimeError("no live replica")


def run_visitors(cluster: Cluster, balancer: Balancer, name: str, seconds: float, during=None) -> dict:
    """VISITORS concurrent visitors asking QUESTIONS in turn for `seconds`."""
    sent: dict[str, list[str]] = {}
    retried: dict[str, list[str]] = {}
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.time() + seconds

    def visitor(i: int) -> None:
        sender = f"{name}-{i}-{secrets.token_hex(4)}"
        sent[sender], retried[sender] = [], []
        for text in itertools.cycle(QUESTIONS[i % len(QUESTIONS):] + QUESTIONS[:i % len(QUESTIONS)]):
            if time.time() > deadline:
                return
            started = time.perf_counter()
            try:
                reply, was_retried = balancer.send(sender, text)
            except Exception as error:  # noqa: BLE001 - every failure is a counted error
                with lock:
                    errors.append(f"at {time.time() - deadline + seconds:.1f} s, {sender}: {text!r}: {error}")
                continue
            with lock:
                latencies.append(time.perf_counter() - started)
                if was_retried:
                    retried[sender].append(text)
                if reply.status_code != 200 or not reply.json() or reply.json()[0].get("text") == APOLOGY:
                    errors.append(f"at {time.time() - deadline + seconds:.1f} s, {sender}: {text!r}: "
                                  f"{reply.status_code} {reply.text[:200]}")
                else:
                    sent[sender].append(text)

    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(VISITORS)]
    started = time.time()
    for thread in threads:
        thread.start()
    if during:
        during()
    for thread in threads:
        thread.join()
    elapsed = time.time() - started
    messages = sum(len(texts) for texts in sent.values())
    latencies.sort()
    return {
        "sent": sent, "retried": retried, "errors": errors,
        "figures": {
            "visitors": VISITORS, "seconds": round(elapsed, 1), "messages": messages,
            "messages_per_second": round(messages / elapsed, 1), "errors": len(errors),
            "p50_ms": round(statistics.median(latencies) * 1000) if latencies else None,
            "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000) if latencies else None,
        },
    }


# --- the tests, in order: the last one kills a replica ---------------------------------

def test_a_conversation_alternating_between_replicas_keeps_its_context(cluster):
    # The same turns on one replica (the reference) and alternating between the two.
    unclear = CONVERSATIONS["fallback"]["unclear"]
    turns = ["hi", "how much for 3 treatments?", unclear, "/out_of_scope",
             CONVERSATIONS["fallback"]["still_unclear"], "/out_of_scope", "does it hurt?"]
    one, both = "one-replica", "alternating"
    reference = [cluster.replies(0, one, text) for text in turns]
    alternating = [cluster.replies(i % 2, both, text) for i, text in enumerate(turns)]
    assert alternating == reference
    # The fourth turn is the second step of a two-stage fallback, on the other replica
    # than the first step: it only means "something else" in that context.
    assert "buttons" in alternating[2][0]
    assert alternating[3][0]["text"] != cluster.say(1, "no-context", "/out_of_scope").json()[0]["text"]
    assert cluster.stored_user_texts(both) == turns


def test_a_widget_session_works_on_every_replica(cluster):
    session = requests.post(f"{cluster.url(0)}/webhooks/widget/session", timeout=10).json()["session"]
    for i, text in enumerate(["how much does it cost?", "does it hurt?"]):
        reply = requests.post(f"{cluster.url((i + 1) % 2)}/webhooks/widget/message", timeout=30,
                              json={"session": session, "message": text})
        assert reply.status_code == 200
    history = requests.post(f"{cluster.url(0)}/webhooks/widget/history", json={"session": session}, timeout=10)
    assert [m["text"] for m in history.json()["messages"]][2:4] == ["does it hurt?", registry.answer("ask_pain")]


def test_the_http_api_needs_the_token_and_cors_is_closed(cluster):
    for replica in (0, 1):
        status = f"{cluster.url(replica)}/status"
        assert requests.get(status, timeout=10).status_code == 401
        assert requests.get(status, params={"token": "wrong"}, timeout=10).status_code == 401
        assert requests.get(status, params={"token": cluster.api_token}, timeout=10).status_code == 200
        tracker = f"{cluster.url(replica)}/conversations/alternating/tracker"
        assert requests.get(tracker, timeout=10).status_code == 401
        for method in ("GET", "OPTIONS"):
            reply = requests.request(method, status, timeout=10, headers={
                "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
            assert "Access-Control-Allow-Origin" not in reply.headers, reply.headers


def test_the_widget_rate_limit_counts_every_replica(cluster):
    """Shared through Redis: alternating replicas does not double a visitor's limit."""
    session = requests.post(f"{cluster.url(0)}/webhooks/widget/session", timeout=10).json()["session"]
    statuses = []
    for n in range(11):
        reply = requests.post(f"{cluster.url(n % 2)}/webhooks/widget/message", timeout=30,
                              json={"session": session, "message": "hi"})
        statuses.append(reply.status_code)
        session = reply.json().get("session", session)
    assert statuses == [200] * 10 + [429]


def test_hostile_inputs_on_a_replica(cluster):
    figures = hostile.try_all(cluster.url(1), key=cluster.env["WIDGET_SECRET"].encode())
    FIGURES["hostile inputs"] = {"cases": figures["cases"], "statuses": figures["statuses"],
                                 "problems": len(figures["problems"])}
    assert figures["problems"] == []
    assert cluster.alive(1) and hostile.still_answers(cluster.url(1))


def test_16_visitors_for_60_seconds_every_message_stored_once_in_order(cluster):
    run = run_visitors(cluster, Balancer(cluster), "load", LOAD_SECONDS)
    stored_ok = sum(cluster.stored_user_texts(s) == texts for s, texts in run["sent"].items())
    stored = sum(len(cluster.stored_user_texts(s)) for s in run["sent"])
    FIGURES["16 visitors"] = {**run["figures"], "user_events_stored": stored,
                              "conversations_stored_exactly": f"{stored_ok}/{VISITORS}"}
    assert run["errors"] == []
    assert run["figures"]["messages"] > VISITORS * 10
    for sender, texts in run["sent"].items():
        assert cluster.stored_user_texts(sender) == texts, sender


def test_action_server_restart(cluster):
    cluster.actions.terminate()
    cluster.actions.wait(timeout=20)
    for replica in (0, 1):
        started = time.perf_counter()
        reply = cluster.say(replica, "actions-down", "how much does it cost?")
        assert reply.status_code == 200 and reply.json()[0]["text"] == APOLOGY
        assert time.perf_counter() - started < 6
    cluster.start_actions()
    for replica in (0, 1):
        assert cluster.say(replica, "actions-down", "how much does it cost?").json()[0]["text"] == answers.cost()
    FIGURES.setdefault("faults", {})["action server down, then back"] = "survived"


def _store_outage(cluster, stop_store, start_store, name: str) -> None:
    sender, unclear = f"outage-{name}", CONVERSATIONS["fallback"]["unclear"]
    reference = [cluster.replies(0, f"reference-{name}", t)
                 for t in ("how much does it cost?", unclear, "/out_of_scope")]
    assert cluster.replies(0, sender, "how much does it cost?") == reference[0]
    assert cluster.replies(1, sender, unclear) == reference[1]  # a two-stage fallback begins

    stop_store()
    widget_session = requests.post(f"{cluster.url(0)}/webhooks/widget/session", timeout=10).json()["session"]
    for replica in (0, 1):
        for who in (sender, f"new-visitor-during-{name}-outage"):
            started = time.perf_counter()
            reply = cluster.say(replica, who, "does it hurt secretword?")
            assert reply.status_code == 503, reply.text
            assert reply.json()["error"] == "unavailable" and "try again" in reply.json()["message"]
            assert time.perf_counter() - started < 8
        reply = requests.post(f"{cluster.url(replica)}/webhooks/widget/message", timeout=30,
                              json={"session": widget_session, "message": "does it hurt?"})
        assert reply.status_code == 503 and reply.json()["error"] == "unavailable"
        assert cluster.alive(replica)
    start_store()

    # Back: the very next messages are answered on both replicas (pooled connections are
    # checked before use), and the stored conversation continues from where it was.
    for replica in (0, 1):
        reply = cluster.say(replica, f"probe-{name}", "hi")
        assert reply.status_code == 200, reply.text
    assert cluster.replies(0, sender, "/out_of_scope") == reference[2]
    assert cluster.stored_user_texts(sender) == ["how much does it cost?", unclear, "/out_of_scope"]
    # Nothing from the outage was kept anywhere: not in PostgreSQL, and no replica kept a
    # memory copy (the new visitor starts fresh and gets the normal greeting).
    assert cluster.stored_user_texts(f"new-visitor-during-{name}-outage") == []
    fresh = cluster.say(1, f"new-visitor-during-{name}-outage", "hi").json()
    assert fresh[0]["text"] == response_text("utter_greet")
    assert cluster.stored_user_texts(f"new-visitor-during-{name}-outage") == ["hi"]
    # The log says what failed, without the visitor's words.
    logs = cluster.logs()
    assert "Could not process a message on the rest channel" in logs
    assert "secretword" not in logs
    FIGURES.setdefault("faults", {})[f"{name} down, then back"] = "survived"


def test_postgres_briefly_down(cluster):
    _store_outage(cluster, cluster.postgres.stop, cluster.postgres.start, "postgres")


def test_redis_briefly_down(cluster):
    _store_outage(cluster, cluster.redis.stop, cluster.redis.start, "redis")


@pytest.fixture(scope="module")
def retrained(tmp_path_factory):
    return retrained_model(tmp_path_factory.mktemp("retrained"))


def test_a_new_model_reaches_every_replica(cluster, retrained):
    """The replicas' model file replaced (a new image's, a shared volume's): each replica loads it,
    and a conversation alternating between them keeps its context across the change."""
    sender = "across-a-new-model"
    assert cluster.replies(0, sender, "how much is it?")[0]["text"] == answers.cost()
    shutil.copyfile(retrained, cluster.model_path)
    for replica in (0, 1):
        deadline = time.time() + 120
        while cluster.replies(replica, f"greeted-{replica}-{time.time()}", "hi")[0]["text"] != NEW_GREETING:
            assert time.time() < deadline, f"replica {replica} still has the old model"
            time.sleep(0.5)
    follow_up = " ".join(m.get("text", "") for m in cluster.replies(1, sender, "and for 3?"))
    assert "€510" in follow_up, follow_up
    assert cluster.replies(0, sender, "hi")[0]["text"] == NEW_GREETING
    assert cluster.stored_user_texts(sender) == ["how much is it?", "and for 3?", "hi"]
    FIGURES.setdefault("faults", {})["new model on both replicas"] = "loaded, conversation kept"


def test_a_replica_killed_under_load_loses_nothing(cluster):
    balancer = Balancer(cluster)

    def kill_replica_1() -> None:
        time.sleep(5)
        cluster.replicas[1]["process"].kill()  # SIGKILL: no goodbye

    run = run_visitors(cluster, balancer, "kill", 20, during=kill_replica_1)
    lost, duplicated = [], 0
    for sender, texts in run["sent"].items():
        stored = cluster.stored_user_texts(sender)
        # A message in flight when the replica died was retried on the other one. If the
        # dead replica had already stored it, it is there twice, next to itself.
        for text in run["retried"][sender]:
            twice = next((i for i in range(len(stored) - 1) if stored[i] == stored[i + 1] == text), None)
            if stored.count(text) > texts.count(text) and twice is not None:
                duplicated += 1
                # (that one, not the text's first place: a visitor may have asked it before)
                stored = stored[:twice] + stored[twice + 1:]
        if stored != texts:
            lost.append((sender, texts, stored))
    FIGURES["replica killed"] = {**run["figures"], "in_flight_retried": sum(map(len, run["retried"].values())),
                                 "stored_twice": duplicated, "lost": len(lost)}
    assert not cluster.alive(1) and balancer.live == [0]
    assert run["errors"] == []
    assert lost == []
    assert cluster.alive(0)
    assert cluster.say(0, "after-the-kill", "how much does it cost?").json()[0]["text"] == answers.cost()
