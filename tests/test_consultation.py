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

from actions import answers, detail_patterns, form_reader, registry
from actions.consultation import proposed_concern, which_detail
from leads import details
from leads.store import RequestStore
from paths import ROOT
from servers import start_assistant
from trainer import form_eval

CONVERSATIONS = yaml.safe_load((ROOT / "tests" / "data" / "consultation.yml").read_text(encoding="utf-8"))
# Messy requests with the summary each must end in (the blind evaluation's format).
MESSY = yaml.safe_load((ROOT / "tests" / "data" / "form_conversations.yml").read_text(encoding="utf-8"))
MESSY = MESSY["conversations"]
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
                                  "fallback_something_else", "form_questions", "goodbye_mid_form",
                                  "declined_then_fresh_start"])
def test_conversation(clinic, name):
    have(clinic, CONVERSATIONS[name])


@pytest.mark.server
@pytest.mark.parametrize("conversation", MESSY, ids=lambda c: c["id"])
def test_a_messy_conversation_ends_in_the_right_summary(clinic, conversation):
    """Several details at once, questions, the wrong kind of answer, corrections, leaving:
    what is stored is exactly the expected summary, or nothing, and no detail is in the
    wrong field (scored as trainer/form_eval.py scores the blind set)."""
    sender = clinic.new_sender()
    replies = [[r.get("text", "") for r in clinic.say(turn, sender)] for turn in conversation["turns"]]
    requests = stored_for(clinic, sender)
    assert len(requests) <= 1
    stored = None if not requests else {
        "name": requests[0].name, "email": requests[0].contact.email, "phone": requests[0].contact.phone,
        "preferred_time": requests[0].preferred_time, "concern": requests[0].concern}
    outcome = form_eval.score(conversation, stored, replies)
    said = "\n".join(f"  visitor: {turn}\n" + "".join(f"    bot: {r}\n" for r in reply)
                     for turn, reply in zip(conversation["turns"], replies, strict=True))
    assert outcome.exact and not outcome.wrong_fields, f"stored {stored}, expected {conversation['expect']}\n{said}"


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
    # From the messy conversations: full names, emails and phone numbers (a first name alone,
    # "Ava", is in words such as "Java" anyway).
    typed = CONVERSATIONS["personal_data"] + [
        str(c["expect"][field]) for c in MESSY for field in ("name", "email", "phone")
        if c["expect"].get(field) and (field != "name" or " " in str(c["expect"][field]))]
    leaked = [value for value in typed if value.lower() in logs.lower()]
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
    # The place the visitor named with the concern, in their words.
    asked = {"event": "user", "text": "does it work for wrinkles around the mouth", "parse_data": {
        "intent": {"name": "ask_conditions"}, "entities": [{"entity": "skin_condition", "value": "wrinkles",
                                                            "start": 17, "end": 25}]}}
    assert proposed_concern(tracker(asked, started)) == "wrinkles around the mouth"
    # The concern in the visitor's own words, not the vocabulary's key ("scars").
    asked = {"event": "user", "text": "does micro needling work on old chicken pox scars", "parse_data": {
        "intent": {"name": "ask_conditions"}, "entities": [{"entity": "skin_condition", "value": "scars",
                                                            "start": 44, "end": 49}]}}
    assert proposed_concern(tracker(asked, started)) == "old chicken pox scars"
    # A long unanswered question is shortened to fit a request's concern.
    long_question = "can I have it while pregnant " + "and breastfeeding " * 30
    proposal = proposed_concern(tracker(user(long_question, "ask_not_covered"), started))
    assert proposal.startswith("your question “can I have it while pregnant") and proposal.endswith("…”")
    assert details.clean_concern(proposal) == proposal


def visitor_said(text, intent, confidence, slots=None):
    from rasa_sdk import Tracker

    message = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []}
    return Tracker("visitor", slots or {}, message, [], False, None, {}, "action_listen")


# --- Reading a message: every detail it carries (actions/form_reader.py) ---------------------

def found(text, step=None, name_known=False):
    """What the reader takes from ``text``: the details by slot, the contact's parts apart."""
    reading = form_reader.read(text, step, name_known)
    return {**reading.found, **({"email": reading.email} if reading.email else {}),
            **({"phone": reading.phone} if reading.phone else {})}


