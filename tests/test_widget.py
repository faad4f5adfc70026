"""The widget channel (channels/widget.py and its parts): sessions, rate limits, history
replay; then its HTTP API on a live server."""
import asyncio
import json

import pytest
import requests

from actions import answers, registry
from channels.ratelimit import Limits, MemoryRateLimiter
from channels.secret_strength import WeakSecret
from channels.sessions import SessionSigner, load_key
from channels.transcript import history_of
from channels.widget import WidgetInput

ALLOWED = "http://localhost:8000"


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# --- parts ------------------------------------------------------------------------------

def test_sessions_are_signed_and_unguessable():
    signer = SessionSigner(b"k" * 32)
    a, b = signer.issue(), signer.issue()
    assert a != b and signer.verify(a).sender_id.startswith("widget-")
    assert signer.verify(b).sender_id != signer.verify(a).sender_id
    body, mac = a.rsplit(".", 1)
    assert signer.verify(f"{body}.{'0' * len(mac)}") is None  # forged signature
    sender, issued, seen = body.split(".")
    assert signer.verify(f"widget-{'x' * 24}.{issued}.{seen}.{mac}") is None  # someone else's id
    assert signer.verify(f"{sender}.{issued}.{int(seen, 36) + 99:x}.{mac}") is None  # a younger "seen"
    assert SessionSigner(b"other key" * 4).verify(a) is None
    for bad in (None, "", 42, "no-dot", "x" * 500, ["list"]):
        assert signer.verify(bad) is None


def test_verify_accepts_only_the_exact_format_it_issues():
    """A correctly signed id with a NUL (or a pre-expiry token) is still refused: PostgreSQL
    exits on NUL, so such an id must never reach the tracker store."""
    import hashlib
    import hmac

    key = b"k" * 32
    signer = SessionSigner(key)

    def signed(body: str) -> str:
        return f"{body}.{hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:32]}"

    valid = signer.issue()
    sender, issued, seen, _ = valid.split(".")
    assert signer.verify(signed(f"{sender}.{issued}.{seen}")) is not None  # the helper signs like the signer
    for body in (f"widget-\x00{'a' * 23}.{issued}.{seen}", f"widget-{'a' * 23}\u00e9.{issued}.{seen}",
                 f"widget-{'a' * 25}.{issued}.{seen}", f"{sender}", f"{sender}.{issued}",
                 f"{sender}.{issued}.{seen}.extra", f"WIDGET-{'a' * 24}.{issued}.{seen}"):
        assert signer.verify(signed(body)) is None, body


def test_sessions_expire_when_idle_and_when_old_and_renewal_restarts_the_idle_time():
    clock = Clock()
    signer = SessionSigner(b"k" * 32, max_age_seconds=3600, idle_seconds=600, clock=clock)
    token = signer.issue()
    clock.now += 599
    session = signer.verify(token)
    assert session is not None
    renewed = signer.renewed(session)
    clock.now += 300  # 899 s after the first token: idle for the first, not for the renewed one
    assert signer.verify(token) is None
    assert signer.verify(renewed).sender_id == session.sender_id
    for _ in range(10):  # kept busy: renewed every 5 minutes, still ends after an hour
        clock.now += 300
        renewed = signer.renewed(signer.verify(renewed)) if signer.verify(renewed) else renewed
    assert signer.verify(renewed) is None


