"""Settings for consultation requests: leads.yml, plus the environment.

One YAML file (``leads.yml``, or the file named in ``LEADS_SETTINGS``) holds the
retention periods, the clinic's time zone and the notification; the database is
``LEADS_DB_URL``; secrets (webhook token, SMTP login) come only from the environment,
never from the file. Every problem raises ``SettingsError`` with a message that names
the setting and says how to fix it.

``load`` reads the file each time; ``current`` is for servers that run for weeks: it
reads the file again only when it has changed (the staff console's Settings page
rewrites it, leads/settings_file.py), and ``live()`` is a Settings whose every
attribute is ``current()``'s, for code that keeps one settings object around.

Notifications carry a secret (the webhook's token, the SMTP login): they go over TLS
with a verified certificate (https, STARTTLS), except to this machine (loopback).
"""
import ipaddress
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import timezone, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT / "leads.yml"
DEFAULT_DB_URL = "sqlite:///var/leads.db"
NOTIFY_VIA = ("off", "webhook", "smtp")
# What load() takes from the environment: a change there is a change of settings too.
ENVIRONMENT = ("LEADS_DB_URL", "LEADS_WEBHOOK_TOKEN", "LEADS_SMTP_USER", "LEADS_SMTP_PASSWORD", "CONSOLE_URL")
logger = logging.getLogger(__name__)


class SettingsError(Exception):
    """A setting is missing or wrong; the message says which and how to fix it.

    ``settings`` names the settings at fault ("notification.smtp.port"), when the problem
    is with particular ones, and ``problem`` is the message without the file's name: a
    form shows it next to those fields."""

    def __init__(self, message: str, settings: tuple[str, ...] = (), problem: str | None = None) -> None:
        super().__init__(message)
        self.settings = settings
        self.problem = problem or message


def _wrong(path: Path, problem: str, *settings: str) -> SettingsError:
    return SettingsError(f"{path}: {problem}", settings, problem)


@dataclass(frozen=True)
class Webhook:
    url: str
    token: str | None  # LEADS_WEBHOOK_TOKEN


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    starttls: bool
    sender: str
    recipient: str
    user: str | None  # LEADS_SMTP_USER
    password: str | None  # LEADS_SMTP_PASSWORD


@dataclass(frozen=True)
class Settings:
    db_url: str
    retention_days: int
    notify_via: str
    chat_retention_days: int | None = None  # FAQ chats; None: retention_days
    purge_every_minutes: int = 60
    webhook: Webhook | None = None
    smtp: Smtp | None = None
    file: Path | None = None
    # The clinic's time zone: times in exports and listings are shown in it (stored in UTC).
    time_zone: tzinfo = timezone.utc
    # The staff console's address (CONSOLE_URL): notifications link to the request's page.
    console_url: str | None = None


def load(path: Path | None = None, environ: Mapping[str, str] = os.environ) -> Settings:
    path = settings_path(path, environ)
    return from_data(read(path), path, environ)


def settings_path(path: Path | None = None, environ: Mapping[str, str] = os.environ) -> Path:
    """The settings file: ``path``, else LEADS_SETTINGS, else the project's leads.yml."""
    return Path(path or environ.get("LEADS_SETTINGS") or DEFAULT_FILE)


