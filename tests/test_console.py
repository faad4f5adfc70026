"""The staff console's server on its own (no assistant needed): accounts and the
`staff-account` command, cookies, sign-in and sign-out, CSRF, idle expiry, the
append-only audit log, the questions' analysis and the review export. The whole
console in a browser, with a real assistant, is in test_console_browser.py."""
import json
import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa
import yaml

import stores
from console import accounts, audit, findings, review_export, sessions
from console.database import open_database, utc_now
from console_server import PASSWORD, console_env, csrf_token, signed_in_session, staff_account, start_console
from paths import ROOT
from servers import free_port

STAFF = "reception@clinic.example"


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("console")
    with start_console(tmp) as (url, env, log):
        assert staff_account(env, STAFF).returncode == 0
        yield url, env, log


# --- accounts and the command that makes them ------------------------------------------

def test_staff_account_creates_resets_and_removes(tmp_path):
    env = console_env(tmp_path)
    created = staff_account(env, " Anna@Clinic.example ")
    assert created.returncode == 0 and "Created the staff account anna@clinic.example" in created.stdout
    engine = open_database(env["CONSOLE_DB_URL"])
    with engine.connect() as connection:
        [stored] = connection.execute(sa.select(accounts.accounts_table.c.password_hash)).scalars()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored  # a memory-hard hash, never the password
    assert accounts.verify(engine, "anna@clinic.example", PASSWORD)
    assert not accounts.verify(engine, "anna@clinic.example", PASSWORD + "x")

    reset = staff_account(env, "anna@clinic.example", "another long password")
    assert reset.returncode == 0 and "Reset the password of anna@clinic.example" in reset.stdout
    assert accounts.verify(engine, "anna@clinic.example", "another long password")

    removed = staff_account(env, "anna@clinic.example", PASSWORD, "--remove")
    assert removed.returncode == 0 and not accounts.verify(engine, "anna@clinic.example", "another long password")
    actions = [(e.action, e.target) for e in audit.newest(engine)]
    assert actions == [("removed account", "anna@clinic.example"), ("reset password", "anna@clinic.example"),
                       ("created account", "anna@clinic.example")]


def test_staff_account_errors_are_clear(tmp_path):
    env = console_env(tmp_path)
    short = staff_account(env, "bob@clinic.example", "short")
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    bad = staff_account(env, "not-an-email")
    assert bad.returncode == 2 and "not an email address" in bad.stderr
    no_terminal = subprocess.run([sys.executable, "-m", "console", "staff-account", "bob@clinic.example"], cwd=ROOT,
                                 env={k: v for k, v in env.items() if k != "STAFF_PASSWORD"}, stdin=subprocess.DEVNULL,
                                 capture_output=True, text=True, timeout=60)
    assert no_terminal.returncode == 2 and "set STAFF_PASSWORD" in no_terminal.stderr
    unknown = staff_account(env, "nobody@clinic.example", PASSWORD, "--remove")
    assert unknown.returncode == 1 and "there is no staff account nobody@clinic.example" in unknown.stderr
    make = subprocess.run(["make", "-s", "staff-account"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert make.returncode != 0 and "usage: make staff-account EMAIL=name@clinic" in make.stderr


def test_a_wrong_setting_stops_the_console_with_a_clear_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "console", "serve"], cwd=ROOT, capture_output=True, text=True,
                            env=console_env(tmp_path, CONSOLE_PORT="web"), timeout=60)
    assert result.returncode == 2 and "CONSOLE_PORT must be a whole number from 1 to 65535" in result.stderr


def test_a_placeholder_database_password_stops_the_console(tmp_path):
    """As the assistant's servers do (channels/secret_strength.py): deploy/example.env copied unchanged."""
    url = "postgresql://clinic_console:change-me@127.0.0.1:1/console"
    result = subprocess.run([sys.executable, "-m", "console", "serve"], cwd=ROOT, capture_output=True, text=True,
                            env=console_env(tmp_path, CONSOLE_DB_URL=url), timeout=60)
    assert result.returncode == 2 and "refusing to start with weak secrets" in result.stderr
    assert "the password in CONSOLE_DB_URL is a placeholder" in result.stderr and "change-me@" not in result.stderr


# --- sessions, cookies, CSRF ------------------------------------------------------------

