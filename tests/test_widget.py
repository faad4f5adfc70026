"""The widget channel (channels/widget.py): its parts, then its HTTP API on a live server."""
import json
import time

import pytest
import requests

from channels.widget import RateLimiter, SessionSigner, WidgetInput, history_of, load_key

ALLOWED = "http://localhost:8000"


# --- parts ------------------------------------------------------------------------------

def test_sessions_are_signed_and_unguessable():
    signer = SessionSigner(b"k" * 32)
    a, b = signer.issue(), signer.issue()
    assert a != b and signer.verify(a).startswith("widget-") and signer.verify(b) != signer.verify(a)
    sender, mac = a.rsplit(".", 1)
    assert signer.verify(f"{sender}.{'0' * len(mac)}") is None  # forged signature
    assert signer.verify(f"widget-someone-else.{mac}") is None  # someone else's id
    assert SessionSigner(b"other key").verify(a) is None
    for bad in (None, "", 42, "no-dot", "x" * 500, ["list"]):
        assert signer.verify(bad) is None


def test_rate_limiter_allows_a_burst_then_refuses():
    limiter = RateLimiter(3, 60)
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")  # per session


def test_rate_limiter_forgets_idle_keys():
    limiter = RateLimiter(1, 0.05)
    for n in range(1500):
        limiter.allow(f"visitor-{n}")
    time.sleep(0.1)
    limiter.allow("one more")
    assert list(limiter._events) == ["one more"]


def test_signing_key_is_created_once_and_short_keys_are_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("WIDGET_SECRET", raising=False)
    key_file = tmp_path / "var" / "widget-secret"
    first = load_key(str(key_file))
    assert len(first) >= 32 and load_key(str(key_file)) == first
    assert oct(key_file.stat().st_mode)[-3:] == "600"
    key_file.write_text("")
    with pytest.raises(ValueError, match="at least 32 characters"):
        load_key(str(key_file))
    monkeypatch.setenv("WIDGET_SECRET", "too-short")
    with pytest.raises(ValueError, match="at least 32 characters"):
        load_key(str(key_file))


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
    from actions import registry

    session = new_session(assistant)
    reply = post(assistant, "message", {"session": session, "message": "does it hurt?"})
    assert reply.status_code == 200
    assert reply.json() == {"messages": [{"from": "bot", "text": registry.answer("ask_pain")}]}
    assert reply.headers["Access-Control-Allow-Origin"] == ALLOWED
    history = post(assistant, "history", {"session": session}).json()["messages"]
    assert history == [{"from": "visitor", "text": "does it hurt?"}, {"from": "bot", "text": registry.answer("ask_pain")}]


def test_a_visitor_cannot_read_or_write_another_conversation(assistant):
    mine, theirs = new_session(assistant), new_session(assistant)
    post(assistant, "message", {"session": theirs, "message": "how much does it cost?"})
    sender, mac = theirs.rsplit(".", 1)
    for forged in (f"{sender}.{mine.rsplit('.', 1)[1]}", sender, f"{sender}.", mine.rsplit(".", 1)[0] + "x." + mac):
        assert post(assistant, "message", {"session": forged, "message": "hi"}).status_code == 401
        reply = post(assistant, "history", {"session": forged})
        assert reply.status_code == 401 and reply.json()["error"] == "invalid_session"
    # The conversation I do own has none of theirs.
    assert post(assistant, "history", {"session": mine}).json()["messages"] == []


def test_a_button_payload_triggers_its_intent_but_typed_commands_do_not(assistant):
    from actions import answers, registry

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
    assert "Access-Control-Allow-Origin" not in reply.headers
    preflight = requests.options(
        f"{assistant.url}/webhooks/widget/message",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}, timeout=10,
    )
    # Rasa's app-wide CORS extension answers preflights itself; what refuses a foreign
    # origin is the absence of Access-Control-Allow-Origin, which makes the browser block it.
    assert "Access-Control-Allow-Origin" not in preflight.headers
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
