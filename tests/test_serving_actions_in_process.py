"""The custom actions inside the Rasa server (serving/actions_in_process.py, ACTIONS_IN_PROCESS=1):
the embedded mode, as `make run` serves it.

One real Rasa server for the module, started without an action server, at Rasa's default log
level (INFO) so that its log can be checked for personal data. It runs from a copy of the
project whose actions package has one module more (FAILING_ACTION): the FAQ action raises when
a visitor's message holds FAIL_MARKER, for the test of an action that fails. Its tracker store
starts with a 31-day-old FAQ chat, for the test of the retention purge.

The same behaviour over HTTP, with an action server (the scale-out mode): test_conversations.py,
test_consultation.py, test_serving_reliability.py (the action server down or hung).
"""
import asyncio
import json
import re
import shutil
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from actions import answers, registry
from console_server import signed_in_session, staff_account, start_console
from conversation_rows import senders
from expected_replies import CONVERSATIONS, DOMAIN, response_text
from leads import schedule
from leads.store import RequestStore
from paths import ROOT, copy_built_models
from servers import start_assistant

CONSULTATION = yaml.safe_load((ROOT / "tests" / "data" / "consultation.yml").read_text(encoding="utf-8"))
FAIL_MARKER = "Siobhan Faultline"
FAILING_ACTION = f'''"""Test only: the FAQ action raises for a message holding {FAIL_MARKER!r}, with the visitor's words
in the exception's message (they must not reach the log)."""
from actions.actions import ActionAnswerFaq

_answer = ActionAnswerFaq.run


def _run(self, dispatcher, tracker, domain):
    text = tracker.latest_message.get("text") or ""
    if {FAIL_MARKER!r} in text:
        raise ValueError(f"cannot answer {{text!r}}")
    return _answer(self, dispatcher, tracker, domain)


ActionAnswerFaq.run = _run
'''
LEFT_OUT = shutil.ignore_patterns(".venv", ".git", "models", "var", "results", "test-artifacts", "exports", "tests",
                                  "bench", "node_modules", "__pycache__", ".pytest_cache", ".rasa", "*.png")
DAY = 24 * 3600


