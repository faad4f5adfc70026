"""The staff console in a real browser (Debian's Chromium via Playwright), against real
servers: an action server and a Rasa server (at INFO level, to check their logs), the
console, and the clinic's site on another origin with the widget's one script tag.

A visitor asks questions and sends a consultation request through the widget; staff
sign in, find it in the inbox, read it and its conversation, change its status, export
it, label an unanswered question (then `make review-export` holds it), try the widget
preview, change a setting (the assistant's next form uses it), and delete the request
with its conversation. Every page is also checked at
phone width, with axe-core (no serious or critical violations), and for requests to
other origins. The tests run in file order: later ones use what earlier ones made.
"""
import csv
import io
import os
import re
import subprocess
import sys

import pytest
import sqlalchemy as sa
import yaml

import browsers
from actions import registry
from browsers import ARTIFACTS
from console_server import PASSWORD, staff_account, start_console
from expected_replies import DOMAIN
from leads.store import RequestStore
from paths import ROOT
from servers import start_assistant

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

browsers.require((not AXE.exists(), "axe-core not installed (npm install axe-core@4.10.3)"))

from playwright.sync_api import expect  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.server]  # Chromium; an assistant and the console

STAFF = "reception@clinic.example"
LOCKED_OUT = "temp@clinic.example"
ZONE = "Europe/Berlin"
VISITOR = {"name": "Zoë Müller", "email": "zoe.mueller@example.com", "time": "weekday mornings"}
UNANSWERED = "can i have it if im pregnant?"
WEBHOOK_TOKEN = "hook-" + os.urandom(16).hex()  # in the console's environment: never in a page
MADE = {}  # what earlier tests made, for later ones: request id, conversation id, question key