@pytest.mark.server
def test_pages_need_a_signed_in_session_and_cookies_are_strict(console):
    url, _, _ = console
    anonymous = requests.get(f"{url}/requests/12", allow_redirects=False)
    assert anonymous.status_code == 302 and anonymous.headers["Location"] == "/sign-in?next=%2Frequests%2F12"
    assert requests.get(f"{url}/healthz").json() == {"status": "ok"}

    client = requests.Session()
    form = client.get(f"{url}/sign-in")
    reply = client.post(f"{url}/sign-in", allow_redirects=False, data={
        "csrf_token": csrf_token(form.text), "email": STAFF, "password": PASSWORD, "next": "//evil.example/"})
    assert reply.status_code == 302 and reply.headers["Location"] == "/requests"  # never to another site
    cookie = reply.headers["Set-Cookie"]
    assert "console_session=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # plain http here; see the https test below
    page = client.get(f"{url}/requests")
    assert page.ok and "Consultation requests" in page.text
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"

    # Signing out ends the session on the server: the old cookie no longer works.
    old_cookie = client.cookies.get("console_session")
    out = client.post(f"{url}/sign-out", data={"csrf_token": csrf_token(page.text)}, allow_redirects=False)
    assert out.status_code == 302
    again = requests.get(f"{url}/requests", cookies={"console_session": old_cookie}, allow_redirects=False)
    assert again.status_code == 302 and again.headers["Location"].startswith("/sign-in")


@pytest.mark.server
def test_cookies_are_secure_when_the_console_is_served_over_https(tmp_path):
    with start_console(tmp_path, CONSOLE_URL="https://console.example-clinic.com") as (url, env, _):
        form = requests.get(f"{url}/sign-in")
        assert "Secure" in form.headers["Set-Cookie"] and "SameSite=Strict" in form.headers["Set-Cookie"]


