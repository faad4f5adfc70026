"""serving/actions.py: the action server never echoes a request's tracker (visitor data)."""
import requests

MARKER = "visitor-secret-4242@example.com"


def call(assistant, body, **kwargs):
    return requests.post(f"{assistant.actions_url}/webhook", timeout=10, **kwargs, json=body)


def tracker_with_visitor_data(**overrides):
    tracker = {"sender_id": "visitor-1", "slots": {"email": MARKER}, "latest_message": {"text": MARKER},
               "events": [{"event": "user", "text": MARKER}], "active_loop": {}, "paused": False}
    return {**tracker, **overrides}


def test_a_broken_tracker_gets_an_error_without_the_tracker(assistant):
    # rasa_sdk's own handler answers this with {"error": ..., "request_body": <the whole request>}.
    reply = call(assistant, {"next_action": "action_answer_faq", "version": "3.6.21",
                             "tracker": tracker_with_visitor_data(latest_message=[MARKER]), "domain": {}})
    assert reply.status_code == 500
    assert reply.json() == {"error": "The action server could not run this action."}
    assert MARKER not in reply.text


def test_an_unknown_action_is_a_404_without_the_tracker(assistant):
    reply = call(assistant, {"next_action": "action_nope", "version": "3.6.21",
                             "tracker": tracker_with_visitor_data(), "domain": {}})
    assert reply.status_code == 404 and "action_nope" in reply.json()["error"]
    assert MARKER not in reply.text


def test_malformed_requests_get_json_errors(assistant):
    for raw in (b"", b"{", MARKER.encode(), b"[1, 2]"):
        reply = requests.post(f"{assistant.actions_url}/webhook", data=raw, timeout=10,
                              headers={"Content-Type": "application/json"})
        assert 400 <= reply.status_code < 600 and "error" in reply.json(), raw
        assert MARKER not in reply.text


def test_failures_are_logged_without_visitor_data(assistant):
    call(assistant, {"next_action": "action_answer_faq", "tracker": tracker_with_visitor_data(latest_message=[MARKER])})
    log = (assistant.log_dir / "actions.log").read_text()
    assert "Action 'action_answer_faq' failed" in log
    assert MARKER not in log


def test_no_cross_origin_access(assistant):
    reply = requests.get(f"{assistant.actions_url}/health", headers={"Origin": "https://evil.example"}, timeout=10)
    assert reply.ok and "Access-Control-Allow-Origin" not in reply.headers