@pytest.mark.parametrize("text, step, details_found", [
    # Several details in one message, at any step or in the request itself.
    ("my name is John Smith and my number is 087 123 4567", "visitor_name",
     {"visitor_name": "John Smith", "phone": "087 123 4567"}),
    ("yeah its Sarah Byrne, 086 555 1234, evenings are best", "visitor_name",
     {"visitor_name": "Sarah Byrne", "phone": "086 555 1234", "preferred_time": "evenings"}),
    ("please call me, I'm Sarah Byrne, 086 555 1234", None, {"visitor_name": "Sarah Byrne", "phone": "086 555 1234"}),
    ("Hi, I'm Hope Day, can you call me on 087 123 4567 tomorrow after 6 about stretch marks", None,
     {"visitor_name": "Hope Day", "phone": "087 123 4567", "preferred_time": "tomorrow after 6",
      "concern": "stretch marks"}),
    ("Name: Ann Lee. Email: ann@example.com. Time: after 5pm weekdays. Concern: stretch marks", None,
     {"visitor_name": "Ann Lee", "email": "ann@example.com", "preferred_time": "after 5pm weekdays",
      "concern": "stretch marks"}),
    ("Ahmed Khan here, please contact me on 07700 900456 re wrinkles, any time after 3pm", None,
     {"visitor_name": "Ahmed Khan", "phone": "07700 900456", "concern": "wrinkles",
      "preferred_time": "any time after 3pm"}),
    ("rose young here, rose.young@example.ie or 085 222 3344, weekday evenings after 7", "visitor_name",
     {"visitor_name": "rose young", "email": "rose.young@example.ie", "phone": "085 222 3344",
      "preferred_time": "weekday evenings after 7"}),
    ("087 321 7654, best after 6, about my acne scars", "visitor_contact",
     {"phone": "087 321 7654", "preferred_time": "after 6", "concern": "acne scars"}),
    ("Jack Long, jack.long@example.org, weekday afternoons, acne scarring on my jaw", None,
     {"visitor_name": "Jack Long", "email": "jack.long@example.org", "preferred_time": "weekday afternoons",
      "concern": "acne scarring on my jaw"}),
    ("Dara O'Neill. +353 87 555 0199. Tuesdays or Thursdays", "visitor_name",
     {"visitor_name": "Dara O'Neill", "phone": "+353 87 555 0199", "preferred_time": "Tuesdays or Thursdays"}),
    # A name after a lead-in is kept whole: the surname Im, a first name that is a word.
    ("my name is Im Ji-woo, ji.woo.im@example.com", "visitor_name",
     {"visitor_name": "Im Ji-woo", "email": "ji.woo.im@example.com"}),
    ("its Will Murphy 0861234567 any weekday before noon", "visitor_name",
     {"visitor_name": "Will Murphy", "phone": "0861234567", "preferred_time": "any weekday before noon"}),
    ("Yes Smith", "visitor_name", {"visitor_name": "Smith"}),
    ("ok so, im harry o'neill", "visitor_name", {"visitor_name": "harry o'neill"}),
    # "I'm finally thinking..." is no name where the visitor writes names with capitals.
    ("I'm finally thinking of it. My name is Karen Doyle, my mobile is 087 345 6789", None,
     {"visitor_name": "Karen Doyle", "phone": "087 345 6789"}),
    # A detail of another kind, typed at a question, is read as what it is.
    ("sean.d@example.com", "visitor_name", {"email": "sean.d@example.com"}),
    ("evenings", "visitor_name", {"preferred_time": "evenings"}),
    ("087 765 4321", "preferred_time", {"phone": "087 765 4321"}),
    ("tomorrow after 6", "concern", {"preferred_time": "tomorrow after 6"}),
    ("my number is 087 606 0606 too", "concern", {"phone": "087 606 0606"}),
    # Questions give no detail, whatever they name.
    ("where is the clinic", "visitor_name", {}),
    ("does it work on stretch marks?", "preferred_time", {}),
    ("Brian Kelly, does it leave scars?", "visitor_name", {"visitor_name": "Brian Kelly"}),
    # "can someone call me back" names no body area and no name.
    ("hi can someone call me back", None, {}),
    # A name right after the request to be contacted; phone numbers as they are written here and abroad.
    ("pls get someone to ring me Tomás 0861 223 908 any time", None,
     {"visitor_name": "Tomás", "phone": "0861 223 908", "preferred_time": "any time"}),
    ("Looking to arrange a consult. Ph: +353 (0)87 662 3017. Name: Fionnuala Ní Bhroin", None,
     {"visitor_name": "Fionnuala Ní Bhroin", "phone": "+353 (0)87 662 3017"}),
    ("00353 86 555 1234", "visitor_contact", {"phone": "00353 86 555 1234"}),
    ("(555) 318-0472 - I'm in the US til september", "visitor_contact", {"phone": "(555) 318-0472"}),
    # "about booking" is what the request is, not what it is about.
    ("hi can someone get back to me about booking, wedding in june so want to get started", None, {}),
    ("hello, id like to speak to someone about a consultation", None, {}),
    # An acknowledgement is no name.
    ("fair enough, Ruairí", "visitor_name", {"visitor_name": "Ruairí"}),
    ("ok good. Ava", "visitor_name", {"visitor_name": "Ava"}),
    # A part ending in a question mark is a question, whatever its first word.
    ("before I give my details does it hurt?", "visitor_name", {}),
    # A capitalised name signing the request; the surname typed just after a first name.
    ("need a callback - Jo", None, {"visitor_name": "Jo"}),
    ("I want to book a consultation. Amara clinic", None, {}),
    # A greeting, in any language, is never a name; labels without "my ... is" are labels.
    ("Hola, ring me please, Ana-Lucia Ferreira, 087 555 0101", None,
     {"visitor_name": "Ana-Lucia Ferreira", "phone": "087 555 0101"}),
    ("Dia duit, is mise Áine Ní Bhriain, 086 444 1212", None,
     {"visitor_name": "Áine Ní Bhriain", "phone": "086 444 1212"}),
    ("Guten Tag! Please call me. Jonas Becker, +49 151 2345 6789", None,
     {"visitor_name": "Jonas Becker", "phone": "+49 151 2345 6789"}),
    ("please get in touch. name Tran Van Minh. mobile 085 300 4141. email minh.tran@example.com", None,
     {"visitor_name": "Tran Van Minh", "phone": "085 300 4141", "email": "minh.tran@example.com"}),
    ("gemma o'brien ✨", "visitor_name", {"visitor_name": "gemma o'brien"}),
    ("I'm Fia btw x", "visitor_name", {"visitor_name": "Fia"}),
    ("fia@example.com is best", "visitor_contact", {"email": "fia@example.com"}),
    # A concern stated in a request, whatever its wording, with the place said before or after it.
    ("would like a ring about melasma on my upper lip, Dara Kane 087 222 3344", None,
     {"concern": "melasma on my upper lip", "visitor_name": "Dara Kane", "phone": "087 222 3344"}),
    ("can sum1 ring me bout my eczema patches", None, {"concern": "eczema patches"}),
    ("I'd like a consultation for my chest acne please", None, {"concern": "chest acne"}),
    ("Hello, I have stretch marks on my hips and thighs. Lia Moran, 087 111 2323", None,
     {"concern": "stretch marks on my hips and thighs", "visitor_name": "Lia Moran", "phone": "087 111 2323"}),
    # The treatment itself is what the clinic offers, not what the request is about.
    ("text me about the microneedling, Ger Daly, 086 765 4321", None,
     {"visitor_name": "Ger Daly", "phone": "086 765 4321"}),
    ("could the clinic ring me about microneedling on my neck? Rory Ash 087 321 0000", None,
     {"concern": "microneedling on my neck", "visitor_name": "Rory Ash", "phone": "087 321 0000"}),
    # A skin concern named anywhere wins over what follows "about".
    ("I've read about micro-needling for months and I have deep acne scars on my jaw. Una Roe, 086 101 2020", None,
     {"concern": "deep acne scars on my jaw", "visitor_name": "Una Roe", "phone": "086 101 2020"}),
    # Of several concerns, the one said most fully; "good evening" greets, it gives no time.
    ("I've had rosacea for years but it's the pitted scars on my jaw and temples now. Dan Ruane 087 010 2030", None,
     {"concern": "pitted scars on my jaw and temples", "visitor_name": "Dan Ruane", "phone": "087 010 2030"}),
    ("Good evening, please ring me, Cian Mac an tSaoi, 086 303 4040, Tuesday mornings", None,
     {"visitor_name": "Cian Mac an tSaoi", "phone": "086 303 4040", "preferred_time": "Tuesday mornings"}),
    ("mondays before noon, its about wrinkles round my eyes", "preferred_time",
     {"concern": "wrinkles round my eyes"}),
    # The visitor's words around a concern are part of it; a concern typed for the name is no name.
    ("pitted acne scars", "visitor_name", {"concern": "pitted acne scars"}),
    ("hi im Declan Fitzgerald-Ryan, 087 550 1199, want to discuss a scar on my chin from a fall", None,
     {"visitor_name": "Declan Fitzgerald-Ryan", "phone": "087 550 1199", "concern": "a scar on my chin from a fall"}),
    # Typos of a name's lead and of a time; the time the visitor is busy is not the time to call.
    ("my nme is Gráinne Kehoe", "visitor_name", {"visitor_name": "Gráinne Kehoe"}),
    ("thurs aftrnoon", "visitor_name", {"preferred_time": "thurs aftrnoon"}),
    ("my mobile is 087 902 4415, I'm in work til 5 so any time after 5 please", "visitor_contact",
     {"phone": "087 902 4415", "preferred_time": "any time after 5"}),
    # "re consultation" says what the request is, not who sends it.
    ("email me re consultation pls, orla.quinn@work.ie", None, {"email": "orla.quinn@work.ie"}),
    # "call me back" names nobody; an email signature's labels are no part of the name.
    ("call me back re acne scars 0879981234", None, {"concern": "acne scars", "phone": "0879981234"}),
    ("Please arrange a consultation.\n\nKind regards,\nMargaret Hennessy\nM: +353 87 210 9876\nE: mh@law.ie", None,
     {"visitor_name": "Margaret Hennessy", "phone": "+353 87 210 9876", "email": "mh@law.ie"}),
    # The name said again more fully, and a number taken back, in the same message.
    ("Can someone contact me. Its Ahmed. Ahmed Rahman. email ar@live.co.uk", None,
     {"visitor_name": "Ahmed Rahman", "email": "ar@live.co.uk"}),
    ("I'm Maeve, well Maeve Doherty, number is 087 111 2223 no wait 087 111 2232 sorry", None,
     {"visitor_name": "Maeve Doherty", "phone": "087 111 2232"}),
    # Two numbers without taking one back: the longer is the one (as before).
    ("call me on 01 234 567 or 087 111 2232", None, {"phone": "087 111 2232"}),
    ("mob no. 087 111 2223, home no. 01 234 5678", "visitor_contact", {"phone": "087 111 2223"}),
    ("087 111 2223 or if no answer 01 234 5678", "visitor_contact", {"phone": "087 111 2223"}),
    # Words about someone else are no fuller name.
    ("My name is Tom. Tom Kelly's son. 0871112223", None, {"visitor_name": "Tom", "phone": "0871112223"}),
    ("its ciara. ciara kelly recommended u. 0871112223", None, {"visitor_name": "ciara", "phone": "0871112223"}),
    # A time or a concern joined by "and" is one detail; a line break divides like a comma.
    ("I'm Ewa, please call 0899012345 between 9 and 11am about a consultation for melasma", None,
     {"visitor_name": "Ewa", "phone": "0899012345", "preferred_time": "between 9 and 11am", "concern": "melasma"}),
    ("Name Chiamaka Okafor, phone 089 443 2107, saturday mornings pls, about acne scarring and some dark marks",
     None, {"visitor_name": "Chiamaka Okafor", "phone": "089 443 2107", "preferred_time": "saturday mornings",
            "concern": "acne scarring and some dark marks"}),
    ("Please contact me re acne scars\nName: Chiamaka Okonkwo\nPhone: +353 83 402 9917\nBest time: weekday evenings",
     None, {"visitor_name": "Chiamaka Okonkwo", "phone": "+353 83 402 9917", "preferred_time": "weekday evenings",
            "concern": "acne scars"}),
    ("Call back request: Eoin Ryan, 0868812345, anytime before 11am", None,
     {"visitor_name": "Eoin Ryan", "phone": "0868812345", "preferred_time": "anytime before 11am"}),
    ("pls email me sarahjane.k@gmail.com\nthanks a mill\nSarah-Jane", None,
     {"visitor_name": "Sarah-Jane", "email": "sarahjane.k@gmail.com"}),
    # The parts of a request to be contacted are details, a question mark or not.
    ("can someone ring me on 085 901 2277 any time after 4? its Declan Mahon btw", None,
     {"visitor_name": "Declan Mahon", "phone": "085 901 2277", "preferred_time": "any time after 4"}),
    ("Could someone phone me on 028 9024 6613 about acne scarring? Any day after 5.", None,
     {"phone": "028 9024 6613", "concern": "acne scarring", "preferred_time": "Any day after 5"}),
    ("Cellulite on the backs of my legs, 07384 551 902", None,
     {"concern": "Cellulite on the backs of my legs", "phone": "07384 551 902"}),
    # An occasion's date is no time to call; words of a sentence are no name.
    ("how long is the redness after? I have a wedding next month", "concern", {}),
    ("is this form going to book me in or just ask them to call?", "concern", {}),
    ("how long is the redness after? I have a wedding next month", "storage_consent", {}),
    ("i think my sister already filled this in for me last week but never heard back, 083 118 2209", None,
     {"phone": "083 118 2209"}),
    # A number taken back in words: the last one.
    ("087 123 4567 no wait thats wrong, 087 123 4576", "visitor_contact", {"phone": "087 123 4576"}),
])
def test_the_reader_takes_every_detail_a_message_carries(text, step, details_found):
    assert found(text, step) == details_found


