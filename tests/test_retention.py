"""Personal data for the shortest time: the service's own scheduled purge, FAQ chats'
retention, and a declined request's details deleted at once.

Real stores throughout: Rasa's own SQLTrackerStore writes the conversations (with old
timestamps where a test needs old ones), the action server runs the purge as it does in
production, and a running assistant answers the declined request over HTTP.
"""
import asyncio
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa
import yaml

import stores
from conversation_rows import senders
from leads import schedule
from leads.conversations import ConversationStore
from leads.settings import load
from leads.store import RequestStore, utc_now
from paths import ROOT
from servers import actions_server, free_port, stop, wait_until_ready

CONSULTATION = yaml.safe_load((ROOT / "tests" / "data" / "consultation.yml").read_text(encoding="utf-8"))
DAY = 24 * 3600


def rasa_store(url: str):
    """Rasa's own SQL tracker store, as the Rasa server creates it from endpoints.yml."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return SQLTrackerStore(Domain.empty(), dialect=parsed.get_backend_name(), host=parsed.host, port=parsed.port,
                           db=parsed.database, username=parsed.username, password=parsed.password)


def save_chat(url: str, sender: str, days_ago: float, question: str = "can i have it if im pregnant?") -> None:
    """An FAQ chat whose every event happened ``days_ago``."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    when = time.time() - days_ago * DAY
    events = [ActionExecuted("action_listen", timestamp=when),
              UserUttered(question, {"name": "ask_not_covered", "confidence": 0.9}, timestamp=when),
              BotUttered("I can't answer that from the clinic's information.", timestamp=when + 1),
              ActionExecuted("action_listen", timestamp=when + 1)]
    asyncio.run(rasa_store(url).save(DialogueStateTracker.from_events(sender, events)))


def write_settings(path, **settings):
    path.write_text(yaml.safe_dump({"retention_days": 30, "notification": {"via": "off"}, **settings}))
    return path


@pytest.mark.server
def test_a_31_day_old_faq_chat_is_gone(tmp_path):
    """The service purges by itself: start the action server as `make run` does and watch
    the tracker store. No cron, no `make leads`."""
    tracker_url = f"sqlite:///{tmp_path / 'conversations.db'}"
    save_chat(tracker_url, "chat-31-days-old", days_ago=31)
    save_chat(tracker_url, "chat-29-days-old", days_ago=29)
    save_chat(tracker_url, "chat-today", days_ago=0)
    assert senders(tracker_url) == ["chat-29-days-old", "chat-31-days-old", "chat-today"]

    port, log = free_port(), tmp_path / "actions.log"
    env = {**os.environ, "TRACKER_STORE_URL": tracker_url, "LEADS_DB_URL": f"sqlite:///{tmp_path / 'leads.db'}",
           "LEADS_SETTINGS": str(write_settings(tmp_path / "leads.yml", chat_retention_days=30)),
           "LOG_LEVEL": "INFO"}
    server = actions_server(port, env, log)
    try:
        wait_until_ready([f"http://127.0.0.1:{port}/health"], [server], [log])
        deadline = time.time() + 60
        while time.time() < deadline and "chat-31-days-old" in senders(tracker_url):
            time.sleep(0.5)
        assert senders(tracker_url) == ["chat-29-days-old", "chat-today"]
        ran = schedule.last_run(RequestStore(env["LEADS_DB_URL"]))
        assert ran and ran[1] == "0 request(s), 1 conversation(s)"
        assert "Retention purge: deleted 0 request(s), 1 conversation(s)" in log.read_text()
    finally:
        stop([server])


def test_faq_chats_have_their_own_retention_period(tmp_path, monkeypatch):
    tracker_url = f"sqlite:///{tmp_path / 'conversations.db'}"
    for sender, days in (("chat-8-days-old", 8), ("chat-6-days-old", 6)):
        save_chat(tracker_url, sender, days_ago=days)
    monkeypatch.setenv("TRACKER_STORE_URL", tracker_url)
    settings = load(write_settings(tmp_path / "leads.yml", chat_retention_days=7),
                    environ={"LEADS_DB_URL": f"sqlite:///{tmp_path / 'leads.db'}"})
    purged = schedule.purge_if_due(settings)
    assert purged.conversations == 1 and senders(tracker_url) == ["chat-6-days-old"]
    assert schedule.purge_if_due(settings) is None  # once per period


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def leads_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'leads.db'}"
        return
    if stores.postgres_bindir() is None:
        reason = "PostgreSQL is not installed here (initdb not found)"
        if os.environ.get("CI"):
            pytest.fail(reason + " (.ci/run installs it)")
        pytest.skip(reason)
    server = stores.Postgres(free_port())
    try:
        server.start()
        yield server.url
    finally:
        server.destroy()


