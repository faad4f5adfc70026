"""Who may use what: the REST channel is not public, and weak secrets stop the start.

A real assistant with REST_TOKEN set and Sanic trusting one proxy (SANIC_PROXIES_COUNT=1,
as deploy/ runs it): the proxy's X-Forwarded-For then names the caller, so requests "from
another machine" are made over loopback with that header. The servers' start-up checks
run the real `python -m serving` launchers with the secrets deploy/example.env ships.
"""
import os
import secrets
import subprocess

import pytest
import requests

from channels.secret_strength import check_environment, problem_with
from paths import BIN, ROOT
from servers import start_assistant

REST_TOKEN = secrets.token_hex(24)


@pytest.fixture(scope="module")
def guarded(model_path, tmp_path_factory):
    with start_assistant(model_path, tmp_path_factory.mktemp("rest-token"), REST_TOKEN=REST_TOKEN,
                         SANIC_PROXIES_COUNT="1") as running:
        yield running


def rest(assistant, headers=None, sender="access-check"):
    return requests.post(f"{assistant.url}/webhooks/rest/webhook", headers=headers or {}, timeout=30,
                         json={"sender": sender, "message": "how much does it cost?"})


@pytest.mark.server
def test_rest_answers_this_machine(guarded):
    reply = rest(guarded)
    assert reply.status_code == 200 and reply.json()[0]["text"].startswith("One treatment costs")


@pytest.mark.parametrize("headers", [
    {"X-Forwarded-For": "203.0.113.9"},  # a visitor, through the proxy
    {"X-Forwarded-For": "127.0.0.1"},  # claiming to be local, through the proxy
    {"X-Forwarded-For": "203.0.113.9", "Authorization": "Bearer wrong-token"},
    {"X-Forwarded-For": "203.0.113.9", "Authorization": REST_TOKEN},  # not a bearer token
    {"Forwarded": "for=198.51.100.7"},
], ids=["visitor", "spoofed loopback", "wrong token", "no Bearer", "Forwarded"])
@pytest.mark.server
def test_rest_refuses_other_machines_without_the_token(guarded, headers):
    reply = rest(guarded, headers, sender="someone-elses-conversation")
    assert reply.status_code == 403, reply.text
    assert reply.json()["error"] == "not_public" and "REST_TOKEN" in reply.json()["message"]


@pytest.mark.server
def test_rest_answers_other_machines_with_the_token(guarded):
    reply = rest(guarded, {"X-Forwarded-For": "203.0.113.9", "Authorization": f"Bearer {REST_TOKEN}"})
    assert reply.status_code == 200 and reply.json()[0]["text"].startswith("One treatment costs")


@pytest.mark.server
def test_the_widget_stays_public(guarded):
    outside = {"X-Forwarded-For": "203.0.113.9"}
    session = requests.post(f"{guarded.url}/webhooks/widget/session", headers=outside, timeout=10).json()["session"]
    reply = requests.post(f"{guarded.url}/webhooks/widget/message", headers=outside, timeout=30,
                          json={"session": session, "message": "does it hurt?"})
    assert reply.status_code == 200 and reply.json()["messages"]


# --- Weak secrets stop the start -------------------------------------------------------

def example_env():
    values = {}
    for line in (ROOT / "deploy" / "example.env").read_text().splitlines():
        if line.strip() and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            values[name.strip()] = value.strip()
    return values


def test_every_secret_in_the_example_env_file_is_refused():
    """Copied unchanged, deploy/example.env must not start: each placeholder is refused."""
    values = example_env()
    secret_names = [n for n in values if any(w in n for w in ("SECRET", "TOKEN", "PASSWORD"))]
    assert len(secret_names) >= 5, secret_names
    for name in secret_names:
        assert problem_with(values[name]), f"{name}={values[name]} would be accepted"
    problems = check_environment(values)
    for name in ("WIDGET_SECRET", "RASA_TOKEN", "REDIS_PASSWORD"):
        assert any(p.startswith(name) for p in problems), problems


@pytest.mark.parametrize("value, accepted", [
    (secrets.token_hex(32), True), (secrets.token_urlsafe(32), True),
    ("change-me", False), ("CHANGE_ME_please_0123456789abcdef", False), ("x" * 40, False),
    ("abcabcabcabcabcabcabcabc", False), ("0123456789abcdefghijklmn", False), ("Sommer2024!", False),
])
def test_secret_strength(value, accepted):
    assert (problem_with(value) is None) is accepted


def launch(*args, **env):
    base = {k: v for k, v in os.environ.items() if k not in ("WIDGET_SECRET", "RASA_TOKEN", "REST_TOKEN",
                                                            "REDIS_PASSWORD", "LEADS_WEBHOOK_TOKEN")}
    return subprocess.run([str(BIN / "python"), "-m", "serving", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**base, **env})


def test_the_rasa_server_refuses_to_start_with_placeholder_secrets():
    values = example_env()
    result = launch("run", "--model", "models/clinic-faq.tar.gz", "--auth-token", values["RASA_TOKEN"],
                    WIDGET_SECRET=values["WIDGET_SECRET"], REDIS_PASSWORD=values["REDIS_PASSWORD"])
    assert result.returncode != 0
    message = result.stderr
    assert "refusing to start with weak secrets" in message
    for name in ("WIDGET_SECRET", "--auth-token", "REDIS_PASSWORD"):
        assert name in message
    assert values["WIDGET_SECRET"] not in message  # names, never values


def test_the_action_server_refuses_a_placeholder_database_password():
    result = launch("actions", "--port", "1", LEADS_DB_URL="postgresql://leads:change-me@localhost:5432/leads")
    assert result.returncode != 0 and "the password in LEADS_DB_URL is a placeholder" in result.stderr
    assert "change-me@" not in result.stderr


def test_a_weak_rest_token_stops_the_start():
    result = launch("run", "--model", "models/clinic-faq.tar.gz", REST_TOKEN="letmein")
    assert result.returncode != 0 and "REST_TOKEN is" in result.stderr and "letmein" not in result.stderr