@pytest.mark.parametrize("text, step, known, details_found", [
    ("McNally", "visitor_contact", "Conor", {"visitor_name": "Conor McNally"}),
    ("whatsapp", "visitor_contact", "Conor", {}), ("Either", "visitor_contact", "Conor", {}),
    ("Maria Lopez I mean", "visitor_contact", "Maria", {"visitor_name": "Maria Lopez"}),
    # The name spelt again at the next question.
    ("sorry I mean Kieran O'Reilly", "visitor_contact", "Kieran O Reilly", {"visitor_name": "Kieran O'Reilly"}),
    ("Kieran Brady", "visitor_contact", "Kieran O Reilly", {}),
    ("Kieran O'Reilly", "visitor_contact", "Kieran O Reilly", {"visitor_name": "Kieran O'Reilly"}),
    # Someone else's name, not said to be a respelling, is not taken for the visitor's.
    ("Sinead Byrne 0871112223 its my wifes phone", "visitor_contact", "Sean Byrne", {"phone": "0871112223"}),
    # The whole name typed again after a first name: it replaces it.
    ("actually put my full name, Dearbhla Whelan", "visitor_contact", "dee", {"visitor_name": "Dearbhla Whelan"}),
    ("sorry Seán Tierney", "visitor_contact", "sean", {"visitor_name": "Seán Tierney"}),
    ("oh with fadas: Ciarán Ó Catháin", "visitor_contact", "Ciaran O Cathain", {"visitor_name": "Ciarán Ó Catháin"}),
])
def test_the_name_given_more_fully(text, step, known, details_found):
    assert found(text, step, known) == details_found


