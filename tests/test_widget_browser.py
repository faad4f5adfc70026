"""The widget in a real browser: Debian's Chromium driven by Playwright, embedded with one
script tag on a page from another origin. Screenshots go to test-artifacts/."""
import pytest
import yaml

import browsers
from actions import answers, registry
from browsers import ARTIFACTS
from paths import ROOT

browsers.require()

from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.browser

RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
GREETING = RESPONSES["utter_greet"][0]
PHONE = dict(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True)


def button_title(response: str, payload: str) -> str:
    """The title domain.yml gives the button with ``payload`` in ``response``."""
    return next(b["title"] for b in RESPONSES[response][0]["buttons"] if b["payload"] == payload)


@pytest.fixture(scope="module")
def host_site(assistant, tmp_path_factory):
    """The clinic's site on another origin (its own port), with the one script tag."""
    site = tmp_path_factory.mktemp("site")
    page = (ROOT / "tests" / "data" / "host_page.html").read_text().replace("{{BOT}}", assistant.url)
    (site / "index.html").write_text(page)
    (site / "other.html").write_text(page.replace("<h1>Amara skin clinic</h1>", "<h1>Another page</h1>"))
    with browsers.static_site(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with browsers.chromium() as browser:
        yield browser


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" and "favicon" not in msg.text
            and "404" not in msg.text else None)
    yield page
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))
    context.close()


def open_chat(page, url):
    page.goto(url + "/index.html")
    launcher = page.get_by_role("button", name="Open chat")
    launcher.click()
    return page.get_by_role("dialog", name="Amara chat")


def ask(page, text):
    box = page.get_by_role("textbox")
    box.fill(text)
    box.press("Enter")


def test_visitor_asks_clicks_reloads_and_keeps_the_history(page, host_site):
    chat = open_chat(page, host_site)
    log = chat.get_by_role("log")
    expect(log).to_contain_text(GREETING["text"])
    expect(chat.get_by_role("button", name=GREETING["buttons"][0]["title"])).to_be_visible()
    expect(page.get_by_role("textbox")).to_be_focused()

    ask(page, "does it hurt?")
    expect(log).to_contain_text(registry.answer("ask_pain"))

    # A low-confidence question: "Did you mean…?" quick replies; a click answers.
    ask(page, "i was wondering")
    expect(log).to_contain_text("Did you mean")
    chat.get_by_role("button", name="Something else").wait_for()
    first = chat.get_by_role("group", name="Suggested replies").get_by_role("button").first
    first_title = first.inner_text()
    first.click()
    expect(log.locator(".msg.visitor").last).to_have_text("You: " + first_title)
    topic = next((t for t in registry.load().values() if t.title == first_title), None)
    if topic:
        expect(log.locator(".msg.bot").last).to_have_text("Assistant: " + topic.answer())
    expect(chat.get_by_role("group", name="Suggested replies")).to_have_count(0)

    page.screenshot(path=str(ARTIFACTS / "desktop-conversation.png"))

    # Reload: the panel reopens with the whole conversation, restored from the server.
    page.reload()
    log = page.get_by_role("dialog", name="Amara chat").get_by_role("log")
    expect(log).to_contain_text(registry.answer("ask_pain"))
    expect(log).to_contain_text("Did you mean")
    expect(log.get_by_role("group", name="Suggested replies")).to_have_count(0)  # answered already
    # Navigation across the site keeps it too.
    page.goto(host_site + "/other.html")
    expect(page.get_by_role("dialog", name="Amara chat").get_by_role("log")).to_contain_text(
        registry.answer("ask_pain"))
    assert page.errors == []


def test_the_suggested_questions_are_answered(page, host_site):
    chat = open_chat(page, host_site)
    chat.get_by_role("button", name=button_title("utter_greet", "/ask_cost")).click()
    expect(chat.get_by_role("log")).to_contain_text(answers.cost())


def test_the_greeting_is_domain_yml_s_and_opening_the_chat_stores_nothing(page, host_site, assistant):
    chat = open_chat(page, host_site)
    first = chat.get_by_role("log").locator(".msg.bot").first
    expect(first).to_have_text("Assistant: " + GREETING["text"])
    titles = chat.get_by_role("group", name="Suggested replies").get_by_role("button").all_inner_texts()
    assert titles == [b["title"] for b in GREETING["buttons"]]
    # One source: a visitor's "hi" gets the same words.
    assert assistant.say("hi", assistant.new_sender())[0]["text"] == GREETING["text"]
    # Only sending a message starts a conversation (and a stored session).
    stored = page.evaluate("Object.keys(localStorage).map(k => localStorage.getItem(k)).join()")
    assert "session" not in stored


