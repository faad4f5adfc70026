"""Settings for consultation requests: leads.yml, plus the environment.

One YAML file (``leads.yml``, or the file named in ``LEADS_SETTINGS``) holds the
retention periods and the notification; the database is ``LEADS_DB_URL``; secrets
(webhook token, SMTP login) come only from the environment, never from the file.
Every problem raises ``SettingsError`` with a message that names the setting.

Notifications carry a secret (the webhook's token, the SMTP login): they go over TLS
with a verified certificate (https, STARTTLS), except to this machine (loopback).
"""
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
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


class SettingsError(Exception):
    """A setting is missing or wrong; the message says which and how to fix it."""


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
    path = Path(path or environ.get("LEADS_SETTINGS") or DEFAULT_FILE)
    if not path.is_file():
        raise SettingsError(f"{path}: settings file not found (copy leads.yml from the project, or set LEADS_SETTINGS)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise SettingsError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected settings like 'retention_days: 30', found {type(data).__name__}")

    days = _whole_number(data, "retention_days", path, "days")
    chat_days = _whole_number(data, "chat_retention_days", path, "days", default=days)
    purge_every = _whole_number(data, "purge_every_minutes", path, "minutes", default=60)

    time_zone = _time_zone(data.get("time_zone", "UTC"), path)

    notification = data.get("notification") or {}
    if not isinstance(notification, dict):
        raise SettingsError(f"{path}: notification must be a section with 'via: off', 'webhook' or 'smtp'")
    via = notification.get("via", "off")
    via = "off" if via is False or via is None else str(via).strip().lower()  # YAML reads a bare off as False
    if via not in NOTIFY_VIA:
        raise SettingsError(f"{path}: notification.via must be one of {', '.join(NOTIFY_VIA)} (found {via!r})")

    webhook = smtp = None
    if via == "webhook":
        url = str(_section(notification, "webhook", path).get("url") or "").strip()
        scheme, host = _scheme_and_host(url)
        if scheme not in ("http", "https") or not host:
            raise SettingsError(f"{path}: notification.webhook.url must be an https URL when via is webhook")
        if scheme == "http" and not is_loopback(host):
            raise SettingsError(f"{path}: notification.webhook.url must use https (http only for this machine): "
                                f"the token and the message would travel unencrypted")
        webhook = Webhook(url=url, token=environ.get("LEADS_WEBHOOK_TOKEN") or None)
    elif via == "smtp":
        section = _section(notification, "smtp", path)
        missing = [key for key in ("host", "from", "to") if not str(section.get(key) or "").strip()]
        if missing:
            raise SettingsError(f"{path}: notification.smtp needs {', '.join(missing)} when via is smtp")
        port = section.get("port", 587)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise SettingsError(f"{path}: notification.smtp.port must be a port number (found {port!r})")
        starttls = section.get("starttls", True)
        if starttls is not True and not is_loopback(str(section["host"]).strip()):
            raise SettingsError(f"{path}: notification.smtp.starttls must be true (false only for a server on this "
                                f"machine): the login and the message would travel unencrypted")
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
        raise SettingsError(
            f"{path}: time_zone must be a time zone name such as Europe/Berlin or UTC (found {name!r}; "
            f"if the name is right, the system's time zone data is missing: install tzdata)"
        ) from None


def _whole_number(data: dict, name: str, path: Path, unit: str, default: int | None = None) -> int:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SettingsError(f"{path}: {name} must be a whole number of {unit}, 1 or more (found {value!r})")
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
        raise SettingsError(f"{path}: notification.{name} must be a section of settings")
    return section


def conversation_store_url(environ: Mapping[str, str] = os.environ) -> str | None:
    """Rasa's tracker store (TRACKER_STORE_URL, as in endpoints.yml), whose conversations
    hold the visitors' details too. None when it is not set: nothing to delete there."""
    return environ.get("TRACKER_STORE_URL") or None