@pytest.mark.parametrize("text, step, value", [
    # The reply to the question asked, without lead-ins and comments.
    ("whenever suits", "preferred_time", "whenever suits"),
    ("aftr 6 pm", "preferred_time", "aftr 6 pm"),
    ("ring after 6", "preferred_time", "after 6"),
    ("evenings, or Saturday morning", "preferred_time", "evenings, or Saturday morning"),
    ("ok. weekday evenings!!", "preferred_time", "weekday evenings"),
    ("I'd prefer Monday or Wednesday mornings", "preferred_time", "Monday or Wednesday mornings"),
    ("wrinkles around my eyes", "concern", "wrinkles around my eyes"),
    ("I want to discuss the lines around my mouth", "concern", "lines around my mouth"),
    ("it's about hyperpigmentation", "concern", "hyperpigmentation"),
    ("no its more for acne scars on my chin", "concern", "acne scars on my chin"),
    ("nope - wrinkles", "concern", "wrinkles"),
    ("stretch marks actually", "concern", "stretch marks"),
    ("not sure yet", "concern", "not sure yet"),
    ("nah, it's really for the acne scars", "concern", "acne scars"),
    ("no its actually about melasma", "concern", "melasma"),
    ("the lines on my forehead x", "concern", "lines on my forehead"),
    ("evenings pls x", "preferred_time", "evenings"),
    ("mornings would suit best", "preferred_time", "mornings"),
    ("not ready till after 6", "preferred_time", "not ready till after 6"),
    # A time zone is part of the time; a hedge after it stays (the team learns it is no hard limit).
    ("afternoons your time is fine", "preferred_time", "afternoons your time"),
    ("weekday mornings before 11 ideally", "preferred_time", "weekday mornings before 11 ideally"),
    ("any time really", "preferred_time", "any time"),
    # The time preferred; a reason after the time goes, more of the time stays; an age beside a concern goes.
    ("eh any time really but mornings r better", "preferred_time", "mornings"),
    ("after 6pm, i work mornings", "preferred_time", "after 6pm"),
    ("mornings, i'm free till 12", "preferred_time", "mornings, i'm free till 12"),
    ("wrinkles n fine lines, I'm 52 so", "concern", "wrinkles n fine lines"),
    # What the clinic's team must know stays: a constraint on the time, pregnancy beside a concern.
    ("tuesday, i'm busy after 3", "preferred_time", "tuesday, i'm busy after 3"),
    ("Monday, i work nights so any time after 12 is good", "preferred_time",
     "Monday, i work nights so any time after 12 is good"),
    ("melasma, I'm 3 months pregnant", "concern", "melasma, I'm 3 months pregnant"),
    # Asides after a time go, a time taken back before it goes; "im flexible" says more of it.
    ("after 4 pls im in college til then", "preferred_time", "after 4"),
    ("tomorrow, i finish at 3", "preferred_time", "tomorrow, i finish at 3"),
    ("mornings since i work evenings, but not friday", "preferred_time",
     "mornings since i work evenings, but not friday"),
    ("between 12 and 1 is best because lunch", "preferred_time", "between 12 and 1"),
    ("im on nights so any time after 2 in the day", "preferred_time", "any time after 2 in the day"),
    ("wait no mornings are bad, any time after 2", "preferred_time", "any time after 2"),
    ("evenings r best", "preferred_time", "evenings"), ("saturday mornings if poss", "preferred_time",
                                                         "saturday mornings"),
    ("any time really, im flexible", "preferred_time", "any time really, im flexible"),
    ("five thirty onwards", "preferred_time", "five thirty onwards"),
    # Lead-ins before a concern go, where a concern follows: "microneedling for my face" says what for.
    ("a consultation for open pores", "concern", "open pores"),
    ("microneedling for my acne scars", "concern", "acne scars"),
    ("sagging skin on my neck i want to ask about", "concern", "sagging skin on my neck"),
    ("pigmentation i am 40 and also have rosacea", "concern", "pigmentation i am 40 and also have rosacea"),
])
def test_the_answer_to_the_question_asked(text, step, value):
    assert form_reader.read(text, step).rest == value


@pytest.mark.parametrize("text, step, slot, value", [
    ("change my name to John", "request_confirmed", "visitor_name", "John"),
    ("actually make the time mornings instead", "request_confirmed", "preferred_time", "mornings"),
    ("the concern should be wrinkles and crows feet", "request_confirmed", "concern", "wrinkles and crows feet"),
    ("actually afternoons are better", "request_confirmed", "preferred_time", "afternoons"),
    ("oh wait mornings are no good now, evenings after 7 instead", "request_confirmed", "preferred_time",
     "evenings after 7"),
    # A question's shape, a correction's meaning.
    ("actually can you add that its about acne scars", "request_confirmed", "concern", "acne scars"),
    ("can you make it afternoons", "request_confirmed", "preferred_time", "afternoons"),
    ("oh actually change it to stretch marks, the acne scars have faded", "request_confirmed", "concern",
     "stretch marks"),
    ("no my surname is spelt Keogh sorry, the email's right tho", "preferred_time", "visitor_name", "Keogh"),
    ("actually make that afternoons, and its acne scarring on my chest and back", "request_confirmed", "concern",
     "acne scarring on my chest and back"),
    ("actually make that afternoons, and its acne scarring on my chest and back", "request_confirmed",
     "preferred_time", "afternoons"),
])
def test_corrections_in_plain_words(text, step, slot, value):
    assert form_reader.read(text, step).found[slot] == value


def test_a_time_that_no_longer_suits_without_another_is_asked_again():
    reading = form_reader.read("mornings are no good now", "request_confirmed")
    assert "preferred_time" not in reading.found and reading.change == "preferred_time"


