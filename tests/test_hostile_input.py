"""Hostile and broken requests on the public channels (channels/guard.py, rest.py, widget.py).

The cases are in tests/data/hostile_inputs.yml (sent and judged by tests/hostile.py). Every
one must get a 4xx JSON error or a normal reply: never a 5xx, never a crash, nothing leaked
(no traceback, database error, version or server path in any reply), and the bot keeps
answering. The same functions run against the scale-out replicas (tests/test_scale_out.py).
"""
import socket
from urllib.parse import urlsplit

import pytest
import requests

from hostile import all_cases, new_widget_session, problems_with, still_answers, try_all, try_case


@pytest.mark.parametrize("case", all_cases(), ids=lambda c: f"{c['channel']}: {c['name']}")
def test_hostile_request_gets_a_clear_error_or_a_safe_reply(assistant, widget_session, case):
    reply = try_case(assistant.url, case, widget_session)
    assert problems_with(reply, case) == []
    assert reply.status_code < 500


@pytest.fixture(scope="module")
def widget_session(assistant):
    return new_widget_session(assistant.url)


def test_an_oversized_body_is_refused_before_it_is_sent(assistant):
    """Sanic answers 413 from the Content-Length alone: it does not wait for (or read)
    100 MB. Before, it read up to 100 MB into memory, then the channel refused it."""
    host, port = urlsplit(assistant.url).hostname, urlsplit(assistant.url).port
    with socket.create_connection((host, port), timeout=20) as connection:
        connection.sendall(b"POST /webhooks/widget/message HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           b"Content-Length: 104857600\r\n\r\n{")  # and not one byte more
        answer = connection.recv(4096).decode("latin-1")  # times out (fails) if the server waits for the body
    assert answer.startswith("HTTP/1.1 413"), answer[:200]


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
