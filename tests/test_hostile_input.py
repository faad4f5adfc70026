"""Hostile and broken requests on the public channels (channels/guard.py, rest.py, widget.py).

The cases are in tests/data/hostile_inputs.yml. Every one must get a 4xx JSON error or
a normal reply: never a 5xx, never a crash, and the bot keeps answering. The same
function runs against the scale-out replicas (tests/test_scale_out.py).
"""
import base64
import json
from typing import Dict, List

import pytest
import requests
import yaml

from actions import answers
from conftest import ROOT

CASES = yaml.safe_load((ROOT / "tests" / "data" / "hostile_inputs.yml").read_text(encoding="utf-8"))
MARKUP = ("<script", "<img", "onerror")


def request_for(case: Dict, session: str = "") -> Dict:
    """The method, path, body and headers a case describes."""
    channel_path = "/webhooks/rest/webhook" if case["channel"] == "rest" else "/webhooks/widget/message"
    headers = {"Content-Type": case.get("content_type", "application/json")}
    if "base64" in case:
        data = base64.b64decode(case["base64"])
    elif "body" in case:
        data = case["body"].encode("utf-8", "surrogatepass")
    elif "body_repeat" in case:
        nested = case["body_repeat"]
        data = (nested["open"] * nested["times"] + nested["close"] * nested["times"]).encode()
    else:
        value = dict(case.get("json") or {"sender": "hostile-1"})
        if "repeat" in case:
            value["message"] = case["repeat"]["text"] * case["repeat"]["times"]
        if "sender_repeat" in case:
            value["sender"] = value["sender"] * case["sender_repeat"]
        if value.get("session") == "{session}":
            value["session"] = session
        data = json.dumps(value).encode()
    return {"method": case.get("method", "POST"), "path": case.get("path", channel_path), "data": data,
            "headers": headers}


def all_cases() -> List[Dict]:
    return [{**case, "channel": channel} for channel in ("rest", "widget") for case in CASES[channel]]


def try_case(url: str, case: Dict, session: str) -> requests.Response:
    spec = request_for(case, session)
    return requests.request(spec["method"], url + spec["path"], data=spec["data"], headers=spec["headers"],
                            timeout=30)


def problems_with(reply: requests.Response, case: Dict) -> List[str]:
    """What is wrong with the reply to a case (nothing: an empty list)."""
    try:
        body = reply.json()
    except ValueError:
        return [f"{reply.status_code}, not JSON: {reply.text[:200]!r}"]
    if case["expect"] == "refused":
        if not 400 <= reply.status_code < 500:
            return [f"expected a 4xx error, got {reply.status_code}: {reply.text[:200]!r}"]
        # Rasa's own Sanic errors (unknown route, method) use "description"; ours "error".
        if not isinstance(body, dict) or not ({"error", "description"} & set(body)):
            return [f"error without a JSON explanation: {body!r}"]
        return []
    if reply.status_code != 200:
        return [f"expected an answer, got {reply.status_code}: {reply.text[:200]!r}"]
    messages = body if case["channel"] == "rest" else body.get("messages")
    texts = [m.get("text") or "" for m in messages or []]
    if not texts:
        return ["no reply"]
    echoed = [t for t in texts if any(m in t.lower() for m in MARKUP)]
    return [f"markup echoed: {echoed}"] if echoed else []


def new_widget_session(url: str) -> str:
    reply = requests.post(f"{url}/webhooks/widget/session", timeout=10)
    reply.raise_for_status()
    return reply.json()["session"]


def try_all(url: str) -> Dict:
    """Sends every case; returns the figures and the problems found."""
    session = new_widget_session(url)
    problems, statuses = [], {}
    for case in all_cases():
        reply = try_case(url, case, session)
        statuses[reply.status_code] = statuses.get(reply.status_code, 0) + 1
        problems += [f"{case['channel']} / {case['name']}: {p}" for p in problems_with(reply, case)]
    return {"cases": len(all_cases()), "statuses": statuses, "problems": problems}


def still_answers(url: str) -> bool:
    reply = requests.post(f"{url}/webhooks/rest/webhook", timeout=30,
                          json={"sender": "after-hostile", "message": "how much does it cost?"})
    return reply.status_code == 200 and reply.json()[0]["text"] == answers.cost()


@pytest.mark.parametrize("case", all_cases(), ids=lambda c: f"{c['channel']}: {c['name']}")
def test_hostile_request_gets_a_clear_error_or_a_safe_reply(assistant, widget_session, case):
    reply = try_case(assistant.url, case, widget_session)
    assert problems_with(reply, case) == []
    assert reply.status_code < 500


@pytest.fixture(scope="module")
def widget_session(assistant):
    return new_widget_session(assistant.url)


def test_the_servers_survive_and_keep_answering(assistant):
    figures = try_all(assistant.url)  # every case once more, back to back
    assert figures["problems"] == []
    assert all(process.poll() is None for process in assistant.processes)
    assert still_answers(assistant.url)


def test_control_characters_are_not_stored(assistant):
    import sqlite3

    requests.post(f"{assistant.url}/webhooks/rest/webhook", timeout=30,
                  json={"sender": "hostile-nul", "message": "does it\u0000 hurt\u0007?"}).raise_for_status()
    with sqlite3.connect(assistant.tracker_db) as db:
        texts = [row[0] for row in db.execute(
            "SELECT json_extract(data, '$.text') FROM events WHERE sender_id = 'hostile-nul' AND type_name = 'user'")]
    assert texts == ["does it  hurt ?"]


def test_sql_in_a_sender_id_is_just_a_conversation_id(assistant):
    sender = "'; DROP TABLE events; --"
    for question in ("how much does it cost?", "does it hurt?"):
        requests.post(f"{assistant.url}/webhooks/rest/webhook", json={"sender": sender, "message": question},
                      timeout=30).raise_for_status()
    import sqlite3

    with sqlite3.connect(assistant.tracker_db) as db:
        stored = [row[0] for row in db.execute(
            "SELECT json_extract(data, '$.text') FROM events WHERE sender_id = ? AND type_name = 'user'", (sender,))]
    assert stored[-2:] == ["how much does it cost?", "does it hurt?"]