@pytest.mark.parametrize("text, step, known, name", [
    ("my surname is spelt Byrne not Burn", "request_confirmed", "Sarah Burn", "Sarah Byrne"),
    ("surname is Kelly", "storage_consent", "Ann Kelley", "Ann Kelly"),
    ("first name Ann, surname Lee", "visitor_name", None, "Ann Lee"),
    ("my surname is Mac Suibhne", "request_confirmed", "Ciaran Sweeney", "Ciaran Mac Suibhne"),
    # One word spelt like a word of the name respells that word; another name replaces it.
    ("my name is spelt Siobhán with a fada", "request_confirmed", "Siobhan Kelly", "Siobhán Kelly"),
    ("actually its Cathal", "request_confirmed", "Cahal Byrne", "Cathal Byrne"),
    ("change my name to John", "request_confirmed", "John Smith", "John"),
    # "spelled it wrong", with the name in a part of its own; not a button's words.
    ("sorry spelled it wrong, Sinéad Kelly", "visitor_contact", "Sinead Kelly", "Sinéad Kelly"),
    # A note on the spelling goes; the part it respells, or the first name, is replaced.
    ("no its Siobhan with a bh", "request_confirmed", "Shivon Brennan", "Siobhan Brennan"),
    ("wait put O'Driscoll with the apostrophe", "visitor_contact", "Caoimhe ODriscoll", "Caoimhe O'Driscoll"),
    ("actually its Mary-Rose with a hyphen, sorry", "visitor_contact", "Mary Rose Keogh", "Mary-Rose Keogh"),
    ("actually put my name as Caoimhín, the Irish version", "request_confirmed", "Kevin Ó Dálaigh",
     "Caoimhín Ó Dálaigh"),
    ("Raghunathan is my surname, sorry", "visitor_contact", "Priya", "Priya Raghunathan"),
    ("Róisín McGrath (with the fadas sorry)", "visitor_name", None, "Róisín McGrath"),
])
def test_a_part_of_the_name_corrected(text, step, known, name):
    assert form_reader.read(text, step, known).found["visitor_name"] == name


@pytest.mark.parametrize("text, step, what", [
    ("stop", "visitor_name", "leaving"), ("bye", "preferred_time", "leaving"),
    ("no thanks", "visitor_contact", "leaving"), ("ok thanks bye", "visitor_contact", "leaving"),
    ("forget it", "concern", "leaving"), ("never mind", "request_confirmed", "leaving"),
    ("no", "visitor_name", "leaving"), ("no", "request_confirmed", "leaving"),
    # "no" answers the yes-or-no questions; "no thanks" skips the optional concern.
    ("no", "storage_consent", "no"), ("no thanks", "storage_consent", "no"), ("no thanks", "concern", "skip"),
    # Leaving in other words, at any step.
    ("sorry not ready yet", "preferred_time", "leaving"), ("I'll ring ye myself", "visitor_contact", "leaving"),
    ("ah no its ok", "visitor_name", "leaving"), ("nvm", "visitor_name", "leaving"),
    ("let me think about it first", "request_confirmed", "leaving"),
    ("I'd prefer you didn't", "storage_consent", "no"), ("not comfortable with that", "storage_consent", "no"),
    ("skip!!", "concern", "skip"), ("Yes, I agree", "storage_consent", "yes"),
    ("looks good", "request_confirmed", "yes"), ("yes thats right", "concern", "yes"),
    ("send!!", "request_confirmed", "yes"), ("I consent", "storage_consent", "yes"),
    ("yep no problem", "storage_consent", "yes"), ("that's all correct thanks", "request_confirmed", "yes"),
    ("no, I don't want my details stored", "storage_consent", "no"),
    ("yes i agree to that", "storage_consent", "yes"), ("ye", "storage_consent", "yes"),
    ("send it 👍", "request_confirmed", "yes"), ("hmm ok fine", "storage_consent", "yes"),
    ("actually don't store anything", "storage_consent", "no"),
    ("I'd rather you didn't keep my details", "storage_consent", "no"),
    ("y", "storage_consent", "yes"), ("send away", "request_confirmed", "yes"),
    # A reply that only agrees or says to send, in the visitor's own words, is a yes...
    ("aye go on", "storage_consent", "yes"), ("yeah sound", "storage_consent", "yes"),
    ("grand, that's ok with me", "storage_consent", "yes"), ("sure, happy with that", "storage_consent", "yes"),
    ("spot on, submit it", "request_confirmed", "yes"), ("right so send it now", "request_confirmed", "yes"),
    ("all good, send it on x", "request_confirmed", "yes"), ("submit", "request_confirmed", "yes"),
    ("yesss 🙏", "request_confirmed", "yes"), ("ye send", "request_confirmed", "yes"),
    ("sure why not", "storage_consent", "yes"), ("yes you can keep my details", "storage_consent", "yes"),
    ("no bother", "storage_consent", "yes"), ("i accept", "storage_consent", "yes"),
    ("yes send the request", "request_confirmed", "yes"),
    ("grand job, send it to the clinic", "request_confirmed", "yes"),
    ("no, don't keep them", "storage_consent", "no"),
    # ...a refusal, a change or a question is not.
    ("not now", "storage_consent", "no"), ("nah, rather not", "storage_consent", "no"),
    # Skips in other words at the concern step.
    ("skip for now", "concern", "skip"), ("i'll skip that one", "concern", "skip"), ("just skip", "concern", "skip"),
    ("I'd rather not say", "concern", "skip"), ("pass on that", "concern", "skip"),
    ("nah skip", "concern", "skip"), ("no, rather not say thanks", "concern", "skip"),
    ("no concern really", "concern", "skip"),
    ("oui yes", "storage_consent", "yes"),
    # Sending in the visitor's own words.
    ("send it to them", "request_confirmed", "yes"), ("send to clinic", "request_confirmed", "yes"),
    ("yep fire it off", "request_confirmed", "yes"), ("ok you can send it", "request_confirmed", "yes"),
    ("perfect thank u, send", "request_confirmed", "yes"), ("send it over", "request_confirmed", "yes"),
    ("yes she's happy with that", "storage_consent", "yes"), ("si, yes", "storage_consent", "yes"),
    # A skip in a few more words is a skip, not a concern.
    ("id rather skip that one", "concern", "skip"), ("skip - will explain on the call", "concern", "skip"),
    ("rather not say, skip", "concern", "skip"), ("skip that q", "concern", "skip"), ("skp", "concern", "skip"),
    # Typed in a hurry: a letter doubled, "yh", "sendd".
    ("yh", "storage_consent", "yes"), ("yhh", "storage_consent", "yes"), ("k sendd", "request_confirmed", "yes"),
    ("send it through", "request_confirmed", "yes"), ("send it across", "request_confirmed", "yes"),
    ("sorted, send it", "request_confirmed", "yes"), ("yes she agrees", "storage_consent", "yes"),
])