def test_markup_is_shown_as_text_and_never_run(page, host_site):
    chat = open_chat(page, host_site)
    attack = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    ask(page, attack)
    visitor = chat.locator(".msg.visitor").last
    expect(visitor).to_have_text("You: " + attack)
    expect(chat.locator(".msg.bot:not(.typing)")).to_have_count(2)  # greeting + the reply
    assert page.evaluate("window.__pwned") is None
    assert chat.locator("img").count() == 0 and chat.locator(".log script").count() == 0


def test_links_in_messages_are_clickable_and_safe(page, host_site):
    chat = open_chat(page, host_site)
    # Bot and visitor messages share one renderer; only http(s) URLs become links.
    ask(page, "see https://example.org/aftercare and javascript:alert(1)")
    link = chat.locator(".msg.visitor a").last
    expect(link).to_have_attribute("href", "https://example.org/aftercare")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
    assert chat.locator('a[href^="javascript"]').count() == 0


def test_keyboard_escape_closes_and_returns_focus(page, host_site):
    chat = open_chat(page, host_site)
    expect(chat).to_be_visible()
    page.keyboard.press("Escape")
    expect(chat).to_be_hidden()
    expect(page.get_by_role("button", name="Open chat")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Amara chat")).to_be_visible()
    launcher = page.get_by_role("button", name="Close chat").last
    expect(launcher).to_have_attribute("aria-expanded", "true")


def test_new_conversation_starts_over(page, host_site):
    chat = open_chat(page, host_site)
    ask(page, "how many sessions will i need")
    expect(chat.get_by_role("log")).to_contain_text(registry.answer("ask_sessions"))
    chat.get_by_role("button", name="New conversation").click()
    expect(chat.get_by_role("log")).not_to_contain_text(registry.answer("ask_sessions"))
    page.reload()
    expect(page.get_by_role("dialog", name="Amara chat").get_by_role("log")).not_to_contain_text(
        registry.answer("ask_sessions"))


def test_server_unreachable_shows_a_clear_error_and_keeps_the_text(page, host_site):
    chat = open_chat(page, host_site)
    page.route("**/webhooks/widget/message", lambda route: route.abort())
    ask(page, "how long is the downtime?")
    expect(chat.get_by_role("alert")).to_contain_text("can't be reached")
    expect(page.get_by_role("textbox")).to_have_value("how long is the downtime?")
    page.unroute("**/webhooks/widget/message")
    chat.get_by_role("button", name="Retry").click()
    expect(chat.get_by_role("log")).to_contain_text(registry.answer("ask_downtime"))
    expect(chat.get_by_role("alert")).to_be_hidden()
    expect(page.get_by_role("textbox")).to_have_value("")


def test_too_long_a_message_gets_a_clear_error(page, host_site):
    chat = open_chat(page, host_site)
    ask(page, "x" * 1001)
    expect(chat.get_by_role("alert")).to_contain_text("at most 1000 characters")
    expect(page.get_by_role("textbox")).to_have_value("x" * 1001)


def title_is_one_line(chat) -> bool:
    return chat.locator("h2").evaluate(
        "h => h.getBoundingClientRect().height < 1.5 * parseFloat(getComputedStyle(h).lineHeight)")


@pytest.mark.parametrize("which", ["demo", "host"])
def test_phone_shows_the_chat_button_and_opens_full_screen(browser, host_site, assistant, which):
    """375x667 with touch: nothing widens the page, the button is on screen, a tap opens it."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{assistant.url}/webhooks/widget/demo" if which == "demo" else f"{host_site}/index.html")
    assert page.evaluate("[document.documentElement.scrollWidth, innerWidth]") == [375, 375]
    launcher = page.get_by_role("button", name="Open chat")
    box = launcher.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= 375 and box["y"] + box["height"] <= 667, box
    launcher.tap()
    chat = page.get_by_role("dialog")
    expect(chat.get_by_role("log")).to_contain_text(GREETING["text"])
    box = chat.bounding_box()
    assert box["width"] >= 370 and box["height"] >= 660, box
    assert title_is_one_line(chat)
    chat.get_by_role("button", name=button_title("utter_greet", "/ask_pain")).tap()
    expect(chat.get_by_role("log")).to_contain_text(registry.answer("ask_pain"))
    page.screenshot(path=str(ARTIFACTS / f"phone-375x667-{which}.png"))
    context.close()


def test_the_default_title_is_one_line_on_the_demo_page(page, assistant):
    page.goto(f"{assistant.url}/webhooks/widget/demo")
    page.get_by_role("button", name="Open chat").click()
    chat = page.get_by_role("dialog", name="Ask about micro-needling")
    expect(chat).to_be_visible()
    assert title_is_one_line(chat)


def test_the_request_summary_shows_send_as_primary_and_cancel_as_destructive(page, host_site):
    chat = open_chat(page, host_site)
    log = chat.get_by_role("log")
    for said, asked in [("I'd like to book a consultation", "utter_ask_visitor_name"),
                        ("Jane Smith", "utter_ask_visitor_contact"),
                        ("jane.smith@example.com", "utter_ask_preferred_time")]:
        ask(page, said)
        expect(log).to_contain_text(RESPONSES[asked][0]["text"])
    ask(page, "weekday mornings")
    chat.get_by_role("button", name=button_title("utter_ask_concern", "/deny")).click()
    chat.get_by_role("button", name=button_title("utter_ask_storage_consent", "/affirm")).click()
    send = chat.get_by_role("button", name=button_title("utter_ask_request_confirmed", "/affirm"))
    cancel = chat.get_by_role("button", name=button_title("utter_ask_request_confirmed", "/cancel"))
    change = chat.get_by_role("button", name="Change name")
    expect(send).to_be_visible()
    page.mouse.move(0, 0)  # no hover on any of them

    def look(button):
        return button.evaluate(
            "b => { const s = getComputedStyle(b); return [s.backgroundColor, s.color, s.borderColor] }")

    accent = chat.locator(".header").evaluate("h => getComputedStyle(h).backgroundColor")
    assert look(send)[0] == accent, "the primary action is filled with the accent colour"
    assert look(change)[0] != accent
    assert look(cancel)[1] not in (look(send)[1], look(change)[1]), "a destructive action has its own colour"
    assert look(cancel)[0] != accent
    page.screenshot(path=str(ARTIFACTS / "request-summary-buttons.png"))
    cancel.click()
    cancelled = RESPONSES["utter_request_cancelled"][0]["text"].split("{")[0]  # before the filled-in days
    expect(log.locator(".msg.bot").last).to_contain_text(cancelled)


def test_host_page_css_does_not_reach_the_widget(page, host_site):
    chat = open_chat(page, host_site)
    send = chat.get_by_role("button", name="Send")
    expect(send).to_be_visible()  # the host page hides every <button>
    assert "Comic Sans" not in send.evaluate("e => getComputedStyle(e).fontFamily")
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).color") == "rgb(255, 0, 0)"


def test_a_site_that_is_not_allowed_says_so_to_its_it_and_to_the_visitor(browser, assistant, tmp_path):
    """127.0.0.2 is not in the trial's allowed origins (localhost and 127.0.0.1): the visitor sees a
    neutral message, the browser console and the server log say which site and where to allow it."""
    page_html = (ROOT / "tests" / "data" / "host_page.html").read_text().replace("{{BOT}}", assistant.url)
    (tmp_path / "index.html").write_text(page_html)
    with browsers.static_site(tmp_path, host="127.0.0.2") as site:
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(20_000)
        errors = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        try:
            page.goto(f"{site}/index.html")
            page.get_by_role("button", name="Open chat").click()
            expect(page.get_by_role("dialog")).to_contain_text("Sorry, the chat is unavailable on this page.")
            expect(page.get_by_role("dialog").get_by_role("button", name="Retry")).to_have_count(0)
            told = [e for e in errors if e.startswith("Chat widget:")]
            assert told and site in told[0] and "allowed_origins" in told[0] \
                and "WIDGET_ALLOWED_ORIGINS" in told[0], errors
            log = (assistant.log_dir / "rasa.log").read_text()
            assert f"The chat widget was refused on {site}" in log and "credentials.yml" in log
        finally:
            context.close()