def test_the_purge_runs_once_per_period_whichever_replica_runs_it(leads_url):
    """Every action server replica runs the schedule; the lease lets one purge per period."""
    now = utc_now()
    every = timedelta(minutes=60)
    replicas = [RequestStore(leads_url) for _ in range(6)]
    barrier = threading.Barrier(len(replicas))

    def try_lease(store):
        barrier.wait()
        return schedule.take_lease(store, every, now)

    with ThreadPoolExecutor(len(replicas)) as pool:
        assert sorted(pool.map(try_lease, replicas)) == [False] * 5 + [True]
    assert not schedule.take_lease(replicas[0], every, now + timedelta(minutes=59))
    assert schedule.take_lease(replicas[1], every, now + timedelta(minutes=61))


# --- A declined request's details go at once ------------------------------------------

def form_events(when: float):
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered

    def user(text, intent):
        return UserUttered(text, {"name": intent, "confidence": 0.9}, timestamp=when)

    return [
        user("can i have it if im pregnant?", "ask_not_covered"),
        BotUttered("I can't answer that.", timestamp=when),
        user("yes please", "affirm"), ActionExecuted("consultation_form", timestamp=when),
        ActiveLoop("consultation_form", timestamp=when), SlotSet("requested_slot", "visitor_name", timestamp=when),
        user("my name is Sinead Kelly", "inform"), SlotSet("visitor_name", "Sinead Kelly", timestamp=when),
        SlotSet("requested_slot", "visitor_contact", timestamp=when),
        user("sinead.kelly@example.com", "inform"),
        SlotSet("visitor_contact", "sinead.kelly@example.com", timestamp=when),
        SlotSet("requested_slot", "preferred_time", timestamp=when),
        user("Tuesdays at noon", "nlu_fallback"), SlotSet("preferred_time", "Tuesdays at noon", timestamp=when),
        SlotSet("requested_slot", "storage_consent", timestamp=when), user("no", "deny"),
        ActiveLoop(None, timestamp=when), ActionExecuted("action_submit_consultation_request", timestamp=when),
        BotUttered("No problem. Nothing is passed on.", metadata={"utter_action": "utter_request_not_stored"},
                   timestamp=when),
    ]


def test_scrubbing_a_conversation_deletes_its_details_and_rasa_still_reads_it(tmp_path):
    from rasa.shared.core.trackers import DialogueStateTracker

    url = f"sqlite:///{tmp_path / 'conversations.db'}"
    store = rasa_store(url)
    asyncio.run(store.save(DialogueStateTracker.from_events("declined", form_events(time.time()))))
    count_before = len(asyncio.run(store.retrieve_full_tracker("declined")).events)

    assert ConversationStore(url).scrub_details("declined") == 6  # 3 messages, 3 slots
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        stored = " ".join(row[0] for row in connection.execute(sa.text("SELECT data FROM events")))
    engine.dispose()
    for detail in ("Sinead", "Kelly", "sinead.kelly@example.com", "Tuesdays at noon"):
        assert detail not in stored
    assert "can i have it if im pregnant?" in stored  # the question stays for the chat's retention period
    tracker = asyncio.run(store.retrieve_full_tracker("declined"))
    assert len(tracker.events) == count_before and tracker.get_slot("visitor_name") is None


def test_a_declined_consent_deletes_the_details_at_once(assistant):
    """Through the running assistant: the visitor declines; their details are gone from the
    conversation store before they read the answer, and they can carry on chatting."""
    sender = assistant.new_sender()
    for turn in CONSULTATION["no_consent"]["turns"]:
        assistant.say(turn["say"], sender)
    engine = sa.create_engine(f"sqlite:///{assistant.tracker_db}")
    query = sa.text("SELECT data FROM events WHERE sender_id = :sender")
    with engine.connect() as connection:
        stored = [json.loads(row[0]) for row in connection.execute(query, {"sender": sender})]
    engine.dispose()
    everything = json.dumps(stored, ensure_ascii=False)
    for detail in ("Sinead", "Kelly", "sinead.kelly@example.com"):
        assert detail not in everything
    assert "can i have it if im pregnant?" in [e.get("text") for e in stored]
    assert assistant.say("how much does it cost?", sender)[0]["text"].startswith("One treatment costs")
