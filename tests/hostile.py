"""Hostile and broken requests on the public channels (channels/guard.py, rest.py, widget.py):
the cases in tests/data/hostile_inputs.yml, how to send them, and what is wrong with a reply.
Used by tests/test_hostile_input.py (the test assistant) and tests/test_scale_out.py (a replica).
"""
import base64
import hashlib
import hmac
import json
import time

import rasa
import requests
import yaml

from actions import answers
from paths import ROOT

CASES = yaml.safe_load((ROOT / "tests" / "data" / "hostile_inputs.yml").read_text(encoding="utf-8"))
MARKUP = ("<script", "<img", "onerror")
PATHS = {"rest": "/webhooks/rest/webhook", "widget": "/webhooks/widget/message", "history": "/webhooks/widget/history"}
# What no reply may contain: it would tell an attacker how the server is built.
LEAKS = ("Traceback", "sqlalchemy", "psycopg2", "OperationalError", "Hello from Rasa", f"Rasa {rasa.__version__}",
         str(ROOT), "site-packages")


def server_key() -> bytes:
    """The assistant's signing key, read as the server reads it (WIDGET_SECRET, or the key file)."""
    from channels.sessions import load_key

    return load_key(str(ROOT / "var" / "widget-secret"))


def signed_token(spec: dict, key: bytes) -> str:
    """A token signed with the server's key that the server never issued (see the YAML)."""
    now = time.time()
    issued = int(now - spec.get("issued_hours_ago", 0) * 3600)
    seen = int(now - spec.get("seen_minutes_ago", 0) * 60) if "seen_minutes_ago" in spec else issued
    sender = spec.get("sender", "widget-" + "a" * 24)
    if spec.get("format") == "old":  # widget-<id>.<mac>, without times
        body = sender
    else:
        body = f"{sender}.{base36(issued)}.{base36(seen)}"
    return f"{body}.{hmac.new(key, body.encode('utf-8', 'surrogatepass'), hashlib.sha256).hexdigest()[:32]}"


def base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while number:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
    return text or "0"


def request_for(case: dict, session: str = "", key: bytes | None = None) -> dict:
    """The method, path, body and headers a case describes."""
    headers = {"Content-Type": case.get("content_type", "application/json"), **case.get("headers", {})}
    if "base64" in case:
        data = base64.b64decode(case["base64"])
    elif "raw_size" in case:
        data = b"x" * case["raw_size"]
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
        if "signed_session" in case:
            value["session"] = signed_token(case["signed_session"], key or server_key())
        data = json.dumps(value).encode()
    return {"method": case.get("method", "POST"), "path": case.get("path", PATHS[case["channel"]]), "data": data,
            "headers": headers}


def all_cases() -> list[dict]:
    return [{**case, "channel": channel} for channel in ("rest", "widget", "history") for case in CASES[channel]]


def try_case(url: str, case: dict, session: str, key: bytes | None = None) -> requests.Response:
    spec = request_for(case, session, key)
    return requests.request(spec["method"], url + spec["path"], data=spec["data"], headers=spec["headers"],
                            timeout=30)


def problems_with(reply: requests.Response, case: dict) -> list[str]:
    """What is wrong with the reply to a case (nothing: an empty list)."""
    leaked = [marker for marker in LEAKS if marker in reply.text or marker in str(reply.headers)]
    if leaked:
        return [f"{reply.status_code} leaks {leaked}: {reply.text[:200]!r}"]
    try:
        body = reply.json()
    except ValueError:
        return [f"{reply.status_code}, not JSON: {reply.text[:200]!r}"]
    if case["expect"] == "refused":
        if not 400 <= reply.status_code < 500:
            return [f"expected a 4xx error, got {reply.status_code}: {reply.text[:200]!r}"]
        if case.get("status", reply.status_code) != reply.status_code:
            return [f"expected {case['status']}, got {reply.status_code}: {reply.text[:200]!r}"]
        # Rasa's own Sanic errors (unknown route, method) use "description"; ours "error".
        if not isinstance(body, dict) or not ({"error", "description"} & set(body)):
            return [f"error without a JSON explanation: {body!r}"]
        return []
    if reply.status_code != 200:
        return [f"expected an answer, got {reply.status_code}: {reply.text[:200]!r}"]
    if case["expect"] == "replayed":
        return [] if isinstance(body.get("messages"), list) else [f"no history: {body!r}"]
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


def try_all(url: str, key: bytes | None = None) -> dict:
    """Sends every case; returns the figures and the problems found. ``key``: the
    server's widget signing key (default: as the test assistant reads it)."""
    session = new_widget_session(url)
    problems, statuses = [], {}
    for case in all_cases():
        reply = try_case(url, case, session, key)
        statuses[reply.status_code] = statuses.get(reply.status_code, 0) + 1
        problems += [f"{case['channel']} / {case['name']}: {p}" for p in problems_with(reply, case)]
    return {"cases": len(all_cases()), "statuses": statuses, "problems": problems}


def still_answers(url: str) -> bool:
    reply = requests.post(f"{url}/webhooks/rest/webhook", timeout=30,
                          json={"sender": "after-hostile", "message": "how much does it cost?"})
    return reply.status_code == 200 and reply.json()[0]["text"] == answers.cost()