def test_yes_no_skip_and_leaving(text, step, what):
    reading = form_reader.read(text, step)
    assert [w for w in ("leaving", "yes", "skip", "no") if getattr(reading, w)][:1] == [what]


def test_wanting_to_discuss_asks_for_the_team_but_asking_whether_is_a_question():
    assert detail_patterns.CONTACT_REQUEST.search("I would like to discuss hyperpigmentation")
    assert not detail_patterns.CONTACT_REQUEST.search("I don't want to talk to someone, just tell me")
    assert detail_patterns.is_question("I would like to discuss whether it is safe in pregnancy?")


def test_a_name_that_is_also_a_yes_elsewhere_is_a_name():
    assert form_reader.read("Si", "visitor_name").found == {"visitor_name": "Si"}


@pytest.mark.parametrize("text", ["ok can you help me", "yes can you", "ok go through it with me",
                                  "yeah can you send it to me",
                                  "yes but change the time", "send it to my other email", "ok wait",
                                  "sure, is it free?", "yes, not sure about the time", "fine, but no texts",
                                  "keep them for how long?", "why do you need to store them?", "hold on"])
def test_agreeing_with_more_to_say_is_no_plain_yes(text):
    assert not form_reader.read(text, "request_confirmed").yes


@pytest.mark.parametrize("text, plausible", [
    ("Sarah Byrne", True), ("sarah byrne", True), ("Gráinne Ní Bhriain", True), ("Omar Said", True),
    ("Tom Price", True), ("Jiwoo Im", True), ("Mary-Kate O'Sullivan", True), ("Will", True),
    ("where is the clinic", False), ("what are your opening hours", False), ("opening hours", False),
    ("evenings", False), ("tomorrow after 6", False), ("yes", False), ("hi", False), ("thanks", False),
    ("acne scars", False), ("087 123 4567", False), ("jane@example.com", False), ("price", False),
    ("can someone call me", False), ("Nora?", False), ("fair enough", False), ("good", False),
    ("Bonjour", False), ("Hola", False), ("Dia duit", False), ("hiii", False), ("agreed", False), ("aye", False),
    ("k", False), ("yeah go ahead", False), ("Gráinne Nic an Bhaird", True), ("Mac an", False),
])
def test_what_can_be_a_name(text, plausible):
    assert detail_patterns.plausible_name(text) is plausible


@pytest.mark.parametrize("text, plausible", [
    ("weekday mornings", True), ("after 5pm", True), ("any time", True), ("5-7pm", True), ("sat morning", True),
    ("between 9 and 11", True), ("whenever suits", True), ("asap", True), ("6pm onwards", True), ("n e time", True),
    ("evnings", True), ("2moro after 6", True), ("mornin", True), ("wkends", True), ("wkdays after 4", True),
    ("Sarah", False), ("087 123 4567", False), ("acne scars", False), ("hmm not sure", False),
])
def test_what_can_be_a_time(text, plausible):
    assert detail_patterns.looks_like_time(text) is plausible


def test_a_new_contact_replaces_its_own_kind_only():
    from actions.consultation import merged_contact

    assert merged_contact("jane@example.com", None, "087 123 4567") == "jane@example.com / 087 123 4567"
    assert merged_contact("jane@example.com / 087 123 4567", "j@example.org", None) == "j@example.org / 087 123 4567"
    assert merged_contact("087 123 4567", None, "086 000 1111") == "086 000 1111"


@pytest.mark.parametrize("text, step, known, details_found", [
    # Words that open other sentences are no name's lead-in.
    ("I'd like a consultation, I use Tretinoin", None, None, {}),
    ("use Zoom", "visitor_contact", "Ann Byrne", {}),
    ("make it Botox", "request_confirmed", "Ann Byrne", {}),
    # A surname of two words typed after the first name joins it; a name typed again without
    # its fadas takes none away.
    ("sorry Mc Nally", "visitor_contact", "Conor", {"visitor_name": "Conor Mc Nally"}),
    ("btw Ryan is my surname", "visitor_contact", "Anna", {"visitor_name": "Anna Ryan"}),
    ("Sean Tierney here, 087 123 4567", "preferred_time", "Seán Tierney", {"phone": "087 123 4567"}),
    # Two lines that are one detail.
    ("Ann\nByrne", "visitor_name", None, {"visitor_name": "Ann Byrne"}),
    ("087 123\n4567", "visitor_contact", "Ann", {"phone": "087 123 4567"}),
    # A count in words is no hour; an occasion's word after the time leaves it.
    ("hi i have acne scars, had them for about ten years, can someone call me", None, None, {"concern": "acne scars"}),
    ("I'm Ann Byrne, 087 123 4567, after 6 due to work", None, None,
     {"visitor_name": "Ann Byrne", "phone": "087 123 4567", "preferred_time": "after 6"}),
    ("087 123 4567 after 7 when the baby is asleep", "visitor_contact", "Ann",
     {"phone": "087 123 4567", "preferred_time": "after 7"}),
])
def test_what_a_review_found_the_reader_must_not_take(text, step, known, details_found):
    reading = form_reader.read(text, step, known)
    assert {**reading.found, **({"email": reading.email} if reading.email else {}),
            **({"phone": reading.phone} if reading.phone else {})} == details_found


@pytest.mark.parametrize("text, step, value", [
    ("tomorrow, i'll be around after 3", "preferred_time", "tomorrow, i'll be around after 3"),
    ("after 5, i mean 5:30", "preferred_time", "after 5, i mean 5:30"),
    ("any time as long as its after 5", "preferred_time", "any time as long as its after 5"),
    ("any day, fridays are no good", "preferred_time", "any day, fridays are no good"),
    ("wrinkles but not around my eyes", "concern", "wrinkles but not around my eyes"),
    ("i'd rather not say too much, my skin texture", "concern", "i'd rather not say too much, my skin texture"),
])
def test_what_a_review_found_an_answer_must_keep(text, step, value):
    assert form_reader.read(text, step).rest == value


