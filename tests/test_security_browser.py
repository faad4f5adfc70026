"""The widget's privacy and the demo page's policy, in a real browser (Debian's Chromium via
Playwright, as tests/test_widget_browser.py): the demo runs under its Content-Security-
Policy with no violation, no other site can frame it, and an expired session never shows
the previous visitor's conversation."""
import json
import time

import pytest

import browsers
from actions import answers, registry
from paths import ROOT

browsers.require()

from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def other_site(assistant, tmp_path_factory):
    """Another site: a page that embeds the widget, and one that tries to frame the demo."""
    site = tmp_path_factory.mktemp("other-site")
    (site / "widget.html").write_text(f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
        <title>Clinic</title></head><body><h1>Clinic</h1><script src="{assistant.url}/webhooks/widget/widget.js" defer
        data-title="Privacy chat"></script></body></html>""")
    (site / "frame.html").write_text(f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
        <title>Framing</title></head><body>
        <iframe id="demo" src="{assistant.url}/webhooks/widget/demo" width="800" height="600">
        </iframe></body></html>""")
    with browsers.static_site(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with browsers.chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.console_lines = []
    page.on("console", lambda message: page.console_lines.append(message.text))
    yield page
    context.close()


def test_the_demo_runs_under_its_content_security_policy(page, assistant):
    page.add_init_script("""document.addEventListener("securitypolicyviolation",
        e => console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI));""")
    page.goto(f"{assistant.url}/webhooks/widget/demo")
    expect(page.locator("#snippet")).to_contain_text("/webhooks/widget/widget.js")  # the inline script ran
    page.get_by_role("button", name="Open chat").click()
    box = page.get_by_role("textbox")
    box.fill("does it hurt?")
    box.press("Enter")
    expect(page.get_by_role("log")).to_contain_text(registry.answer("ask_pain"))
    violations = [line for line in page.console_lines if "Content Security Policy" in line or "CSP violation" in line]
    assert violations == []


def test_no_other_site_can_frame_the_demo(page, other_site):
    page.goto(f"{other_site}/frame.html")
    page.wait_for_timeout(1500)  # let the frame load, or be blocked
    demo = next(frame for frame in page.frames if frame != page.main_frame)
    assert "Medical micro-needling" not in demo.content()
    assert any("frame-ancestors" in line for line in page.console_lines), page.console_lines


def storage_key(assistant) -> str:
    return f"clinicChat:{assistant.url}/webhooks/widget/"


def test_an_expired_session_in_the_browser_shows_nothing_of_it(page, assistant, other_site):
    """The previous visitor's token, idle for an hour, still in localStorage: the next
    visitor gets a fresh greeting, and their question goes to a new conversation."""
    from channels.sessions import SessionSigner, load_key

    signer = SessionSigner(load_key(str(ROOT / "var" / "widget-secret")), clock=lambda: time.time() - 3600)
    page.add_init_script(f"window.localStorage.setItem({json.dumps(storage_key(assistant))}, "
                         f"{json.dumps(json.dumps({'session': signer.issue(), 'open': True}))});")
    page.goto(f"{other_site}/widget.html")
    log = page.get_by_role("dialog", name="Privacy chat").get_by_role("log")
    expect(log).to_contain_text("What would you like to know?")
    box = page.get_by_role("textbox")
    box.fill("how long is the downtime?")
    box.press("Enter")
    expect(log).to_contain_text(registry.answer("ask_downtime"))
    stored = json.loads(page.evaluate(f"window.localStorage.getItem({json.dumps(storage_key(assistant))})"))
    assert stored["session"].split(".")[0] != signer.issue().split(".")[0]


def test_a_session_that_expires_mid_chat_clears_the_old_messages(page, assistant, other_site):
    page.goto(f"{other_site}/widget.html")
    page.get_by_role("button", name="Open chat").click()
    log = page.get_by_role("dialog", name="Privacy chat").get_by_role("log")
    box = page.get_by_role("textbox")
    box.fill("does it hurt?")
    box.press("Enter")
    expect(log).to_contain_text(registry.answer("ask_pain"))
    expired = {"error": "invalid_session", "message": "Unknown or expired session: start a new conversation."}
    page.route("**/webhooks/widget/message", lambda route: route.fulfill(  # the next message only
        status=401, content_type="application/json", body=json.dumps(expired),
        headers={"Access-Control-Allow-Origin": other_site}), times=1)
    box.fill("how much does it cost?")
    box.press("Enter")
    expect(log).to_contain_text(answers.cost())
    expect(log).not_to_contain_text(registry.answer("ask_pain"))  # the expired conversation is not shown any longer