@pytest.mark.server
def test_changes_without_the_csrf_token_or_from_another_site_are_refused(console):
    url, env, _ = console
    client = signed_in_session(url, STAFF)
    page = client.get(f"{url}/requests").text
    no_token = client.post(f"{url}/sign-out", data={})
    assert no_token.status_code == 403 and "This form has expired" in no_token.text
    wrong_token = client.post(f"{url}/sign-out", data={"csrf_token": "guessed"})
    assert wrong_token.status_code == 403
    foreign = client.post(f"{url}/sign-out", data={"csrf_token": csrf_token(page)},
                          headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    # Still signed in: none of the refused forms did anything.
    assert client.get(f"{url}/requests", allow_redirects=False).status_code == 200
    # The sign-in form has its own token (no session yet).
    bare = requests.post(f"{url}/sign-in", data={"email": STAFF, "password": PASSWORD}, allow_redirects=False)
    assert bare.status_code == 403


def test_sessions_expire_when_idle(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'console.db'}")
    token = sessions.start(engine, STAFF)
    now = utc_now()
    assert sessions.current(engine, token, idle_minutes=30, now=now + timedelta(minutes=29)).email == STAFF
    assert sessions.current(engine, token, idle_minutes=30, now=now + timedelta(minutes=58)) is not None  # was touched
    assert sessions.current(engine, token, idle_minutes=30, now=now + timedelta(minutes=89)) is None
    assert sessions.current(engine, token, idle_minutes=30, now=now + timedelta(minutes=90)) is None  # deleted


def test_a_password_reset_signs_out_everywhere_and_lifts_the_lock(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'console.db'}")
    accounts.set_password(engine, STAFF, PASSWORD)
    token = sessions.start(engine, STAFF)

    class Limits:
        slow_after, lock_after, lock_minutes = 3, 5, 15

    attempts = [accounts.record_failure(engine, STAFF, "10.0.0.1", Limits) for _ in range(5)]
    assert [a.delay_seconds for a in attempts[:4]] == [0, 0, 1, 2] and attempts[4].locked_until
    assert accounts.locked_until(engine, STAFF, "10.0.0.2") is not None  # locked for the account, from anywhere
    accounts.set_password(engine, STAFF, "a brand new password")
    assert sessions.current(engine, token, idle_minutes=30) is None
    assert accounts.locked_until(engine, STAFF, "10.0.0.2") is None


# --- the audit log ----------------------------------------------------------------------

@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def console_db_url(request, tmp_path):
    """The console's database: SQLite (the default), and PostgreSQL (a deployment's)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'console.db'}"
        return
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


def test_the_audit_log_is_append_only_in_the_database(console_db_url):
    engine = open_database(console_db_url)
    open_database(console_db_url)  # a restart: the tables and the guard are there already
    audit.record(engine, STAFF, "viewed", "request #1")
    for statement in ("UPDATE audit_log SET staff = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with engine.begin() as connection:
                connection.execute(sa.text(statement))
    assert [(e.staff, e.action, e.target) for e in audit.newest(engine)] == [(STAFF, "viewed", "request #1")]


# --- what the assistant may have answered wrongly ---------------------------------------

def tracker_store(path, conversations):
    """Rasa's events table, with user and bot events stored the way Rasa stores them."""
    engine = sa.create_engine(f"sqlite:///{path}")
    events = sa.Table("events", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                      sa.Column("sender_id", sa.String(255)), sa.Column("type_name", sa.String(255)),
                      sa.Column("timestamp", sa.Float), sa.Column("intent_name", sa.String(255)),
                      sa.Column("action_name", sa.String(255)), sa.Column("data", sa.Text))
    events.metadata.create_all(engine)
    now = time.time() - 3600
    with engine.begin() as connection:
        for sender, turns in conversations.items():
            for i, (text, ranking) in enumerate(turns):
                parse = {"intent": {"name": ranking[0][0], "confidence": ranking[0][1]},
                         "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking]}
                connection.execute(events.insert().values(
                    sender_id=sender, type_name="user", timestamp=now + 10 * i, intent_name=ranking[0][0],
                    data=json.dumps({"event": "user", "text": text, "parse_data": parse})))
                connection.execute(events.insert().values(
                    sender_id=sender, type_name="bot", timestamp=now + 10 * i + 1,
                    data=json.dumps({"event": "bot", "text": f"answer {i}"})))
    return engine


def test_possibly_wrong_answers_low_margin_complaint_and_rephrase(tmp_path):
    sure = lambda intent: [(intent, 0.9), ("ask_cost", 0.05)]  # noqa: E731
    engine = tracker_store(tmp_path / "conversations.db", {
        "a": [("how long does it take", [("ask_session_duration", 0.41), ("ask_results_time", 0.36)])],
        "b": [("does it hurt", sure("ask_pain")), ("that's not what I asked", sure("nlu_fallback"))],
        "c": [("how long until i see results", sure("ask_downtime")),
              ("how long until i see the results?", sure("ask_results_time"))],
        "d": [("how much does it cost", sure("ask_cost")), ("how much for 3", sure("ask_cost")),
              ("hello", [("greet", 0.5), ("goodbye", 0.45)])],
    })
    found = findings.find(engine)
    wrong = {f.question: (f.reason, f.answered_as) for f in found if f.kind == "possibly wrong"}
    assert wrong == {
        "how long does it take": ("low margin: ask_session_duration 0.41 vs ask_results_time 0.36",
                                  "ask_session_duration"),
        "does it hurt": ("followed by a complaint", "ask_pain"),
        "how long until i see results": ("followed by a rephrase", "ask_downtime"),
    }  # a follow-up on the same topic, and a greeting, are not suspicious
    unanswered = [(f.question, f.reason, f.count) for f in found if f.kind == "unanswered"]
    assert unanswered == [("that's not what I asked", "not understood", 1)]
    [complaint] = [f for f in found if f.kind == "unanswered"]
    assert [(o.sender, o.text) for o in complaint.occurrences] == [("b", "that's not what I asked")]


def test_the_review_export_never_writes_into_data(tmp_path):
    env = console_env(tmp_path)
    into_data = subprocess.run([sys.executable, "-m", "console", "review-export", "--out", "data/nlu/review.yml"],
                               cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert into_data.returncode == 2 and "inside data/" in into_data.stderr
    assert not (ROOT / "data" / "nlu" / "review.yml").exists()
    out = tmp_path / "review.yml"
    empty = subprocess.run([sys.executable, "-m", "console", "review-export", "--out", str(out)], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=60)
    assert empty.returncode == 0 and "Wrote 0 candidate example(s)" in empty.stdout
    assert yaml.safe_load(out.read_text())["nlu"] == []


def test_the_review_file_is_rasa_nlu_data_with_new_topics_as_comments():
    class Label:
        def __init__(self, question, label, topic=None, at=0):
            self.question, self.label, self.topic, self.labelled_at = question, label, topic, at

    text = review_export.review_file([Label("does it hurts", "should_have_been", "ask_pain", 1),
                                      Label("can i bring my dog", "new_topic", at=2),
                                      Label("lol", "ignore", at=3)])
    data = yaml.safe_load(text)
    assert data["nlu"] == [{"intent": "ask_pain", "examples": "- does it hurts\n"}]
    assert "#   - can i bring my dog" in text and "lol" not in text