def test_asking_to_change_a_detail_if_that_is_ok_is_a_change():
    assert form_reader.read("can you change my email if thats ok?", "request_confirmed").change == "visitor_contact"


@pytest.mark.parametrize("text, contact", [
    ("actually dont ring me, use my email instead, fk@example.com", "fk@example.com"),
    ("use my phone instead of the email: 087 208 3361", "087 208 3361"),
    ("or call me on 086 555 0000 instead", "fk@old.example.com / 086 555 0000"),
    ("you can also call me on 087 123 4567, don't call after 8 though", "fk@old.example.com / 087 123 4567"),
])
def test_a_contact_said_to_replace_the_other_kind_replaces_it(text, contact):
    slots = {"visitor_contact": "fk@old.example.com / 085 442 1870"} if "dont ring" in text \
        else {"visitor_contact": "fk@old.example.com"} if "call" in text else {"visitor_contact": "e@example.com"}
    assert at_step("request_confirmed", text, "inform", 0.9, slots)[0]["visitor_contact"] == contact


# --- What the form makes of a message, at each step (ValidateConsultationForm) --------------

def at_step(step, text, intent=None, confidence=0.0, slots=None, events=()):
    """The validation action run on ``text`` typed at ``step``: (slots set, responses sent,
    whether the form hands the message to the rules)."""
    import asyncio

    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions.consultation import FORM, ValidateConsultationForm

    message = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []}
    tracker = Tracker("visitor", {"requested_slot": step, **(slots or {})}, message,
                      [*events, {"event": "user", "text": text, "parse_data": message}], False, None,
                      {"name": FORM} if step else {}, "action_listen")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateConsultationForm().run(dispatcher, tracker, DOMAIN))
    slots_set = {e["name"]: e["value"] for e in events if e["event"] == "slot" and e["name"] != "requested_slot"}
    handed_on = not slots_set or any(e["event"] == "action_execution_rejected" for e in events)
    return slots_set, [m["response"] for m in dispatcher.messages], handed_on


def test_a_question_is_handed_to_the_rules_and_never_stored():
    for step, text, intent in [("visitor_name", "where is the clinic", "contact_clinic"),
                               ("visitor_name", "what are your opening hours", "contact_clinic"),
                               ("visitor_contact", "why do you need my email?", "why_details"),
                               ("preferred_time", "does it hurt?", "ask_pain"),
                               ("storage_consent", "who will see this?", "who_sees_details")]:
        assert at_step(step, text, intent, 0.95) == ({}, [], True), text


def test_a_question_nlu_is_sure_of_is_answered_when_it_is_no_answer():
    # No question mark, but no name either: the rules answer it, and the form asks again.
    assert at_step("visitor_name", "before I give my details how much is it", "ask_cost", 0.9) == ({}, [], True)
    assert at_step("preferred_time", "hmm how long does it take", "ask_session_duration", 0.9) == ({}, [], True)
    # A name NLU takes for a question is still the name.
    assert at_step("visitor_name", "Ava", "ask_cost", 0.9)[0] == {"visitor_name": "Ava"}


NOW = {"visitor_name": "Neeve Kelly", "visitor_contact": "neeve@gmial.com / 087 123 1234",
       "preferred_time": "Thursday evenings", "concern": "acne scars", "storage_consent": True}


@pytest.mark.parametrize("text, slot, value", [
    ("it's spelled Niamh not Neeve", "visitor_name", "Niamh Kelly"),
    ("sorry I meant Tuesday not Thursday", "preferred_time", "Tuesday evenings"),
    ("the last digits are 1243 not 1234", "visitor_contact", "neeve@gmial.com / 087 123 1243"),
    ("it's 086 not 087", "visitor_contact", "neeve@gmial.com / 086 123 1234"),
    ("gmail not gmial", "visitor_contact", "neeve@gmail.com / 087 123 1234"),
    ("sorry i meant after 6pm not Thursday evenings", "preferred_time", "after 6pm"),
])
def test_words_of_a_detail_replaced_at_the_summary(text, slot, value):
    assert at_step("request_confirmed", text, "inform", 0.9, NOW)[0] == {slot: value, "request_confirmed": None}


def test_more_of_a_detail_already_given_joins_it():
    slots = {**NOW, "storage_consent": None}
    assert at_step("concern", "or saturday mornings", "inform", 0.9, slots)[0] == {
        "preferred_time": "Thursday evenings or saturday mornings"}
    assert at_step("request_confirmed", "and wrinkles too", "inform", 0.9, NOW)[0] == {
        "concern": "acne scars and wrinkles", "request_confirmed": None}
    # A correction replaces, however it starts.
    assert at_step("request_confirmed", "also change the time to mornings", "change_detail", 0.9, NOW)[0] == {
        "preferred_time": "mornings", "request_confirmed": None}


def test_words_no_detail_holds_replace_nothing():
    assert at_step("request_confirmed", "Mary not Maura", "inform", 0.9, NOW)[0] == {"request_confirmed": None}


def test_details_and_a_question_keep_the_details_and_answer_the_question():
    assert at_step("visitor_name", "Brian Kelly, does it leave scars?", "ask_scarring", 0.8) == (
        {"visitor_name": "Brian Kelly"}, [], True)


def test_a_detail_of_another_kind_is_kept_for_its_own_slot():
    slots, said, handed_on = at_step("preferred_time", "087 765 4321", "inform", 0.9,
                                     {"visitor_name": "Ruth", "visitor_contact": "ruth@example.com"})
    assert slots == {"visitor_contact": "ruth@example.com / 087 765 4321"} and not handed_on
    assert said == ["utter_noted_detail"]  # then the form asks for the time again
    assert at_step("concern", "tomorrow after 6", "inform", 0.9)[0] == {"preferred_time": "tomorrow after 6"}


