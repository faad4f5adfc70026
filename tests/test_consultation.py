"""Consultation requests through a real running assistant (action server + Rasa server, HTTP).

One assistant for the module, with its own stores, a webhook notification to a real local
HTTP server, and Rasa's default log level (INFO), so that the logs can be checked for
personal data. The conversations are in tests/data/consultation.yml.
"""
import csv
import json
import os
import re
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import sqlalchemy as sa
import yaml

from actions import answers, registry
from actions.consultation import proposed_concern, which_detail
from leads import details
from leads.store import RequestStore
from paths import ROOT
from servers import start_assistant

CONVERSATIONS = yaml.safe_load((ROOT / "tests" / "data" / "consultation.yml").read_text(encoding="utf-8"))
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
WEBHOOK_TOKEN = "test-webhook-token"
CONSOLE_URL = "http://console.test"


class Webhook(BaseHTTPRequestHandler):
    """The clinic's side of the notification: records every POST."""

    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Webhook.received.append({"authorization": self.headers.get("Authorization"), "body": json.loads(body)})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def clinic(model_path, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("consultation")
    receiver = HTTPServer(("127.0.0.1", 0), Webhook)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    settings = tmp / "leads.yml"
    settings.write_text(yaml.safe_dump({"retention_days": 30, "notification": {
        "via": "webhook", "webhook": {"url": f"http://127.0.0.1:{receiver.server_address[1]}/requests"}}}))
    try:
        with start_assistant(model_path, tmp, LOG_LEVEL="INFO", LEADS_SETTINGS=str(settings),
                             LEADS_WEBHOOK_TOKEN=WEBHOOK_TOKEN, CONSOLE_URL=CONSOLE_URL) as assistant:
            assistant.settings = settings
            yield assistant
    finally:
        receiver.shutdown()


# --- Replaying the conversations --------------------------------------------------------

def expected_reply(name: str):
    """A regex for a domain response (any placeholder value), or the exact FAQ answer."""
    if name.startswith("utter_"):
        template = DOMAIN["responses"][name][0]["text"]
        parts = re.split(r"\{\w+\}", template)
        return re.compile(".+?".join(re.escape(p) for p in parts), re.S)
    intent, _, entity = name.partition("(")
    answer = registry.answer(intent, [entity.rstrip(")")] if entity else [])
    return re.compile(re.escape(answer))


def check_turn(replies: list, turn: dict) -> None:
    said = turn["say"]
    texts = [r.get("text", "") for r in replies]
    if "replies" in turn:
        assert len(texts) == len(turn["replies"]), f"{said!r} -> {texts}"
        for name, text in zip(turn["replies"], texts, strict=True):
            assert expected_reply(name).fullmatch(text), f"{said!r}: expected {name}, got {text!r}"
    everything = "\n".join(texts)
    for part in turn.get("contains", []):
        assert part in everything, f"{part!r} missing from the replies to {said!r}: {texts}"
    for part in turn.get("absent", []):
        assert part not in everything, f"{part!r} should not be in the replies to {said!r}: {texts}"
    if "buttons" in turn:
        assert [b["title"] for b in replies[-1].get("buttons", [])] == turn["buttons"], f"{said!r} -> {replies[-1]}"


def stored_for(assistant, sender):
    return [r for r in RequestStore(assistant.leads_db_url).newest_first() if r.conversation_id == sender]


def check_stored(assistant, sender, expected):
    requests = stored_for(assistant, sender)
    if expected == "none":
        assert requests == [], "nothing may be stored without a sent, consented request"
        return None
    [request] = requests
    assert {"name": request.name, "email": request.contact.email, "phone": request.contact.phone,
            "preferred_time": request.preferred_time, "concern": request.concern} == expected
    return request


def have(assistant, conversation):
    sender = assistant.new_sender()
    for turn in conversation["turns"]:
        check_turn(assistant.say(turn["say"], sender), turn)
    return sender, check_stored(assistant, sender, conversation["stored"])


# --- The conversations ---------------------------------------------------------------

@pytest.mark.server
def test_happy_path_stores_the_request_and_notifies_the_clinic(clinic):
    sender, request = have(clinic, CONVERSATIONS["happy_path"])
    # The reply names the request's reference; the clinic hears of it (just after the
    # visitor's answer: the notification never delays it), without personal data.
    deadline = time.time() + 10
    while time.time() < deadline and not any(c["body"]["request_id"] == request.id for c in Webhook.received):
        time.sleep(0.1)
    assert [c for c in Webhook.received if c["body"]["request_id"] == request.id] == [{
        "authorization": f"Bearer {WEBHOOK_TOKEN}",
        "body": {"text": f"New consultation request #{request.id}, received "
                         f"{request.received_at:%Y-%m-%d %H:%M} UTC. Open it in the staff console: "
                         f"{CONSOLE_URL}/requests/{request.id}",
                 "request_id": request.id, "received_at": request.received_at.isoformat() + "Z"},
    }]


@pytest.mark.server
@pytest.mark.parametrize("name", ["invalid_contact_then_cancel", "correction", "faq_mid_form", "no_consent",
                                  "fallback_something_else"])
def test_conversation(clinic, name):
    have(clinic, CONVERSATIONS[name])


@pytest.mark.server
def test_two_visitors_at_once_make_two_separate_requests(clinic):
    first, second = CONVERSATIONS["two_at_once"]
    senders = [clinic.new_sender(), clinic.new_sender()]
    with ThreadPoolExecutor(max_workers=2) as pool:
        for turns in zip(first["turns"], second["turns"], strict=True):
            replies = list(pool.map(clinic.say, [t["say"] for t in turns], senders))
            for reply, turn in zip(replies, turns, strict=True):
                check_turn(reply, turn)
    ids = {check_stored(clinic, sender, conversation["stored"]).id
           for sender, conversation in zip(senders, (first, second), strict=True)}
    assert len(ids) == 2


@pytest.mark.server
def test_make_leads_lists_exports_and_deletes_with_the_conversation(clinic, tmp_path):
    sender, request = have(clinic, CONVERSATIONS["for_make_leads"])
    env = dict(os.environ, LEADS_DB_URL=clinic.leads_db_url, LEADS_SETTINGS=str(clinic.settings),
               TRACKER_STORE_URL=f"sqlite:///{clinic.tracker_db}")

    def make_leads(*args):
        result = subprocess.run(["make", "-s", "leads", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    listing = make_leads()
    assert listing.startswith("Consultation requests, newest first")
    newest = listing.split("\n#")[1]  # the first request listed
    assert newest.startswith(f"{request.id}  received {request.received_at:%Y-%m-%d %H:%M} UTC")
    for line in ["name:           Nora Fitz", "email:          nora.fitz@example.com", "phone:          -",
                 "preferred time: weekends", "concern:        pigmentation"]:
        assert line in newest

    exported = tmp_path / "requests.csv"
    make_leads(f"CSV={exported}")
    rows = list(csv.DictReader(exported.open(encoding="utf-8-sig")))
    assert rows[0] == {  # newest first; the clinic's time zone is UTC in this test's leads.yml
        "id": str(request.id), "received_at": f"{request.received_at:%Y-%m-%d %H:%M:%S}", "time_zone": "UTC",
        "name": "Nora Fitz", "email": "nora.fitz@example.com", "phone": "", "preferred_time": "weekends",
        "concern": "pigmentation", "conversation_id": sender,
    }

    assert conversation_events(clinic, sender) > 0
    deleted = make_leads(f"DELETE={request.id}", "YES=1")  # no terminal here to answer the question
    assert f"Deleted request #{request.id} and its conversation" in deleted
    assert conversation_events(clinic, sender) == 0
    assert stored_for(clinic, sender) == [] and f"#{request.id} " not in make_leads()
    # The visitor can go on: a new conversation starts.
    assert clinic.say("how much does it cost?", sender)[0]["text"] == answers.cost()


def conversation_events(assistant, sender) -> int:
    engine = sa.create_engine(f"sqlite:///{assistant.tracker_db}")
    events = sa.Table("events", sa.MetaData(), autoload_with=engine)
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).where(events.c.sender_id == sender)).scalar()


@pytest.mark.server
def test_the_logs_hold_no_personal_data(clinic):
    """Runs last: every visitor above typed their details; none may be in either server's log."""
    logs = "\n".join((clinic.log_dir / name).read_text(encoding="utf-8", errors="replace")
                     for name in ("actions.log", "rasa.log"))
    assert "INFO leads.intake - Stored consultation request #" in logs  # the right logs, at INFO level
    leaked = [value for value in CONVERSATIONS["personal_data"] if value.lower() in logs.lower()]
    assert leaked == []


# --- The pure helpers of actions/consultation.py ------------------------------------------

@pytest.mark.parametrize("text, detail", [
    ("change my email", "visitor_contact"), ("Change email or phone", "visitor_contact"),
    ("the phone number isn't right", "visitor_contact"), ("Change name", "visitor_name"),
    ("my name is spelled wrong", "visitor_name"), ("Change time", "preferred_time"),
    ("Change concern", "concern"), ("change what it's about", "concern"), ("change something", None),
    ("I misspelled my email", "visitor_contact"), ("wrong e-mail", "visitor_contact"),
    ("mornings are bad after all", "preferred_time"),
])
def test_which_detail_a_correction_names(text, detail):
    assert which_detail(text) == detail


def test_the_concern_proposed_comes_from_before_the_form():
    from rasa_sdk import Tracker

    def user(text, intent, entities=()):
        return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}, "entities": [
            {"entity": e, "value": v} for e, v in entities]}}

    def tracker(*events):
        return Tracker("v", {}, {}, list(events), False, None, {}, "action_listen")

    started = {"event": "active_loop", "name": "consultation_form"}
    assert proposed_concern(tracker(user("how much?", "ask_cost"), started)) == "cost"
    assert proposed_concern(tracker(user("acne scars?", "ask_conditions", [("skin_condition", "acne scarring")]),
                                    user("how much?", "ask_cost"), started)) == "acne scars"
    assert proposed_concern(tracker(user("book me in", "contact_clinic"), started,
                                    user("how much?", "ask_cost"))) is None
    # A long unanswered question is shortened to fit a request's concern.
    long_question = "can I have it while pregnant " + "and breastfeeding " * 30
    proposal = proposed_concern(tracker(user(long_question, "ask_not_covered"), started))
    assert proposal.startswith("your question “can I have it while pregnant") and proposal.endswith("…”")
    assert details.clean_concern(proposal) == proposal


