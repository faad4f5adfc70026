"""serving/reliability.py in the embedded mode: the action server down, slow, then back.

A Rasa server of its own, pointed at an action-server port this test controls: first
nothing listens there, then a "black hole" that accepts connections and never answers,
then the real action server. The visitor always gets an answer within a few seconds and
the conversation carries on. (Store outages: tests/test_scale_out.py.)
"""
import socket
import sqlite3
import threading
import time

import pytest
import requests

from actions import answers
from expected_replies import CONVERSATIONS, response_text
from servers import actions_server, embedded_env, free_port, rasa_server, stop, wait_until_ready

pytestmark = pytest.mark.server

ACTION_TIMEOUT = 2  # seconds; endpoints.yml's action_endpoint.timeout comes from ACTION_TIMEOUT
APOLOGY = response_text("utter_technical_problem")


class BlackHole:
    """Accepts connections on a port and never answers: a hung action server."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(64)
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self) -> None:
        for connection in self.connections:
            connection.close()
        self.sock.close()


@pytest.fixture(scope="module")
def lonely_rasa(model_path, tmp_path_factory):
    """A Rasa server whose action server is not running (yet)."""
    tmp = tmp_path_factory.mktemp("reliability")
    rasa_port, actions_port = free_port(), free_port()
    env = embedded_env(actions_port, tmp / "conversations.db", ACTION_TIMEOUT=str(ACTION_TIMEOUT))
    log = tmp / "rasa.log"
    rasa = rasa_server(model_path, rasa_port, env, log)
    try:
        wait_until_ready([f"http://127.0.0.1:{rasa_port}/"], [rasa], [log])
        yield {"url": f"http://127.0.0.1:{rasa_port}", "actions_port": actions_port, "env": env, "tmp": tmp,
               "process": rasa}
    finally:
        stop([rasa])


def say(url, sender, text):
    started = time.perf_counter()
    reply = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=30)
    return reply, time.perf_counter() - started


def test_action_server_down_slow_and_back(lonely_rasa):
    url, sender = lonely_rasa["url"], "visitor-reliability"

    # Down: nothing listens on the action server's port.
    reply, seconds = say(url, sender, "how much does it cost?")
    assert reply.status_code == 200 and reply.json()[0]["text"] == APOLOGY
    assert seconds < 3, f"took {seconds:.1f} s"

    # Hung: connections are accepted, never answered. The visitor waits the timeout, no more.
    hole = BlackHole(lonely_rasa["actions_port"])
    try:
        reply, seconds = say(url, sender, "does it hurt?")
        assert reply.status_code == 200 and reply.json()[0]["text"] == APOLOGY
        assert ACTION_TIMEOUT - 0.5 <= seconds < ACTION_TIMEOUT + 3, f"took {seconds:.1f} s"
        # Responses that need no action server (Rasa's own responses) still work meanwhile.
        reply, _ = say(url, sender, "hello")
        assert reply.status_code == 200 and reply.json()[0]["text"] == response_text("utter_greet")
    finally:
        hole.close()

    # Back: the same conversation carries on with real answers.
    tmp = lonely_rasa["tmp"]
    log = tmp / "actions.log"
    actions = actions_server(lonely_rasa["actions_port"], lonely_rasa["env"], log)
    try:
        wait_until_ready([f"http://127.0.0.1:{lonely_rasa['actions_port']}/health"], [actions], [log])
        reply, _ = say(url, sender, "how much does it cost?")
        assert reply.json()[0]["text"] == answers.cost()
        # The fallback's "Did you mean" (a custom action) works again too.
        offered = say(url, sender, CONVERSATIONS["fallback"]["unclear"])[0].json()[0]
        assert offered["text"] != APOLOGY and offered["buttons"]
    finally:
        stop([actions])

    assert lonely_rasa["process"].poll() is None
    with sqlite3.connect(tmp / "conversations.db") as db:
        said = [row[0] for row in db.execute(
            "SELECT json_extract(data, '$.text') FROM events WHERE sender_id = ? AND type_name = 'user'", (sender,))]
    assert said[:4] == ["how much does it cost?", "does it hurt?", "hello", "how much does it cost?"]


def test_the_log_names_the_failure_but_not_the_visitor(lonely_rasa):
    log = (lonely_rasa["tmp"] / "rasa.log").read_text()
    assert "failed (no answer within 2 s); the visitor was asked to try again" in log
    assert "visitor-reliability" not in log and "does it hurt" not in log


def test_action_server_failing_during_the_consultation_form(lonely_rasa):
    """One apology per message (no second wait), the unvalidated answer is not kept, and
    the visitor's retry, once the server is back, sends the request."""
    url, sender = lonely_rasa["url"], "visitor-form-outage"
    log = lonely_rasa["tmp"] / "actions-form.log"
    env = {**lonely_rasa["env"], "LEADS_DB_URL": f"sqlite:///{lonely_rasa['tmp'] / 'leads.db'}"}
    actions = actions_server(lonely_rasa["actions_port"], env, log)
    try:
        wait_until_ready([f"http://127.0.0.1:{lonely_rasa['actions_port']}/health"], [actions], [log])
        for text in ("can someone call me", "Jane Doherty", "jane.doherty@example.com", "weekday mornings",
                     "skip", "yes"):
            assert say(url, sender, text)[0].status_code == 200
    finally:
        stop([actions])

    reply, seconds = say(url, sender, "send it")  # the action server is down now
    assert [m["text"] for m in reply.json()] == [APOLOGY]
    assert seconds < ACTION_TIMEOUT + 2, f"took {seconds:.1f} s"

    actions = actions_server(lonely_rasa["actions_port"], env, log)
    try:
        wait_until_ready([f"http://127.0.0.1:{lonely_rasa['actions_port']}/health"], [actions], [log])
        reply, _ = say(url, sender, "send it")
        assert "Thank you, Jane Doherty!" in " ".join(m["text"] for m in reply.json())
    finally:
        stop([actions])