@pytest.mark.parametrize("step, text, intent, expected, said", [
    # A reply of the wrong kind is re-asked, saying what is expected.
    ("visitor_name", "yes", "affirm", {"visitor_name": None}, ["utter_invalid_name"]),
    ("visitor_name", "hi", "greet", {"visitor_name": None}, ["utter_invalid_name"]),
    ("preferred_time", "hmm not sure", "nlu_fallback", {"preferred_time": None}, ["utter_invalid_time"]),
    ("visitor_contact", "tomkeane at gmail", "inform", {"visitor_contact": None}, ["utter_invalid_contact"]),
    ("storage_consent", "what?", "nlu_fallback", {"storage_consent": None}, ["utter_consent_yes_or_no"]),
    ("request_confirmed", "hmm", "nlu_fallback", {"request_confirmed": None}, ["utter_confirm_hint"]),
    # A name NLU leans "no" on, unsure, is still a name.
    ("visitor_name", "Nora Fitz", "deny", {"visitor_name": "Nora Fitz"}, []),
    # Goodbyes and refusals end the form: nothing is sent.
    ("visitor_contact", "bye", "goodbye", {"request_confirmed": False}, []),
    ("visitor_contact", "no thanks", "deny", {"request_confirmed": False}, []),
    ("preferred_time", "stop", "cancel", {"request_confirmed": False}, []),
    ("storage_consent", "no", "deny", {"storage_consent": False}, []),
    ("request_confirmed", "/cancel", "cancel", {"request_confirmed": False}, []),
    # Skips, yeses and corrections.
    ("concern", "skip", "inform", {"concern": ""}, []),
    ("concern", "/deny", "deny", {"concern": ""}, []),
    ("request_confirmed", "send it", "affirm", {"request_confirmed": True}, []),
    ("request_confirmed", "change my email", "change_detail", {"visitor_contact": None, "request_confirmed": None},
     ["utter_change_detail"]),
    ("request_confirmed", "change my name to John", "change_detail",
     {"visitor_name": "John", "request_confirmed": None}, []),
])
def test_what_the_form_makes_of_a_reply(step, text, intent, expected, said):
    assert at_step(step, text, intent, 0.9)[:2] == (expected, said)


def test_the_form_ends_when_the_visitor_leaves():
    import asyncio

    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions.consultation import ValidateConsultationForm

    form = ValidateConsultationForm()
    domain_slots = DOMAIN["forms"]["consultation_form"]["required_slots"]
    left = Tracker("v", {"request_confirmed": False}, {}, [], False, None, {}, "action_listen")
    declined = Tracker("v", {"storage_consent": False}, {}, [], False, None, {}, "action_listen")
    assert asyncio.run(form.required_slots(domain_slots, CollectingDispatcher(), left, DOMAIN)) == ["request_confirmed"]
    assert "request_confirmed" not in asyncio.run(form.required_slots(domain_slots, CollectingDispatcher(),
                                                                      declined, DOMAIN))


def test_yes_to_the_offer_takes_the_details_typed_before_it():
    offered = [{"event": "user", "text": "my face is sore, call me on 087 345 6789", "parse_data": {}},
               {"event": "bot", "text": "Shall I?", "metadata": {"utter_action": "utter_offer_consultation"}}]
    slots, _, _ = at_step(None, "yes", "affirm", 0.95, events=offered)
    assert slots == {"visitor_contact": "087 345 6789"}


def test_a_detail_typed_after_the_offer_accepts_it():
    offered = [{"event": "user", "text": "my name is Sarah Byrne", "parse_data": {}},
               {"event": "bot", "text": "Shall I?", "metadata": {"utter_action": "utter_offer_consultation"}}]
    assert at_step(None, "086 555 1234", "inform", 0.9, events=offered)[0] == {
        "visitor_name": "Sarah Byrne", "visitor_contact": "086 555 1234"}
    bare_name = [{**offered[0], "text": "Sarah Byrne"}, offered[1]]
    assert at_step(None, "086 555 1234", "inform", 0.9, events=bare_name)[0]["visitor_name"] == "Sarah Byrne"
    sore = [{**offered[0], "text": "my face is sore"}, offered[1]]
    assert at_step(None, "jade", "inform", 0.9, events=sore)[0]["visitor_name"] == "jade"


def test_yes_please_with_a_name_to_the_offer_gives_the_name():
    assert at_step(None, "yes please, Sarah Byrne", "affirm", 0.9)[0] == {"visitor_name": "Sarah Byrne"}
    assert at_step(None, "can someone call me", "contact_clinic", 0.9)[0] == {}


FORM_QUESTIONS_HELD_OUT = ROOT / "tests" / "nlu_holdout_form.yml"
# Questions about the form, in words never trained on: 16 of 20 understood today (one of slack).
MIN_FORM_QUESTION_ACCURACY = 0.75


def test_form_question_phrasings_are_new_to_the_model():
    from trainer import holdout
    from trainer.validate import normalised

    trained = {normalised(text) for path in (ROOT / "data" / "nlu").glob("*.yml")
               for text, _ in holdout.load_examples(path)}
    assert [t for t, _ in holdout.load_examples(FORM_QUESTIONS_HELD_OUT) if normalised(t) in trained] == []


def test_questions_about_the_form_are_understood(model_path, capsys):
    """"who gets to read this?" must reach the form's answers, not an FAQ's (held-out phrasings)."""
    from trainer import holdout

    predictions = holdout.predict(str(model_path), FORM_QUESTIONS_HELD_OUT)
    with capsys.disabled():
        print("\n" + holdout.report(predictions))
    assert holdout.accuracy(predictions) >= MIN_FORM_QUESTION_ACCURACY


def test_every_question_handed_on_has_a_rule_during_the_form():
    """The form hands a question to the rules only if a rule answers it during the form."""
    from actions.consultation import ANSWERED_DURING_FORM, FAQS

    rules = yaml.safe_load((ROOT / "data" / "rules_consultation.yml").read_text(encoding="utf-8"))["rules"]
    during_form = set(FAQS)  # every FAQ's rule during the form is generated (hooks/faq_rules.py)
    for rule in rules:
        if {"active_loop": "consultation_form"} not in rule.get("condition", []):
            continue
        for step in rule["steps"]:
            intents = [step] if "intent" in step else step.get("or", [])
            during_form |= {s["intent"] for s in intents if "intent" in s}
    assert ANSWERED_DURING_FORM <= during_form, ANSWERED_DURING_FORM - during_form


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


def test_a_name_typed_in_the_request_itself_is_personal():
    """The form takes details from the message that starts it ("can someone call me, I'm
    Rose"): that message is hidden from the history replay and deleted with a declined request."""
    from leads import privacy

    events = [{"event": "user", "text": "can someone call me, I'm Rose",
               "parse_data": {"intent": {"name": "contact_clinic"}}},
              {"event": "active_loop", "name": "consultation_form"},
              {"event": "slot", "name": "visitor_name", "value": "Rose"},
              {"event": "user", "text": "how much is it?", "parse_data": {"intent": {"name": "ask_cost"}}}]
    assert privacy.personal_events(events) == {0, 2}
