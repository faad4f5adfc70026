"""The console's Settings page over HTTP, with a real action server reading the same
leads.yml: a change saved in the console is in the action server's next reply, without a
restart. Also: CSRF, the file replaced atomically with its comments, the audit log, a
wrong value or a stale form losing nothing, secrets shown only as set. The page in a
browser (and its accessibility) is in tests/test_console_browser.py."""
import os
import re

import pytest
import requests
import yaml

from console import audit
from console.database import open_database
from console_server import csrf_token, signed_in_session, staff_account, start_console
from paths import ROOT
from servers import actions_server, free_port, stop, wait_until_ready

pytestmark = pytest.mark.server  # the console and an action server

STAFF = "manager@clinic.example"
SMTP_PASSWORD = "Sm7p-" + os.urandom(12).hex()  # must never appear in a page
FORM_FIELDS = ["retention_days", "chat_retention_days", "purge_every_minutes", "time_zone", "notification.via",
               "notification.webhook.url", "notification.smtp.host", "notification.smtp.port",
               "notification.smtp.starttls", "notification.smtp.from", "notification.smtp.to"]


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """The console and an action server sharing one leads.yml, a copy of the project's."""
    tmp = tmp_path_factory.mktemp("settings")
    settings = tmp / "config" / "leads.yml"
    settings.parent.mkdir()
    settings.write_text((ROOT / "leads.yml").read_text())
    shared = {"LEADS_SETTINGS": str(settings), "LEADS_DB_URL": f"sqlite:///{tmp / 'leads.db'}",
              "TRACKER_STORE_URL": f"sqlite:///{tmp / 'conversations.db'}"}
    port, log = free_port(), tmp / "actions.log"
    actions = actions_server(port, {**os.environ, **shared}, log)
    try:
        wait_until_ready([f"http://127.0.0.1:{port}/health"], [actions], [log])
        with start_console(tmp, **shared, LEADS_SMTP_PASSWORD=SMTP_PASSWORD,
                           ACTION_SERVER_URL=f"http://127.0.0.1:{port}/webhook") as (url, env, console_log):
            assert staff_account(env, STAFF).returncode == 0
            yield {"url": url, "env": env, "file": settings, "actions": f"http://127.0.0.1:{port}",
                   "actions_process": actions, "console_log": console_log}
    finally:
        stop([actions])


def form_of(page_html: str) -> dict:
    """The settings form as the browser would send it, from the page."""
    form = {"csrf_token": csrf_token(page_html), "version": re.search(r'name="version" value="([^"]*)"',
                                                                       page_html).group(1)}
    for name in FORM_FIELDS:
        tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page_html, re.S)
        if name == "notification.via":
            form[name] = re.search(rf'name="{re.escape(name)}" value="(\w+)" checked', page_html).group(1)
        elif 'type="checkbox"' in tag.group(0):
            if " checked" in tag.group(0):
                form[name] = "on"
        else:
            form[name] = re.search(r'value="([^"]*)"', tag.group(0)).group(1)
    return form


def consent_question_days(clinic) -> int:
    """What the action server says now when the form asks for consent: the days it fills in."""
    call = {"next_action": "action_ask_storage_consent", "sender_id": "settings-test", "version": "3.6.2",
            "domain": {}, "tracker": {"sender_id": "settings-test", "slots": {}, "latest_message": {},
                                      "events": [], "paused": False, "active_loop": {}}}
    reply = requests.post(f"{clinic['actions']}/webhook", json=call, timeout=30)
    assert reply.status_code == 200, reply.text
    [asked] = [r for r in reply.json()["responses"] if r.get("response") == "utter_ask_storage_consent"]
    return asked["retention_days"]


@pytest.fixture
def staff(clinic):
    return signed_in_session(clinic["url"], STAFF)


def test_a_change_saved_in_the_console_is_in_the_action_servers_next_reply(clinic, staff):
    assert consent_question_days(clinic) == 30
    page = staff.get(clinic["url"] + "/settings")
    assert page.status_code == 200
    form = {**form_of(page.text), "retention_days": "14"}
    saved = staff.post(clinic["url"] + "/settings", data=form)
    assert saved.status_code == 200 and saved.url.endswith("/settings?saved=1")
    assert "Settings saved." in saved.text
    assert yaml.safe_load(clinic["file"].read_text())["retention_days"] == 14
    assert consent_question_days(clinic) == 14  # the next reply, from the same process
    assert clinic["actions_process"].poll() is None