def read(path: Path) -> dict:
    """The file's settings as YAML gives them, not yet checked."""
    if not path.is_file():
        raise SettingsError(f"{path}: settings file not found (copy leads.yml from the project, or set LEADS_SETTINGS)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"{path}: cannot be read ({type(error).__name__}: {error})") from None
    except yaml.YAMLError as error:
        raise SettingsError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected settings like 'retention_days: 30', found {type(data).__name__}")
    return data


def from_data(data: dict, path: Path, environ: Mapping[str, str] = os.environ) -> Settings:
    """Checks settings as read from the file (``path`` names it in the messages)."""
    days = _whole_number(data, "retention_days", path, "days")
    chat_days = _whole_number(data, "chat_retention_days", path, "days", default=days)
    purge_every = _whole_number(data, "purge_every_minutes", path, "minutes", default=60)

    time_zone = _time_zone(data.get("time_zone", "UTC"), path)

    notification = data.get("notification") or {}
    if not isinstance(notification, dict):
        raise _wrong(path, "notification must be a section with 'via: off', 'webhook' or 'smtp'", "notification")
    via = notification.get("via", "off")
    via = "off" if via is False or via is None else str(via).strip().lower()  # YAML reads a bare off as False
    if via not in NOTIFY_VIA:
        raise _wrong(path, f"notification.via must be one of {', '.join(NOTIFY_VIA)} (found {via!r})",
                     "notification.via")

    webhook = smtp = None
    if via == "webhook":
        url = str(_section(notification, "webhook", path).get("url") or "").strip()
        scheme, host = _scheme_and_host(url)
        if scheme not in ("http", "https") or not host:
            raise _wrong(path, "notification.webhook.url must be an https URL when via is webhook",
                         "notification.webhook.url")
        if scheme == "http" and not is_loopback(host):
            raise _wrong(path, "notification.webhook.url must use https (http only for this machine): "
                               "the token and the message would travel unencrypted", "notification.webhook.url")
        webhook = Webhook(url=url, token=environ.get("LEADS_WEBHOOK_TOKEN") or None)
    elif via == "smtp":
        section = _section(notification, "smtp", path)
        missing = [key for key in ("host", "from", "to") if not str(section.get(key) or "").strip()]
        if missing:
            raise _wrong(path, f"notification.smtp needs {', '.join(missing)} when via is smtp",
                         *(f"notification.smtp.{key}" for key in missing))
        port = section.get("port", 587)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise _wrong(path, f"notification.smtp.port must be a port number (found {port!r})",
                         "notification.smtp.port")
        starttls = section.get("starttls", True)
        if starttls is not True and not is_loopback(str(section["host"]).strip()):
            raise _wrong(path, "notification.smtp.starttls must be true (false only for a server on this machine): "
                               "the login and the message would travel unencrypted", "notification.smtp.starttls")
        smtp = Smtp(
            host=str(section["host"]).strip(), port=port, starttls=bool(starttls),
            sender=str(section["from"]).strip(), recipient=str(section["to"]).strip(),
            user=environ.get("LEADS_SMTP_USER") or None, password=environ.get("LEADS_SMTP_PASSWORD") or None,
        )
    return Settings(
        db_url=environ.get("LEADS_DB_URL") or DEFAULT_DB_URL, retention_days=days, notify_via=via,
        chat_retention_days=chat_days, purge_every_minutes=purge_every, webhook=webhook, smtp=smtp, file=path,
        time_zone=time_zone, console_url=(environ.get("CONSOLE_URL") or "").strip().rstrip("/") or None,
    )


def _time_zone(name: Any, path: Path) -> tzinfo:
    if str(name).strip().upper() == "UTC":
        return timezone.utc  # needs no time zone database
    try:
        return ZoneInfo(str(name).strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise _wrong(
            path, f"time_zone must be a time zone name such as Europe/Berlin or UTC (found {name!r}; "
                  f"if the name is right, the system's time zone data is missing: install tzdata)", "time_zone"
        ) from None


def _whole_number(data: dict, name: str, path: Path, unit: str, default: int | None = None) -> int:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _wrong(path, f"{name} must be a whole number of {unit}, 1 or more (found {value!r})", name)
    return value


def _scheme_and_host(url: str) -> tuple[str, str]:
    try:
        parts = urlsplit(url)
        return parts.scheme.lower(), parts.hostname or ""
    except ValueError:
        return "", ""


def is_loopback(host: str) -> bool:
    """This machine: localhost, 127.0.0.0/8, ::1."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _section(notification: dict, name: str, path: Path) -> dict:
    section: Any = notification.get(name) or {}
    if not isinstance(section, dict):
        raise _wrong(path, f"notification.{name} must be a section of settings", f"notification.{name}")
    return section


def conversation_store_url(environ: Mapping[str, str] = os.environ) -> str | None:
    """Rasa's tracker store (TRACKER_STORE_URL, as in endpoints.yml), whose conversations
    hold the visitors' details too. None when it is not set: nothing to delete there."""
    return environ.get("TRACKER_STORE_URL") or None


# --- for servers that run for weeks: the file as it is now ------------------------------

_read_before: dict[tuple, tuple[tuple | None, Settings]] = {}
_reading = threading.Lock()


def _version(path: Path) -> tuple | None:
    """Changes whenever the file does: a file replaced by rename (the console's way) is a
    new inode even within the same clock tick."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size, info.st_ino, info.st_dev


def current(path: Path | None = None, environ: Mapping[str, str] = os.environ) -> Settings:
    """The settings as the file says now: read again when it has changed, else from memory.

    The first read raises SettingsError as load() does (a broken file stops a server at
    start-up). After that, a file that has become unreadable or wrong leaves the last good
    settings in force, and the log says so once per change of the file, until it is fixed."""
    path = settings_path(path, environ)
    key = (str(path), *(environ.get(name) for name in ENVIRONMENT))
    version = _version(path)
    with _reading:
        known = _read_before.get(key)
        if known is not None and known[0] == version:
            return known[1]
        try:
            settings = load(path, environ)
        except SettingsError as error:
            if known is None:
                raise
            logger.error("%s. The settings read before stay in force until the file is fixed.", error)
            _read_before[key] = (version, known[1])
            return known[1]
        if known is not None:
            logger.info("Read %s again: it changed", path)
        _read_before[key] = (version, settings)
        return settings


_FIELDS = frozenset(field.name for field in fields(Settings))


class LiveSettings(Settings):
    """A Settings that follows the file: every setting is read through ``current()``.

    For code that keeps one settings object from start-up (actions/consultation.py): it
    sees the staff console's changes without a restart. Code that reads several settings
    that belong together (a notification's section) gets each from the file as it is at
    that moment; ``snapshot()`` gives one consistent Settings. A copy with a change
    (``dataclasses.replace``) is a plain Settings: it no longer follows the file."""

    def __new__(cls, *args: Any, **values: Any) -> Any:
        if values.keys() & _FIELDS:  # dataclasses.replace() passes every field's value
            return Settings(**values)
        return super().__new__(cls)

    def __init__(self, path: Path | None = None, environ: Mapping[str, str] = os.environ) -> None:
        # Not the dataclass's __init__: the values are current()'s, read on each access.
        object.__setattr__(self, "_source", (path, environ))
        current(path, environ)  # a broken file stops the start, as load() would

    def snapshot(self) -> Settings:
        path, environ = object.__getattribute__(self, "_source")
        return current(path, environ)

    def __getattribute__(self, name: str) -> Any:
        if name in _FIELDS:
            return getattr(object.__getattribute__(self, "snapshot")(), name)
        return object.__getattribute__(self, name)


def live(path: Path | None = None, environ: Mapping[str, str] = os.environ) -> Settings:
    """Settings that follow the file (LiveSettings); raises SettingsError now if it is wrong."""
    return LiveSettings(path, environ)