def save_old_chat(url: str, sender: str, days_ago: float) -> None:
    """An FAQ chat whose every event happened ``days_ago``, written by Rasa's own SQL store."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    when = time.time() - days_ago * DAY
    events = [ActionExecuted("action_listen", timestamp=when),
              UserUttered("does it hurt?", {"name": "ask_pain", "confidence": 0.9}, timestamp=when),
              BotUttered("It can be moderately painful.", timestamp=when + 1),
              ActionExecuted("action_listen", timestamp=when + 1)]
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=url[len("sqlite:///"):])
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))


@pytest.fixture(scope="module")
def in_process(model_path, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("in-process")
    project = tmp / "project"
    shutil.copytree(ROOT, project, ignore=LEFT_OUT)
    copy_built_models(project)
    (project / "actions" / "failing_for_test.py").write_text(FAILING_ACTION, encoding="utf-8")
    save_old_chat(f"sqlite:///{tmp / 'conversations.db'}", "chat-31-days-old", days_ago=31)
    settings = tmp / "leads.yml"
    settings.write_text(yaml.safe_dump({"retention_days": 30, "chat_retention_days": 30,
                                        "notification": {"via": "off"}}))
    with start_assistant(model_path, tmp, root=project, actions_in_process=True, LOG_LEVEL="INFO",
                         LEADS_SETTINGS=str(settings)) as assistant:
        yield assistant


def log_of(assistant) -> str:
    return (assistant.log_dir / "rasa.log").read_text(encoding="utf-8", errors="replace")


def expected_reply(name: str) -> re.Pattern:
    """A domain response (any placeholder value), or an FAQ answer: ask_conditions(acne scars)."""
    if name.startswith("utter_"):
        parts = re.split(r"\{\w+\}", DOMAIN["responses"][name][0]["text"])
        return re.compile(".+?".join(re.escape(p) for p in parts), re.S)
    intent, _, entity = name.partition("(")
    return re.compile(re.escape(registry.answer(intent, [entity.rstrip(")")] if entity else [])))


def first_reply(turn: dict) -> str:
    if "answer" in turn:
        entity = turn.get("condition") or turn.get("area") or turn.get("treatment")
        return registry.answer(turn["answer"], [entity] if entity else [])
    if "cost_for" in turn:
        return answers.cost(turn["cost_for"])
    return response_text(turn["response"])


# --- Answers and the consultation form, end to end ---------------------------------------------

@pytest.mark.server
def test_answers_and_the_form_with_the_actions_in_process(in_process):
    assert len(in_process.processes) == 1 and in_process.actions_url == ""  # the Rasa server alone
    sender = in_process.new_sender()
    for turn in CONVERSATIONS["multi_turn"] + CONVERSATIONS["named_questions"][:6]:
        replies = in_process.say(turn["say"], sender)
        assert replies and replies[0]["text"] == first_reply(turn), (turn["say"], replies)
        if "buttons" in turn:
            assert [b["title"] for b in replies[0]["buttons"]] == turn["buttons"]

    # The consultation form: every custom action of the form, then the request is stored.
    conversation = CONSULTATION["happy_path"]
    sender = in_process.new_sender()
    for turn in conversation["turns"]:
        texts = [r.get("text", "") for r in in_process.say(turn["say"], sender)]
        assert len(texts) == len(turn["replies"]), (turn["say"], texts)
        for name, text in zip(turn["replies"], texts, strict=True):
            assert expected_reply(name).fullmatch(text), (turn["say"], name, text)
        for part in turn.get("contains", []):
            assert part in "\n".join(texts)
    [request] = [r for r in RequestStore(in_process.leads_db_url).newest_first() if r.conversation_id == sender]
    assert {"name": request.name, "email": request.contact.email, "phone": request.contact.phone,
            "preferred_time": request.preferred_time, "concern": request.concern} == conversation["stored"]

    log = log_of(in_process)
    assert "The custom actions run in this process" in log and "Stored consultation request #" in log
    leaked = [value for value in CONSULTATION["personal_data"] if value.lower() in log.lower()]
    assert leaked == [], f"personal data in the Rasa server's log: {leaked}"


@pytest.mark.server
def test_a_slow_requests_database_holds_up_no_other_visitor(in_process):
    """Storing a request is blocking I/O: it runs in a thread (actions/consultation.py), so while
    the requests' database is locked, other visitors are still answered."""
    turns = CONSULTATION["happy_path"]["turns"]
    sender = in_process.new_sender()
    for turn in turns[:-1]:
        in_process.say(turn["say"], sender)
    database = sqlite3.connect(in_process.leads_db_url[len("sqlite:///"):], timeout=10)
    database.execute("BEGIN IMMEDIATE")  # holds the write lock: the request cannot be stored yet
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            sending = pool.submit(in_process.say, turns[-1]["say"], sender)
            time.sleep(0.5)  # (only to let the request reach the database first; no timing is asserted)
            other = in_process.say("does it hurt?", in_process.new_sender())
            assert other[0]["text"] == registry.answer("ask_pain")
            assert not sending.done(), "the request was stored while the database was locked"
            database.rollback()
            replies = sending.result(timeout=60)
    finally:
        database.close()
    assert expected_reply("utter_request_sent").fullmatch(replies[0]["text"]), replies


# --- An action that fails ------------------------------------------------------------------------

@pytest.mark.server
def test_an_action_that_raises_gets_the_apology_and_a_clean_log(in_process):
    sender = in_process.new_sender()
    replies = in_process.say(f"does it hurt? I'm {FAIL_MARKER}", sender)
    assert [r["text"] for r in replies] == [response_text("utter_technical_problem")]
    log = log_of(in_process)
    assert "Action 'action_answer_faq' failed: ValueError" in log
    assert "Custom action 'action_answer_faq' failed" in log  # serving/reliability.py's line
    assert FAIL_MARKER not in log and "Traceback" not in log
    # The conversation goes on: the next question is answered.
    assert in_process.say("how long is the downtime?", sender)[0]["text"] == registry.answer("ask_downtime")


# --- The retention purge ------------------------------------------------------------------------------

@pytest.mark.server
def test_the_retention_purge_runs_in_the_rasa_server(in_process):
    """The action server ran the purge on its schedule; without one, the Rasa server does."""
    tracker_url = f"sqlite:///{in_process.tracker_db}"
    deadline = time.time() + 60
    while time.time() < deadline and "chat-31-days-old" in senders(tracker_url):
        time.sleep(0.5)
    assert "chat-31-days-old" not in senders(tracker_url)
    ran = schedule.last_run(RequestStore(in_process.leads_db_url))
    assert ran and ran[1] == "0 request(s), 1 conversation(s)"
    assert "Retention purge: deleted 0 request(s), 1 conversation(s)" in log_of(in_process)


# --- The staff console's Health page ---------------------------------------------------------------------