def test_the_file_is_replaced_whole_with_its_comments_and_the_change_is_audited(clinic, staff):
    before = clinic["file"].read_text()
    held = clinic["file"].open()  # a reader in the middle of reading the old file
    old_inode = os.fstat(held.fileno()).st_ino
    form = {**form_of(staff.get(clinic["url"] + "/settings").text), "time_zone": "Europe/Vienna",
            "notification.via": "webhook", "notification.webhook.url": "https://hooks.example.com/services/T0/SECRET"}
    assert staff.post(clinic["url"] + "/settings", data=form).url.endswith("?saved=1")
    assert yaml.safe_load(held.read()) == yaml.safe_load(before)  # the old file, whole: replaced, not rewritten
    held.close()
    after = clinic["file"].read_text()
    assert clinic["file"].stat().st_ino != old_inode
    def comments(text):
        return [line for line in text.splitlines() if line.lstrip().startswith("#")]

    assert comments(after) == comments(before) and len(comments(before)) > 20
    assert sorted(p.name for p in clinic["file"].parent.iterdir()) == ["leads.yml"]  # no temporary file left
    data = yaml.safe_load(after)
    assert (data["time_zone"], data["notification"]["via"]) == ("Europe/Vienna", "webhook")

    entries = audit.newest(open_database(clinic["env"]["CONSOLE_DB_URL"]))
    changed = {(e.target, e.detail) for e in entries if e.action == "changed setting" and e.staff == STAFF}
    assert {("retention_days", "30 -> 14"), ("time_zone", "UTC -> Europe/Vienna"),
            ("notification.via", "off -> webhook"),
            ("notification.webhook.url", "(empty) -> https://hooks.example.com/…")} <= changed
    assert not any("SECRET" in e.detail for e in entries)  # a hook's path is its secret: not kept in the log


def test_a_post_without_the_csrf_token_or_from_another_site_is_refused(clinic, staff):
    before = clinic["file"].read_bytes()
    form = {**form_of(staff.get(clinic["url"] + "/settings").text), "retention_days": "3"}
    without_token = staff.post(clinic["url"] + "/settings", data={k: v for k, v in form.items() if k != "csrf_token"})
    assert without_token.status_code == 403 and "This form has expired" in without_token.text
    wrong_token = staff.post(clinic["url"] + "/settings", data={**form, "csrf_token": "forged"})
    assert wrong_token.status_code == 403
    other_site = staff.post(clinic["url"] + "/settings", data=form, headers={"Origin": "https://evil.example"})
    assert other_site.status_code == 403
    signed_out = requests.post(clinic["url"] + "/settings", data=form, timeout=10)
    assert signed_out.status_code in (401, 403)
    assert clinic["file"].read_bytes() == before


def test_a_wrong_value_is_explained_and_the_file_stays_as_it_was(clinic, staff):
    before, inode = clinic["file"].read_bytes(), clinic["file"].stat().st_ino
    form = form_of(staff.get(clinic["url"] + "/settings").text)
    for field, value, message in [
        ("purge_every_minutes", "hourly", "purge_every_minutes must be a whole number of minutes, 1 or more "
                                          "(found &#39;hourly&#39;)"),
        ("notification.webhook.url", "http://hooks.example.com/x", "notification.webhook.url must use https"),
        ("time_zone", "Europe/Atlantis", "time_zone must be a time zone name such as Europe/Berlin or UTC"),
    ]:
        refused = staff.post(clinic["url"] + "/settings", data={**form, field: value})
        assert refused.status_code == 400 and "Nothing was saved." in refused.text
        assert message in refused.text
        assert f'value="{value}"' in refused.text  # what was typed stays in the form, to correct
        assert clinic["file"].read_bytes() == before and clinic["file"].stat().st_ino == inode
    assert consent_question_days(clinic) == 14


def test_a_form_opened_before_someone_elses_change_is_refused(clinic, staff):
    stale = form_of(staff.get(clinic["url"] + "/settings").text)
    fresh = form_of(staff.get(clinic["url"] + "/settings").text)
    assert staff.post(clinic["url"] + "/settings", data={**fresh, "chat_retention_days": "20"}).url.endswith("?saved=1")
    before = clinic["file"].read_bytes()
    refused = staff.post(clinic["url"] + "/settings", data={**stale, "purge_every_minutes": "30"})
    assert refused.status_code == 409 and "Someone changed these settings after you opened this page" in refused.text
    assert clinic["file"].read_bytes() == before
    assert 'value="20"' in refused.text  # the settings as they are now


def test_secrets_are_only_shown_as_set_or_not(clinic, staff):
    page = staff.get(clinic["url"] + "/settings").text
    assert SMTP_PASSWORD not in page
    states = dict(re.findall(r"<code>(LEADS_\w+)</code>.*?<span class=\"state \w+\">([^<]+)</span>", page, re.S))
    assert states == {"LEADS_WEBHOOK_TOKEN": "not set", "LEADS_SMTP_USER": "not set", "LEADS_SMTP_PASSWORD": "set"}
    assert SMTP_PASSWORD not in clinic["file"].read_text() and SMTP_PASSWORD not in clinic["console_log"].read_text()