@pytest.fixture(scope="module")
def clinic(model_path, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("console-clinic")
    settings = tmp / "leads.yml"
    settings.write_text(yaml.safe_dump({"retention_days": 30, "time_zone": ZONE, "notification": {"via": "off"}}))
    with start_assistant(model_path, tmp, LOG_LEVEL="INFO", LEADS_SETTINGS=str(settings)) as assistant:
        with start_console(tmp, LEADS_DB_URL=assistant.leads_db_url, LEADS_SETTINGS=str(settings),
                           TRACKER_STORE_URL=f"sqlite:///{assistant.tracker_db}", RASA_URL=assistant.url,
                           ASSISTANT_URL=assistant.url, ACTION_SERVER_URL=f"{assistant.actions_url}/webhook",
                           MODEL=str(model_path), LEADS_WEBHOOK_TOKEN=WEBHOOK_TOKEN) as (url, env, log):
            for email in (STAFF, LOCKED_OUT):
                assert staff_account(env, email).returncode == 0
            assistant.console_url, assistant.console_env, assistant.console_log = url, env, log
            assistant.settings_file = settings
            yield assistant


@pytest.fixture(scope="module")
def host_site(clinic, tmp_path_factory):
    """The clinic's site on another origin (its own port), with the widget's one script tag."""
    site = tmp_path_factory.mktemp("site")
    (site / "index.html").write_text((ROOT / "tests" / "data" / "host_page.html").read_text()
                                     .replace("{{BOT}}", clinic.url))
    with browsers.static_site(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with browsers.chromium() as browser:
        yield browser


class Staff:
    """A browser context for staff, recording every URL any of its pages asked for."""

    def __init__(self, browser, console_url, **options):
        self.context = browser.new_context(**options)
        self.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=console_url)
        self.requested = []
        self.context.on("request", lambda r: self.requested.append(r.url))
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.url = console_url

    def sign_in(self, email=STAFF, password=PASSWORD):
        self.page.goto(self.url + "/requests")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()


@pytest.fixture(scope="module")
def staff(browser, clinic):
    staff = Staff(browser, clinic.console_url, viewport={"width": 1280, "height": 900})
    yield staff
    staff.context.close()


# --- signing in ------------------------------------------------------------------------

def test_sign_in_with_a_wrong_password_then_the_right_one(staff):
    page = staff.page
    staff.sign_in(password="not the password")
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    staff.sign_in()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consultation requests")
    [cookie] = [c for c in staff.context.cookies() if c["name"] == "console_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"


def test_repeated_failures_slow_then_lock_the_account(browser, clinic):
    other = Staff(browser, clinic.console_url)
    try:
        for _ in range(4):
            other.sign_in(LOCKED_OUT, "wrong password")
            expect(other.page.get_by_role("alert")).to_have_text("Wrong email or password.")
        other.sign_in(LOCKED_OUT, "wrong password")
        expect(other.page.get_by_role("alert")).to_contain_text("Too many failed sign-ins. Try again in 15 minute(s)")
        other.sign_in(LOCKED_OUT, PASSWORD)  # the right password, but locked
        expect(other.page.get_by_role("alert")).to_contain_text("Too many failed sign-ins")
        expect(other.page.get_by_role("heading", level=1)).to_have_text("Sign in")
    finally:
        other.context.close()


# --- a visitor's request, from the widget to the inbox ---------------------------------

def test_a_request_made_through_the_widget_appears_in_the_inbox(browser, clinic, host_site, staff):
    visitor = browser.new_context()
    page = visitor.new_page()
    page.set_default_timeout(20_000)
    page.goto(host_site + "/index.html")
    page.get_by_role("button", name="Open chat").click()
    chat = page.get_by_role("dialog", name="Amara chat")
    log = chat.get_by_role("log")

    def say(text, expected):
        box = page.get_by_role("textbox")
        box.fill(text)
        box.press("Enter")
        expect(log).to_contain_text(expected)

    def click(title, expected):
        chat.get_by_role("button", name=title, exact=True).click()
        expect(log).to_contain_text(expected)

    say("does it hurt?", registry.answer("ask_pain"))
    replies = chat.locator(".msg.bot:not(.typing)")
    before = replies.count()
    say("that's not what I asked", "that's not what I asked")
    expect(replies).not_to_have_count(before)  # whatever the reply, it came
    say(UNANSWERED, "Shall I?")
    click("Yes, please", "What's your name?")
    say(VISITOR["name"], "What email address or phone number")
    say(VISITOR["email"], "When would you like the clinic to get in touch?")
    say(VISITOR["time"], "is that right?")
    click("Yes, that's right", "Do you agree")
    click("Yes, I agree", "Shall I send it to the clinic?")
    click("Send it", f"Thank you, {VISITOR['name']}!")
    visitor.close()

    [request] = [r for r in RequestStore(clinic.leads_db_url).newest_first() if r.name == VISITOR["name"]]
    MADE.update(request_id=request.id, conversation_id=request.conversation_id)

    inbox = staff.page
    inbox.goto(staff.url + "/requests")
    row = inbox.get_by_role("row").filter(has_text=VISITOR["name"])
    expect(row).to_contain_text(f"#{request.id}")
    expect(row).to_contain_text("new")
    expect(row).to_contain_text(UNANSWERED)


def test_the_request_page_shows_the_details_and_the_conversation(staff):
    page = staff.page
    page.goto(staff.url + "/requests")
    page.get_by_role("link", name=f"#{MADE['request_id']}", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Request #{MADE['request_id']}")
    details = page.locator("dl.details")
    for value in (VISITOR["name"], VISITOR["email"], VISITOR["time"], f"({ZONE})"):
        expect(details).to_contain_text(value)
    transcript = page.get_by_role("list", name="Conversation with the assistant")
    for said in ("does it hurt?", registry.answer("ask_pain"), UNANSWERED, VISITOR["name"], "Yes, I agree",
                 f"Thank you, {VISITOR['name']}!"):
        expect(transcript).to_contain_text(said)
    expect(transcript.locator("li.visitor").filter(has_text="Send it")).to_contain_text("(clicked)")


def test_changing_the_status(staff):
    page = staff.page
    page.goto(f"{staff.url}/requests/{MADE['request_id']}")
    page.get_by_label("Status").select_option("contacted")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_role("status")).to_have_text("Status changed to contacted.")
    page.goto(staff.url + "/requests?status=contacted")
    expect(page.get_by_role("row").filter(has_text=VISITOR["name"])).to_contain_text("contacted")
    page.goto(staff.url + "/requests?status=new")
    expect(page.get_by_role("row").filter(has_text=VISITOR["name"])).to_have_count(0)


def test_exporting_opens_in_a_spreadsheet_with_accents_and_the_clinic_time(staff, clinic):
    page = staff.page
    page.goto(staff.url + "/requests")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export all to CSV").click()
    raw = open(download.value.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8, "Zoë Müller" stays "Zoë Müller"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    [row] = [r for r in rows if r["id"] == str(MADE["request_id"])]
    stored = RequestStore(clinic.leads_db_url).get(MADE["request_id"])
    from zoneinfo import ZoneInfo

    from leads.export import local_time
    received = local_time(stored.received_at, ZoneInfo(ZONE))
    assert row == {"id": str(stored.id), "received_at": f"{received:%Y-%m-%d %H:%M:%S}",
                   "time_zone": ZONE, "name": VISITOR["name"], "email": VISITOR["email"], "phone": "",
                   "preferred_time": VISITOR["time"], "concern": f"your question “{UNANSWERED}”",
                   "conversation_id": MADE["conversation_id"], "status": "contacted"}


def test_the_audit_log_shows_who_viewed_changed_and_exported(staff):
    page = staff.page
    page.goto(staff.url + "/audit")
    table = page.get_by_role("table")
    target = f"request #{MADE['request_id']}"
    for action, which in [("viewed", target), ("changed status", target), ("exported", "request(s)"),
                          ("signed in", "-")]:
        expect(table.get_by_role("row").filter(has_text=action).filter(has_text=which).first).to_contain_text(STAFF)
    expect(table).to_contain_text("new -> contacted")
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)  # nothing on the page changes it


# --- questions ----------------------------------------------------------------------------

def test_labelling_an_unanswered_question_and_finding_it_in_the_review_export(staff, clinic, tmp_path):
    page = staff.page
    page.goto(staff.url + "/questions")
    not_answered = page.get_by_role("table", name="Not answered")
    expect(not_answered.get_by_role("row").filter(has_text=UNANSWERED)).to_contain_text("not in the documents")
    possibly_wrong = page.get_by_role("table", name="Possibly answered wrongly")
    expect(possibly_wrong.get_by_role("row").filter(has_text="does it hurt?")).to_contain_text(
        "followed by a complaint")

    not_answered.get_by_role("link", name=UNANSWERED).click()
    MADE["question_path"] = page.url[len(staff.url):]
    conversation = page.locator("ol.transcript").first
    expect(conversation.locator("li.asked")).to_contain_text(UNANSWERED)  # with the conversation around it
    expect(conversation).to_contain_text("Shall I?")
    page.get_by_label("Should have been answered as:").check()
    page.get_by_label("Topic", exact=True).select_option(label="Who is it for?")
    page.get_by_role("button", name="Save label").click()
    expect(page.get_by_role("status")).to_have_text("Label saved.")
    expect(page.locator("dl.details")).to_contain_text(f"should have been: Who is it for? ({STAFF}")

    out = tmp_path / "review.yml"
    exported = subprocess.run([sys.executable, "-m", "console", "review-export", "--out", str(out)], cwd=ROOT,
                              env=clinic.console_env, capture_output=True, text=True, timeout=60)
    assert exported.returncode == 0, exported.stderr
    assert yaml.safe_load(out.read_text())["nlu"] == [{"intent": "ask_suitability", "examples": f"- {UNANSWERED}\n"}]


# --- the widget's setup -------------------------------------------------------------------

def greeting_button(payload: str) -> str:
    """The title of the greeting's suggestion for ``payload`` (domain.yml's utter_greet)."""
    [greeting] = DOMAIN["responses"]["utter_greet"]
    return next(button["title"] for button in greeting["buttons"] if button["payload"] == payload)


def test_the_widget_preview_renders_the_real_widget_and_follows_the_options(staff, clinic):
    page = staff.page
    page.goto(staff.url + "/widget")
    tag = page.locator("#embed-tag")
    expect(tag).to_have_text(f'<script src="{clinic.url}/webhooks/widget/widget.js" defer></script>')
    expect(page.get_by_role("note")).to_contain_text("Trial setting")
    page.locator("#widget-preview").scroll_into_view_if_needed()  # the launcher is fixed inside the frame
    preview = page.frame_locator("#widget-preview")
    preview.get_by_role("button", name="Open chat").click()
    chat = preview.get_by_role("dialog", name="Ask about micro-needling")
    chat.get_by_role("button", name=greeting_button("/ask_cost")).click()  # one of the greeting's suggestions
    expect(chat.get_by_role("log")).to_contain_text(registry.answer("ask_cost"))  # the real assistant answered

    page.get_by_label("Title").fill("Amara chat")
    page.get_by_label("Position").select_option("left")
    expect(tag).to_have_text(f'<script src="{clinic.url}/webhooks/widget/widget.js" defer data-title="Amara chat" '
                             f'data-position="left"></script>')
    # The frame reloads with the new options; the widget reopens as the visitor left it.
    expect(preview.get_by_role("dialog", name="Amara chat")).to_be_visible()
    expect(preview.get_by_role("dialog", name="Amara chat").get_by_role("log")).to_contain_text(
        registry.answer("ask_cost"))
    frame_box = page.locator("#widget-preview").bounding_box()
    launcher_box = preview.get_by_role("button", name="Close chat").last.bounding_box()
    assert launcher_box["x"] - frame_box["x"] < frame_box["width"] / 2  # on the left now
    page.get_by_role("button", name="Copy the tag").click()
    expect(page.locator("#copy-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == tag.inner_text()
    page.screenshot(path=str(ARTIFACTS / "console-widget.png"), full_page=True)


def test_the_health_page(staff):
    page = staff.page
    page.goto(staff.url + "/health")
    table = page.get_by_role("table")
    expect(table.get_by_role("row").filter(has_text="Model")).to_contain_text("ready")
    expect(table.get_by_role("row").filter(has_text="Assistant (Rasa server)")).to_contain_text("answers")
    expect(table.get_by_role("row").filter(has_text="Action server")).to_contain_text("answers")
    expect(table.get_by_role("row").filter(has_text="Retention purge")).to_contain_text("last ran")
    expect(page.locator("dl.details")).to_contain_text("Conversations (tracker store)sqlite")


# --- settings -------------------------------------------------------------------------------

def test_changing_a_setting_saves_it_audits_it_and_the_assistant_uses_it(staff, clinic):
    page = staff.page
    page.goto(staff.url + "/settings")
    days = page.get_by_label("Keep consultation requests for (days)")
    expect(days).to_have_value("30")
    expect(page.get_by_label("The clinic's time zone")).to_have_value(ZONE)
    days.fill("21")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_have_text("Settings saved. The assistant uses them from its next reply.")
    expect(page.get_by_label("Keep consultation requests for (days)")).to_have_value("21")
    assert yaml.safe_load(clinic.settings_file.read_text())["retention_days"] == 21

    page.get_by_role("link", name="Audit log").click()
    row = page.get_by_role("row").filter(has_text="changed setting").first
    for shown in (STAFF, "retention_days", "30 -> 21"):
        expect(row).to_contain_text(shown)

    # The running assistant's next consultation form says so (no restart).
    sender = clinic.new_sender()
    for message in ("can someone call me?", "Nora Fitzgerald", "nora.fitz@example.com", "weekday mornings"):
        clinic.say(message, sender)
    consent = " ".join(m.get("text", "") for m in clinic.say("skip", sender))
    assert "They are deleted after 21 days" in consent, consent
    clinic.say("No", sender)  # nothing is stored


def test_a_wrong_setting_is_explained_next_to_it_and_nothing_is_saved(staff, clinic):
    before = clinic.settings_file.read_bytes()
    page = staff.page
    page.goto(staff.url + "/settings")
    page.get_by_label("Keep other conversations for (days)").fill("a month")
    page.get_by_label("By email (SMTP)").check()
    page.get_by_role("button", name="Save settings").click()
    message = "chat_retention_days must be a whole number of days, 1 or more (found 'a month')"
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved.")
    field = page.get_by_label("Keep other conversations for (days)")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile(re.escape(message)))
    expect(field).to_have_value("a month")  # what was typed, to correct
    assert clinic.settings_file.read_bytes() == before

    field.fill("30")  # the next problem: the email needs a server and addresses
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_label("Mail server")).to_have_accessible_description(
        re.compile("notification.smtp needs host, from, to when via is smtp"))
    page.get_by_role("alert").get_by_role("link", name="Mail server").click()
    expect(page.get_by_label("Mail server")).to_be_focused()
    assert clinic.settings_file.read_bytes() == before


def test_the_settings_page_never_shows_a_secret(staff, clinic):
    page = staff.page
    page.goto(staff.url + "/settings")
    secrets = page.get_by_role("table", name="Secrets")
    expect(secrets.get_by_role("row").filter(has_text="LEADS_WEBHOOK_TOKEN").locator(".state")).to_have_text("set")
    expect(secrets.get_by_role("row").filter(has_text="LEADS_SMTP_PASSWORD").locator(".state")).to_have_text("not set")
    assert WEBHOOK_TOKEN not in page.content()
    assert all(WEBHOOK_TOKEN not in page.locator(f"input >> nth={i}").input_value()
               for i in range(page.locator("input").count()))
    page.screenshot(path=str(ARTIFACTS / "console-settings.png"), full_page=True)


# --- every page: phone width, accessibility, nothing from another origin ------------------

def pages_to_check():
    request = f"/requests/{MADE['request_id']}"
    return ["/requests", request, request + "/delete", "/questions", MADE["question_path"], "/widget",
            "/widget/preview", "/health", "/settings", "/audit", "/no-such-page"]


def axe_violations(page):
    page.evaluate(AXE.read_text())
    result = page.evaluate("() => axe.run(document, {iframes: false, resultTypes: ['violations']})")
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
            if v["impact"] in ("serious", "critical")]


def test_every_page_works_at_phone_width_and_has_no_serious_accessibility_problem(browser, clinic, staff):
    phone = Staff(browser, clinic.console_url, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    problems = {}

    def check(path):
        phone.page.goto(clinic.console_url + path)
        expect(phone.page.get_by_role("heading", level=1)).to_be_visible()
        width = phone.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"{path} is wider than the phone's screen: {width}"
        problems[path] = axe_violations(phone.page)
        name = "".join(c if c.isalnum() else "-" for c in path.split("?")[0])
        phone.page.screenshot(path=str(ARTIFACTS / f"console-phone{name}.png"), full_page=True)

    try:
        # The checker itself works in this browser: it finds a seeded problem.
        phone.page.set_content('<html lang="en"><title>t</title><main><img src="data:,"></main></html>')
        assert [v[0] for v in axe_violations(phone.page)] == ["image-alt"]
        check("/sign-in")
        phone.sign_in()
        for path in pages_to_check():
            check(path)
        assert {path: found for path, found in problems.items() if found} == {}
        for who in (staff, phone):
            foreign = [u for u in who.requested if not u.startswith((clinic.console_url + "/", "data:", "about:"))]
            assert foreign == []  # every page, every frame: nothing from another origin
    finally:
        phone.context.close()


# --- deleting -----------------------------------------------------------------------------

def conversation_events(clinic, sender) -> int:
    engine = sa.create_engine(f"sqlite:///{clinic.tracker_db}")
    with engine.connect() as connection:
        return connection.execute(sa.text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}).scalar()


def test_deleting_a_request_after_confirmation_also_deletes_its_conversation(staff, clinic):
    assert conversation_events(clinic, MADE["conversation_id"]) > 0
    page = staff.page
    page.goto(f"{staff.url}/requests/{MADE['request_id']}")
    page.get_by_role("link", name=f"Delete request #{MADE['request_id']}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Delete request #{MADE['request_id']}?")
    assert RequestStore(clinic.leads_db_url).get(MADE["request_id"]) is not None  # nothing deleted before confirming
    page.get_by_role("button", name="Delete the request and its conversation").click()
    expect(page.get_by_role("status")).to_have_text(f"Request #{MADE['request_id']} and its conversation were deleted.")
    expect(page.get_by_role("row").filter(has_text=VISITOR["name"])).to_have_count(0)
    assert RequestStore(clinic.leads_db_url).get(MADE["request_id"]) is None
    assert conversation_events(clinic, MADE["conversation_id"]) == 0
    page.goto(f"{staff.url}/requests/{MADE['request_id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("No such request")
    page.goto(staff.url + "/audit")
    expect(page.get_by_role("row").filter(has_text="deleted").first).to_contain_text("with its conversation")


def test_no_visitor_personal_data_in_any_server_log(clinic):
    """Runs last: the visitor typed their details above; no server may have logged them."""
    logs = {name: path.read_text(encoding="utf-8", errors="replace") for name, path in [
        ("actions", clinic.log_dir / "actions.log"), ("rasa", clinic.log_dir / "rasa.log"),
        ("console", clinic.console_log)]}
    assert "Stored consultation request #" in logs["actions"] and "Staff signed in" in logs["console"]  # INFO logs
    leaked = [(name, value) for name, text in logs.items() for value in (*VISITOR.values(), "Müller", UNANSWERED)
              if value.lower() in text.lower()]
    assert leaked == []
