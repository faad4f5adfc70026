"""The "Settings" page: the clinic's settings in leads.yml, changed in the browser.

Retention periods, the purge interval, the time zone and the notification (off, a
webhook, or email through SMTP). Saving checks the values with leads.settings' own
checks (a wrong one is shown next to its field, with what to do, and nothing is written),
writes the file atomically with its comments (leads/settings_file.py), and records in the
audit log who changed which setting from what to what. The running action server reads
the file again when it changes (leads.settings.current): no restart.

Secrets are not settings here: the webhook's token and the SMTP login stay in the
environment, and the page only says whether each is set. Every staff account may change
the settings (the console has one role); the audit log says who did.

A form saved after someone else changed the file is refused, with the file as it is now,
so that nobody's change is lost unseen. Where the file is read-only to the console (a
mounted ConfigMap, a read-only volume) the page shows the settings without a Save.
"""
import asyncio
import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

import yaml
from sanic import Blueprint, response
from sanic.request import Request

from console import audit
from console.pages import render
from leads import settings_file
from leads.settings import DEFAULT_FILE, SettingsError, from_data, read, settings_path

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Field:
    setting: str  # as leads.yml nests it: "notification.smtp.port"
    label: str
    kind: str  # "number", "text", "checkbox" or "choice"
    hint: str = ""
    choices: tuple[tuple[str, str], ...] = ()

    @property
    def id(self) -> str:
        return "setting-" + self.setting.replace(".", "-").replace("_", "-")


PERIODS = [
    Field("retention_days", "Keep consultation requests for (days)", "number",
          "A request and its conversation are deleted this many days after it arrived; so are conversations "
          "in which a visitor typed details but sent nothing, after their last message."),
    Field("chat_retention_days", "Keep other conversations for (days)", "number",
          "Chats without a request (they can hold health questions too), after their last message."),
    Field("purge_every_minutes", "Delete what is past these periods every (minutes)", "number",
          "The action server does it by itself this often."),
    Field("time_zone", "The clinic's time zone", "text",
          "A name such as Europe/Berlin or Europe/London. Times in the console and in exports are shown in it."),
]
VIA = Field("notification.via", "Tell the clinic about a new request", "choice",
            "The message says only that a request arrived, its number and a link here; never the visitor's details.",
            (("off", "Don't"), ("webhook", "By webhook (a chat service such as Slack or Teams)"),
             ("smtp", "By email (SMTP)")))
WEBHOOK = [Field("notification.webhook.url", "Webhook URL", "text", "https://… (http only for this machine).")]
SMTP = [
    Field("notification.smtp.host", "Mail server", "text", "e.g. smtp.example-clinic.com"),
    Field("notification.smtp.port", "Port", "number", "587 for STARTTLS."),
    Field("notification.smtp.starttls", "Encrypt with STARTTLS", "checkbox",
          "Required, except for a mail server on this machine."),
    Field("notification.smtp.from", "From", "text", "e.g. assistant@example-clinic.com"),
    Field("notification.smtp.to", "To", "text", "e.g. reception@example-clinic.com"),
]
FIELDS = [*PERIODS, VIA, *WEBHOOK, *SMTP]
# Secrets: only whether each is set is shown, never a value.
SECRETS = [("LEADS_WEBHOOK_TOKEN", "the webhook's token (sent as Authorization: Bearer …)"),
           ("LEADS_SMTP_USER", "the mail server's login name"),
           ("LEADS_SMTP_PASSWORD", "the mail server's password")]
MAX_TEXT = 500

_saving = asyncio.Lock()  # one save at a time: the version check and the write go together


@lru_cache(maxsize=1)
def time_zones() -> list[str]:
    """The names the time zone field suggests (the system's time zone database)."""
    return sorted(available_timezones())


def _get(data: dict, setting: str) -> Any:
    value: Any = data
    for key in setting.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _set(data: dict, setting: str, value: Any) -> None:
    *sections, key = setting.split(".")
    for section in sections:
        if not isinstance(data.get(section), dict):
            data[section] = {}
        data = data[section]
    data[key] = value


def _defaults() -> dict:
    """The project's leads.yml: what a missing or unreadable file is replaced with."""
    try:
        return read(DEFAULT_FILE)
    except SettingsError:
        return {"retention_days": 30, "notification": {"via": "off"}}


def typed(field: Field, form: Any) -> Any:
    """What the form says, as leads.yml holds it: a whole number where one is clearly
    meant, else the text as typed, for leads.settings' checks to judge and explain."""
    if field.kind == "checkbox":
        return form.get(field.setting) == "on"
    text = " ".join((form.get(field.setting) or "").split())
    if field.kind == "number" and text.isdigit() and len(text) < 10:
        return int(text)
    return text