def test_rate_limiter_allows_a_burst_then_refuses():
    limiter = MemoryRateLimiter("test", 3, 60)
    assert [limiter.allow_now("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow_now("b")  # per session


def test_rate_limiter_forgets_idle_keys():
    import time

    limiter = MemoryRateLimiter("test", 1, 0.05)
    for n in range(1500):
        limiter.allow_now(f"visitor-{n}")
    time.sleep(0.1)
    limiter.allow_now("one more")
    assert list(limiter._events) == ["one more"]


@pytest.fixture(scope="module")
def redis_server():
    import os

    import stores
    from servers import free_port

    if stores.missing_binaries() and "redis-server" in " ".join(stores.missing_binaries()):
        reason = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("CI"):
            pytest.fail(reason + "; .ci/run installs it")
        pytest.skip(reason)
    server = stores.Redis(free_port())
    server.start()
    yield server
    server.destroy()


@pytest.mark.services
def test_redis_rate_limits_are_shared_by_every_replica(redis_server):
    """Two channels (two replicas) with the same Redis: the limit counts both."""
    environ = {"LOCK_STORE_TYPE": "serving.locks.RedisTicketLockStore", "REDIS_HOST": "127.0.0.1",
               "REDIS_PORT": str(redis_server.port), "REDIS_KEY_PREFIX": "test-shared:"}

    async def alternate():
        replicas = [Limits("auto", environ).limiter("messages", 5, 60) for _ in range(2)]
        results = [await replicas[n % 2].allow("visitor-a") for n in range(6)]
        return results, await replicas[1].allow("visitor-b")

    results, other_visitor = asyncio.run(alternate())
    assert results == [True] * 5 + [False] and other_visitor


def test_redis_rate_limits_let_requests_through_while_redis_is_down(caplog):
    from servers import free_port

    limiter = Limits("redis", {"REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(free_port())}).limiter("x", 1, 60)
    assert asyncio.run(limiter.allow("a")) and asyncio.run(limiter.allow("a"))  # the lock store answers 503 then
    assert "could not reach Redis" in caplog.text


def test_a_store_that_exits_becomes_a_503_on_history():
    """Rasa's SQL store turns some database errors (PostgreSQL and a NUL) into SystemExit;
    /history must answer 503 like /message, not let it stop the replica."""
    from types import SimpleNamespace

    from channels import guard

    class ExitingStore:
        async def retrieve(self, sender_id):
            raise SystemExit(1)

    agent = SimpleNamespace(tracker_store=ExitingStore())
    request = SimpleNamespace(app=SimpleNamespace(ctx=SimpleNamespace(agent=agent)))
    with pytest.raises(guard.Refused) as refused:
        asyncio.run(guard.read_tracker(request, "widget-x"))
    assert refused.value.status == 503 and refused.value.code == "unavailable"


def test_the_rate_limit_store_follows_the_lock_store():
    assert Limits("auto", {"LOCK_STORE_TYPE": "in_memory"}).store == "memory"
    assert Limits("auto", {"LOCK_STORE_TYPE": "serving.locks.RedisTicketLockStore"}).store == "redis"
    assert Limits("auto", {"LOCK_STORE_TYPE": "redis"}).store == "redis"
    assert Limits("memory", {"LOCK_STORE_TYPE": "redis"}).store == "memory"
    with pytest.raises(ValueError, match="rate_limit_store must be one of"):
        Limits("mongo", {})


def test_signing_key_is_created_once_and_weak_keys_are_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("WIDGET_SECRET", raising=False)
    key_file = tmp_path / "var" / "widget-secret"
    first = load_key(str(key_file))
    assert len(first) >= 32 and load_key(str(key_file)) == first
    assert oct(key_file.stat().st_mode)[-3:] == "600"
    key_file.write_text("")
    with pytest.raises(WeakSecret, match="at least 32 characters"):
        load_key(str(key_file))
    for weak in ("too-short", "change-me-to-at-least-32-random-characters", "a" * 40):
        monkeypatch.setenv("WIDGET_SECRET", weak)
        with pytest.raises(WeakSecret, match="WIDGET_SECRET is") as refused:
            load_key(str(key_file))
        assert weak not in str(refused.value)  # the message may be logged: never the value


@pytest.mark.parametrize("origin, allowed", [
    ("http://localhost:8000", True), ("http://127.0.0.1:5005", True), ("http://localhost", True),
    ("https://localhost:8000", False), ("http://localhost:80.evil.example", False),
    ("http://evil.example", False), ("null", False), ("", False), (None, False),
])
def test_default_origins_are_local_only(origin, allowed, tmp_path):
    channel = WidgetInput.from_credentials({"secret_file": str(tmp_path / "key")})
    assert channel.origin_allowed(origin) is allowed


def test_origins_are_normalised_and_the_environment_overrides_them(tmp_path, monkeypatch):
    channel = WidgetInput.from_credentials(
        {"allowed_origins": ["HTTPS://Clinic.Example/"], "secret_file": str(tmp_path / "key")}
    )
    assert channel.origin_allowed("https://clinic.example")
    monkeypatch.setenv("WIDGET_ALLOWED_ORIGINS", "https://a.example, https://b.example")
    channel = WidgetInput.from_credentials({"secret_file": str(tmp_path / "key")})
    assert channel.origin_allowed("https://b.example") and not channel.origin_allowed("http://localhost:8000")


def test_origins_can_be_configured_with_wildcard_subdomains(tmp_path):
    channel = WidgetInput.from_credentials(
        {"allowed_origins": ["https://*.clinic.example"], "secret_file": str(tmp_path / "key")}
    )
    assert channel.origin_allowed("https://www.clinic.example")
    assert not channel.origin_allowed("https://www.clinic.example.evil.test")
    assert not channel.origin_allowed("http://localhost:8000")


def test_history_renders_user_and_bot_turns_and_clicked_buttons():
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker.from_events("s", [
        ActionExecuted("action_listen"),
        UserUttered("hmm"),
        BotUttered("Did you mean:", {"buttons": [{"title": "Cost", "payload": "/ask_cost"}]}),
        UserUttered("/ask_cost"),
        BotUttered("€170"),
    ])
    assert history_of(tracker) == [
        {"from": "visitor", "text": "hmm"},
        {"from": "bot", "text": "Did you mean:"},  # answered: its buttons are not offered again
        {"from": "visitor", "text": "Cost"},
        {"from": "bot", "text": "€170"},
    ]
    tracker.update(UserUttered("hmm again"))
    tracker.update(BotUttered("Did you mean:", {"buttons": [{"title": "Cost", "payload": "/ask_cost"}]}))
    assert history_of(tracker)[-1]["buttons"] == [{"title": "Cost", "payload": "/ask_cost"}]
    assert history_of(None) == []


def form_conversation(ended_with=None):
    """A consultation form's events, as Rasa stores them, optionally ended by an action."""
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered

    def asked(slot, question):
        return [SlotSet("requested_slot", slot), BotUttered(question)]

    events = [
        UserUttered("can i have it if im pregnant?", {"name": "ask_not_covered"}),
        BotUttered("I can't answer that."),
        ActionExecuted("consultation_form"), ActiveLoop("consultation_form"),
        *asked("visitor_name", "What's your name?"),
        UserUttered("Jane Smith", {"name": "inform"}), SlotSet("visitor_name", "Jane Smith"),
        *asked("visitor_contact", "What email address or phone number?"),
        UserUttered("it's jane.smith@example.com", {"name": "inform"}),
        SlotSet("visitor_contact", "jane.smith@example.com"),
        *asked("preferred_time", "When would you like the clinic to get in touch?"),
        UserUttered("weekday mornings", {"name": "nlu_fallback"}), SlotSet("preferred_time", "weekday mornings"),
        *asked("concern", "About your question \u201ccan i have it if im pregnant?\u201d \u2014 is that right?"),
        UserUttered("/affirm", {"name": "affirm"}, metadata={"button_title": "Yes, that's right"}),
        SlotSet("concern", "your question \u201ccan i have it if im pregnant?\u201d"),
        BotUttered("Here is your request:\nName: Jane Smith\nContact: jane.smith@example.com\n"
                   "Preferred time: weekday mornings\nShall I send it?",
                   metadata={"utter_action": "utter_ask_request_confirmed"}),
    ]
    if ended_with:
        events += [UserUttered("/affirm", {"name": "affirm"}), ActiveLoop(None),
                   SlotSet("requested_slot", None), ActionExecuted(ended_with),
                   BotUttered("Thank you, Jane Smith! The team will contact you at jane.smith@example.com.",
                              metadata={"utter_action": "utter_request_sent"}),
                   UserUttered("does it hurt?", {"name": "ask_pain"}), BotUttered("It is painless.")]
    return events


def test_history_hides_the_details_a_visitor_typed():
    from rasa.shared.core.trackers import DialogueStateTracker

    history = history_of(DialogueStateTracker.from_events("s", form_conversation()))
    shown = json.dumps(history, ensure_ascii=False)
    for detail in ("Jane", "Smith", "jane.smith@example.com", "weekday mornings"):
        assert detail not in shown
    texts = [m["text"] for m in history]
    assert texts[0] == "can i have it if im pregnant?"  # a question, not a detail
    assert texts.count("\u2022\u2022\u2022") == 3  # name, email, time: hidden, still in their place
    assert "Yes, that's right" in texts  # a clicked button is not a detail
    assert texts[-1].startswith("Here is your request:\nName: \u2022\u2022\u2022\nContact: \u2022\u2022\u2022")


def test_history_starts_after_a_request_was_sent():
    from rasa.shared.core.trackers import DialogueStateTracker

    history = history_of(DialogueStateTracker.from_events("s", form_conversation("action_submit_consultation_request")))
    assert history == [{"from": "visitor", "text": "does it hurt?"}, {"from": "bot", "text": "It is painless."}]


# --- the HTTP API on a running assistant --------------------------------------------------

def post(assistant, path, body=None, origin=ALLOWED, raw=None):
    headers = {"Origin": origin} if origin else {}
    data = raw if raw is not None else (json.dumps(body) if body is not None else None)
    if data is not None:
        headers["Content-Type"] = "application/json"
    return requests.post(f"{assistant.url}/webhooks/widget/{path}", data=data, headers=headers, timeout=30)


def new_session(assistant):
    reply = post(assistant, "session")
    assert reply.status_code == 200
    assert reply.json()["max_message_length"] == 1000
    return reply.json()["session"]


def test_message_and_history(assistant):
    session = new_session(assistant)
    reply = post(assistant, "message", {"session": session, "message": "does it hurt?"})
    assert reply.status_code == 200
    assert reply.json()["messages"] == [{"from": "bot", "text": registry.answer("ask_pain")}]
    assert reply.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    renewed = reply.json()["session"]  # the same conversation, its idle time started again
    assert renewed.split(".")[0] == session.split(".")[0]
    for token in (session, renewed):
        history = post(assistant, "history", {"session": token}).json()["messages"]
        assert history == [{"from": "visitor", "text": "does it hurt?"},
                           {"from": "bot", "text": registry.answer("ask_pain")}]


def server_signer(**kwargs):
    """Signs like the running assistant: the same key (WIDGET_SECRET, or var/widget-secret)."""
    from paths import ROOT

    return SessionSigner(load_key(str(ROOT / "var" / "widget-secret")), **kwargs)


def test_replies_are_utf8_json_on_both_channels(assistant):
    """A person reading curl's output sees "€170", not "\\u20ac170" (issue 18)."""
    widget = post(assistant, "message", {"session": new_session(assistant), "message": "how much does it cost?"})
    rest = requests.post(f"{assistant.url}/webhooks/rest/webhook", timeout=30,
                         json={"sender": "utf8-check", "message": "how much does it cost?"})
    for reply in (widget, rest):
        assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("application/json")
        assert "€170".encode() in reply.content and b"\\u20ac" not in reply.content
    assert "€170" in rest.json()[0]["text"]


@pytest.mark.parametrize("age", ["idle 31 minutes", "begun 25 hours ago"])
def test_an_expired_session_is_refused_and_replays_nothing(assistant, age):
    import time

    minutes = 31 if age.startswith("idle") else 25 * 60
    old = server_signer(clock=lambda: time.time() - minutes * 60).issue()
    fresh = server_signer().issue()  # the same key, now: accepted (so the refusal is the age)
    assert post(assistant, "history", {"session": fresh}).status_code == 200
    for path, body in (("history", {"session": old}), ("message", {"session": old, "message": "hi"})):
        reply = post(assistant, path, body)
        assert reply.status_code == 401 and reply.json()["error"] == "invalid_session", reply.text


HAPPY_PATH = [  # tests/data/consultation.yml's happy path, as the widget sends it (clicks with payloads)
    ("does it help with acne scars?", None), ("I'd like to book", None), ("Aoife Brennan", None),
    ("aoife.brennan@example.com", None), ("weekends", None), ("Yes, that's right", "/affirm"),
    ("Yes, I agree", "/affirm"), ("Send it", "/affirm"),
]
DETAILS = ("Aoife", "Brennan", "aoife.brennan@example.com", "weekends")


def test_history_never_replays_the_details_and_a_sent_request_starts_a_fresh_session(assistant):
    session = new_session(assistant)
    replies = []
    for text, payload in HAPPY_PATH[:-1]:
        body = {"session": session, "message": text, **({"payload": payload} if payload else {})}
        reply = post(assistant, "message", body).json()
        replies.append(reply)
        session = reply["session"]
    assert "Name: Aoife Brennan" in replies[-1]["messages"][0]["text"]  # the visitor sees their summary...
    history = post(assistant, "history", {"session": session})
    shown = history.content.decode("utf-8")
    for detail in DETAILS:
        assert detail not in shown  # ...but a replay (the next person at this device) never does
    assert "does it help with acne scars?" in shown and "Name: \u2022\u2022\u2022" in shown

    sent = post(assistant, "message", {"session": session, "message": "Send it", "payload": "/affirm"}).json()
    assert "Thank you, Aoife Brennan!" in sent["messages"][0]["text"]
    fresh = sent["session"]
    assert fresh.split(".")[0] != session.split(".")[0]  # a new conversation
    assert post(assistant, "history", {"session": fresh}).json()["messages"] == []
    # The old token replays nothing of the request either (were it kept somewhere).
    assert post(assistant, "history", {"session": session}).json()["messages"] == []


def test_history_is_rate_limited_per_session(assistant):
    session = new_session(assistant)
    statuses = [post(assistant, "history", {"session": session}).status_code for _ in range(21)]
    assert statuses[:20] == [200] * 20 and statuses[20] == 429


def test_the_demo_page_has_a_content_security_policy_and_cannot_be_framed(assistant):
    from channels.headers import inline_hashes

    reply = requests.get(f"{assistant.url}/webhooks/widget/demo", timeout=10)
    policy = reply.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and reply.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'none'" in policy and "'unsafe-inline'" not in policy
    for digest in inline_hashes(reply.text, "script"):  # the page's own inline script, and only it
        assert digest in policy


def test_a_visitor_cannot_read_or_write_another_conversation(assistant):
    mine, theirs = new_session(assistant), new_session(assistant)
    post(assistant, "message", {"session": theirs, "message": "how much does it cost?"})
    sender, mac = theirs.rsplit(".", 1)
    for forged in (f"{sender}.{mine.rsplit('.', 1)[1]}", sender, f"{sender}.", mine.rsplit(".", 1)[0] + "x." + mac,
                   mine.split(".")[0] + theirs[len(mine.split(".")[0]):]):
        assert post(assistant, "message", {"session": forged, "message": "hi"}).status_code == 401
        reply = post(assistant, "history", {"session": forged})
        assert reply.status_code == 401 and reply.json()["error"] == "invalid_session"
    # The conversation I do own has none of theirs.
    assert post(assistant, "history", {"session": mine}).json()["messages"] == []


def test_a_button_payload_triggers_its_intent_but_typed_commands_do_not(assistant):
    session = new_session(assistant)
    clicked = post(assistant, "message", {"session": session, "message": "Cost", "payload": "/ask_cost"})
    assert clicked.json()["messages"][0]["text"] == answers.cost()
    # Typed "/ask_cost{...}" or "/restart" go through NLU as text, like any other words.
    for typed in ('/ask_cost{"number": "9999"}', "/restart"):
        reply = post(assistant, "message", {"session": session, "message": typed}).json()
        assert "9999" not in str(reply) and reply["messages"]
    history = post(assistant, "history", {"session": session}).json()["messages"]
    assert [m["text"] for m in history if m["from"] == "visitor"] == ["Cost", 'ask_cost{"number": "9999"}', "restart"]
    # A payload that is not one of the domain's intents is ignored: the text is used.
    odd = post(assistant, "message", {"session": session, "message": "does it hurt", "payload": "/restart"}).json()
    assert odd["messages"][0]["text"] == registry.answer("ask_pain")


def test_other_origins_are_refused(assistant):
    reply = post(assistant, "session", origin="http://evil.example")
    assert reply.status_code == 403 and reply.json()["error"] == "origin_not_allowed"
    assert "session" not in reply.json()
    # The refusal is readable by that site (never an answer): its widget can say "unavailable
    # on this page" and its browser console which site to allow where, instead of the browser
    # hiding a 403 behind "can't be reached".
    assert reply.headers["Access-Control-Allow-Origin"] == "http://evil.example"
    assert "http://evil.example" in reply.json()["message"] and "allowed_origins" in reply.json()["message"]
    greeting = requests.get(f"{assistant.url}/webhooks/widget/greeting", headers={"Origin": "http://evil.example"},
                            timeout=10)
    assert greeting.status_code == 403 and "messages" not in greeting.json()
    preflight = requests.options(
        f"{assistant.url}/webhooks/widget/message",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}, timeout=10,
    )
    assert preflight.status_code in (200, 204)  # so the refused request is sent, and refused readably
    ok = requests.options(
        f"{assistant.url}/webhooks/widget/message",
        headers={"Origin": ALLOWED, "Access-Control-Request-Method": "POST"}, timeout=10,
    )
    assert ok.status_code in (200, 204) and ok.headers["Access-Control-Allow-Origin"] == ALLOWED


@pytest.mark.parametrize("raw, status, code", [
    ("", 400, "invalid_json"),
    ("not json", 400, "invalid_json"),
    ("[1, 2]", 400, "invalid_json"),
    ('{"message": "hi"}', 401, "invalid_session"),
    ('{"session": 12, "message": "hi"}', 401, "invalid_session"),
])
def test_malformed_requests_get_4xx_json(assistant, raw, status, code):
    reply = post(assistant, "message", raw=raw)
    assert reply.status_code == status and reply.json()["error"] == code


@pytest.mark.parametrize("message, status, code", [
    ("", 400, "invalid_message"), ("   ", 400, "invalid_message"), (None, 400, "invalid_message"),
    (["hi"], 400, "invalid_message"), ("x" * 1001, 413, "message_too_long"),
])
def test_bad_messages_get_clear_errors(assistant, message, status, code):
    reply = post(assistant, "message", {"session": new_session(assistant), "message": message})
    assert reply.status_code == status and reply.json()["error"] == code
    assert reply.json()["message"]


def test_message_at_the_limit_is_answered(assistant):
    reply = post(assistant, "message", {"session": new_session(assistant), "message": "a" * 1000})
    assert reply.status_code == 200 and reply.json()["messages"]


def test_sending_too_fast_is_rate_limited_per_session(assistant):
    session = new_session(assistant)
    statuses = [post(assistant, "message", {"session": session, "message": "hi"}).status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10 and statuses[10] == 429
    limited = post(assistant, "message", {"session": session, "message": "hi"}).json()
    assert limited["error"] == "rate_limited" and "wait" in limited["message"]
    # Another visitor is not affected.
    assert post(assistant, "message", {"session": new_session(assistant), "message": "hi"}).status_code == 200


def test_history_with_a_bad_body_is_refused(assistant):
    for raw in ("", "nope", "[]"):
        reply = post(assistant, "history", raw=raw)
        assert reply.status_code == 400 and reply.json()["error"] == "invalid_json"
    reply = post(assistant, "history", raw='{"session": null}')
    assert reply.status_code == 401 and reply.json()["error"] == "invalid_session"


def test_static_files_are_served(assistant):
    for path, kind in (("widget.js", "javascript"), ("widget.css", "text/css"), ("demo", "text/html")):
        reply = requests.get(f"{assistant.url}/webhooks/widget/{path}", timeout=10)
        assert reply.status_code == 200 and kind in reply.headers["Content-Type"]
    assert "/webhooks/widget/widget.js" in requests.get(f"{assistant.url}/webhooks/widget/demo", timeout=10).text