@pytest.mark.server
def test_the_health_page_shows_the_actions_inside_the_assistant(in_process, tmp_path):
    """No action server to ask: the custom actions answer when the Rasa server does."""
    with start_console(tmp_path, ACTIONS_IN_PROCESS="1", RASA_URL=in_process.url,
                       ACTION_SERVER_URL="http://127.0.0.1:9/webhook", LEADS_DB_URL=in_process.leads_db_url) \
            as (url, env, _log):
        assert staff_account(env, "staff@clinic.test").returncode == 0
        page = signed_in_session(url, "staff@clinic.test").get(f"{url}/health").text
    row = re.search(r'<th scope="row">Custom actions</th>(.*?)</tr>', page, re.S)
    assert row and "answers" in row.group(1) and "run inside the assistant (Rasa server)" in row.group(1), page
    assert "Action server" not in page and "127.0.0.1:9" not in page


# --- The endpoint itself (no server) ------------------------------------------------------------------

class RecordingExecutor:
    """Stands in for rasa_sdk's ActionExecutor: runs ``behaviour`` on the call it gets."""

    def __init__(self, behaviour):
        self.behaviour = behaviour

    async def run(self, action_call):
        return self.behaviour(action_call)


def endpoint(behaviour):
    from rasa.utils.endpoints import EndpointConfig

    from serving.actions_in_process import InProcessEndpointConfig

    return InProcessEndpointConfig.of(EndpointConfig("http://unused/webhook", timeout=5), RecordingExecutor(behaviour))


def test_an_action_changes_only_its_own_copy_of_the_call():
    domain = {"responses": {"utter_greet": [{"text": "Hi"}]}, "slots": {}}
    call = {"next_action": "a", "tracker": {"slots": {"s": ["x"]}, "events": [{"event": "user", "text": "hi"}]},
            "domain": domain}
    before = json.dumps(call)

    def meddling(action_call):
        action_call["domain"]["responses"]["utter_greet"][0]["text"] = "changed"
        action_call["tracker"]["slots"]["s"].append("y")
        action_call["tracker"]["events"][0]["text"] = "changed"
        return {"events": [{"event": "slot", "name": "s", "value": action_call["tracker"]["slots"]["s"]}],
                "responses": [], "kept": (1, 2)}

    answered = endpoint(meddling)
    for _ in range(2):  # the second call reads the domain's cached copy
        reply = asyncio.run(answered.request(json=call, method="post", timeout=5))
        assert json.dumps(call) == before  # Rasa's objects, as they were
        assert reply["kept"] == [1, 2]  # plain JSON values, as over HTTP
    reply["events"][0]["value"].append("z")
    assert json.dumps(call) == before


def test_rasa_sdks_answers_become_the_errors_rasa_reads_from_an_action_server(caplog):
    from rasa.utils.endpoints import ClientResponseError
    from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

    def raising(error):
        def behaviour(action_call):
            raise error
        return behaviour

    call = {"next_action": "validate_consultation_form", "tracker": {}, "domain": {}}
    cases = [(ActionExecutionRejection("validate_consultation_form", "no"), 400),
             (ActionNotFoundException("validate_consultation_form"), 404),
             (KeyError("aoife.brennan@example.com"), 500)]
    for error, status in cases:
        with pytest.raises(ClientResponseError) as raised:
            asyncio.run(endpoint(raising(error)).request(json=call, method="post", timeout=5))
        assert raised.value.status == status
        if status == 400:  # what RemoteAction.run reads to raise Rasa's ActionExecutionRejection
            assert json.loads(raised.value.text) == {"error": "no", "action_name": "validate_consultation_form"}
    assert "Action 'validate_consultation_form' failed: KeyError" in caplog.text
    assert "aoife" not in caplog.text


def test_only_1_or_0_choose_where_the_actions_run():
    from serving.actions_in_process import enabled

    assert enabled({"ACTIONS_IN_PROCESS": "1"}) and not enabled({"ACTIONS_IN_PROCESS": "0"}) and not enabled({})
    with pytest.raises(ValueError, match="ACTIONS_IN_PROCESS must be 1 .* or 0"):
        enabled({"ACTIONS_IN_PROCESS": "yes"})


def test_the_scale_out_mode_keeps_calling_its_action_server():
    """deploy/ sets no ACTIONS_IN_PROCESS: its Rasa servers call the action server."""
    compose = (ROOT / "deploy" / "compose.yml").read_text(encoding="utf-8")
    assert "ACTIONS_IN_PROCESS" not in compose and "python -m serving actions" in compose


def test_the_endpoint_is_not_mistaken_for_an_http_one():
    """serving/action_connection.py keeps connections for Rasa's HTTP endpoint only."""
    from types import SimpleNamespace

    from serving.action_connection import keep_connections

    answered = endpoint(lambda call: {})
    agent = SimpleNamespace(action_endpoint=answered, processor=SimpleNamespace(action_endpoint=answered))
    keep_connections(agent)
    assert agent.action_endpoint is answered and agent.processor.action_endpoint is answered