def shown(field: Field, data: dict) -> Any:
    value = _get(data, field.setting)
    if field.setting == "notification.via":
        return "off" if value is False or value is None else str(value)
    if field.kind == "checkbox":
        return value is not False  # leads.settings: starttls unless it says false
    if value is None:
        defaults = {"chat_retention_days": _get(data, "retention_days"), "purge_every_minutes": 60,
                    "time_zone": "UTC", "notification.smtp.port": 587}
        value = defaults.get(field.setting, "")
    return value


def problems_of(error: SettingsError) -> dict[str, str]:
    """The message for each field at fault; "" for a problem with the whole file."""
    named = [s for s in error.settings if any(f.setting == s for f in FIELDS)]
    return {setting: error.problem for setting in named} or {"": error.problem}


def in_audit(setting: str, value: Any) -> str:
    """A value as the audit log keeps it: a webhook URL by its site only (its path is often
    the hook's secret, and the log is kept for good)."""
    if setting == "notification.webhook.url" and value:
        scheme, _, rest = str(value).partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}/…" if rest else "(not a URL)"
    return "(empty)" if value in ("", None) else str(value).lower() if isinstance(value, bool) else str(value)


pages = Blueprint("clinic_settings")


def _page(request: Request, data: dict, version: str, problems: dict[str, str] | None = None, status: int = 200,
          notice: str = "", file_problem: str = ""):
    path = settings_path()
    # Each setting's field, where the list of problems links to (the first choice for a choice).
    field_ids = {f.setting: f"{f.id}-{f.choices[0][0]}" if f.choices else f.id for f in FIELDS}
    return render(request, "settings.html", status=status, periods=PERIODS, via=VIA, webhook=WEBHOOK, smtp=SMTP,
                  values={f.setting: shown(f, data) for f in FIELDS}, problems=problems or {},
                  field_ids=field_ids, labels={f.setting: f.label for f in FIELDS},
                  version=version, writable=settings_file.writable(path), file=str(path),
                  secrets=[(name, what, bool(os.environ.get(name))) for name, what in SECRETS],
                  time_zones=time_zones(), notice=notice, file_problem=file_problem)


def _current(path: Path) -> tuple[dict, str, str]:
    """The file's settings as they are now, its version, and what is wrong with it."""
    try:
        data = read(path)
    except SettingsError as error:
        return _defaults(), settings_file.version(path), f"{error} Saving this form replaces it."
    try:
        from_data(data, path)
    except SettingsError as error:
        return data, settings_file.version(path), str(error)
    return data, settings_file.version(path), ""


@pages.get("/settings")
async def settings_page(request: Request):
    data, version, file_problem = _current(settings_path())
    notice = {"1": "Settings saved. The assistant uses them from its next reply.",
              "0": "Nothing was changed."}.get(request.args.get("saved", ""), "")
    return _page(request, data, version, notice=notice, file_problem=file_problem)


@pages.post("/settings")
async def save(request: Request):
    path, form = settings_path(), request.form
    async with _saving:
        data, version, file_problem = _current(path)
        if not settings_file.writable(path):
            return _page(request, data, version, status=403, file_problem=(
                "These settings are read-only here: whoever runs the assistant changes them where they come from."))
        if form.get("version") != version:
            return _page(request, data, version, status=409, file_problem=(
                "Someone changed these settings after you opened this page (the audit log says who). "
                "Here they are as they are now: make your change again."))
        wanted = yaml.safe_load(yaml.safe_dump(data))  # a copy: settings this page doesn't edit are kept
        for field in FIELDS:
            _set(wanted, field.setting, typed(field, form))
        too_long = {f.setting: f"{f.setting} is too long (at most {MAX_TEXT} characters)" for f in FIELDS
                    if len(str(_get(wanted, f.setting))) > MAX_TEXT}
        if too_long:
            return _page(request, wanted, version, too_long, status=400)
        changes = [(f.setting, shown(f, data), shown(f, wanted)) for f in FIELDS if shown(f, data) != shown(f, wanted)]
        if not changes and not file_problem:
            return response.redirect("/settings?saved=0")
        try:
            await asyncio.get_running_loop().run_in_executor(None, settings_file.save, path, wanted)
        except SettingsError as error:
            return _page(request, wanted, version, problems_of(error), status=400)
    staff = request.ctx.session.email
    for setting, old, new in changes:
        audit.record(request.app.ctx.db, staff, "changed setting", setting,
                     f"{in_audit(setting, old)} -> {in_audit(setting, new)}")
    logger.info("Staff changed %d setting(s) in %s: %s", len(changes), path.name, ", ".join(s for s, _, _ in changes))
    return response.redirect("/settings?saved=1")