def visitor_said(text, intent, confidence, slots=None):
    from rasa_sdk import Tracker

    message = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []}
    return Tracker("visitor", slots or {}, message, [], False, None, {}, "action_listen")


@pytest.mark.parametrize("text, intent, confidence, kept", [
    ("Nora Fitz", "deny", 0.37, "Nora Fitz"),  # a name NLU leans "no" on, unsure: still a name
    ("my name is Aoife Byrne", "inform", 0.4, "Aoife Byrne"),
    ("yes", "affirm", 0.9, None), ("hi", "greet", 0.95, None), ("/affirm", "affirm", 1.0, None),
    ("jane@example.com", "inform", 0.99, None),
])
def test_what_counts_as_a_name(text, intent, confidence, kept):
    from rasa_sdk.executor import CollectingDispatcher

    from actions.consultation import ValidateConsultationForm

    dispatcher = CollectingDispatcher()
    tracker = visitor_said(text, intent, confidence)
    result = ValidateConsultationForm().validate_visitor_name(text, dispatcher, tracker, {})
    assert result == {"visitor_name": kept}
    assert [m["response"] for m in dispatcher.messages] == ([] if kept else ["utter_invalid_name"])


def test_a_slot_just_cleared_is_not_validated():
    from rasa_sdk.executor import CollectingDispatcher

    from actions.consultation import ValidateConsultationForm

    dispatcher = CollectingDispatcher()
    form = ValidateConsultationForm()
    tracker = visitor_said("book me in", "contact_clinic", 0.9)
    for slot in ["visitor_name", "visitor_contact", "preferred_time", "concern", "storage_consent",
                 "request_confirmed"]:
        assert getattr(form, f"validate_{slot}")(None, dispatcher, tracker, {}) == {slot: None}
    assert dispatcher.messages == []


def test_a_database_failure_gets_an_honest_reply_not_a_crash(monkeypatch, caplog):
    import asyncio
    import dataclasses

    from rasa_sdk.executor import CollectingDispatcher

    from actions import consultation

    broken = dataclasses.replace(consultation.SETTINGS, db_url="sqlite:////proc/no-such-place/leads.db")
    monkeypatch.setattr(consultation, "SETTINGS", broken)
    slots = {"visitor_name": "Nora Fitz", "visitor_contact": "nora.fitz@example.com", "preferred_time": "weekends",
             "concern": "", "storage_consent": True, "request_confirmed": True}
    dispatcher = CollectingDispatcher()
    events = asyncio.run(consultation.ActionSubmitConsultationRequest().run(
        dispatcher, visitor_said("/affirm", "affirm", 1.0, slots), {}))
    assert [m["response"] for m in dispatcher.messages] == ["utter_request_failed"]
    assert {e["name"]: e["value"] for e in events if e["event"] == "slot"}["visitor_name"] is None
    assert "Could not store a consultation request" in caplog.text and "Nora" not in caplog.text
