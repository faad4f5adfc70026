"""The console's settings, all from the environment (defaults in the Makefile).

  CONSOLE_HOST, CONSOLE_PORT   where it listens (127.0.0.1:5006)
  CONSOLE_URL                  its address as staff reach it (links in notifications);
                               https:// here makes every cookie Secure
  CONSOLE_DB_URL               its own database (sqlite:///var/console.db)
  CONSOLE_IDLE_MINUTES         a session ends after this long without a request (30)
  RASA_URL                     the Rasa server, as the console reaches it (health, preview)
  ASSISTANT_URL                the Rasa server as visitors' browsers reach it (the embed tag)
  ACTION_SERVER_URL, MODEL, TRACKER_STORE_URL, LOCK_STORE_TYPE, LEADS_*: as for the assistant

Like the assistant's servers, the console refuses to start with a placeholder or guessable
secret (channels/secret_strength.py): its database password too.
"""
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from channels.secret_strength import GENERATE, check_environment, problem_with

ROOT = Path(__file__).resolve().parent.parent


class ConsoleSettingsError(Exception):
    """A console setting is wrong; the message names it."""


@dataclass(frozen=True)
class ConsoleSettings:
    host: str
    port: int
    public_url: str | None
    db_url: str
    idle_minutes: int
    rasa_url: str
    assistant_url: str
    action_server_url: str
    model: Path
    credentials: Path
    # Sign-in: failures before each answer is slowed, failures that lock, and for how long.
    slow_after: int = 3
    lock_after: int = 5
    lock_minutes: int = 15

    @property
    def secure_cookies(self) -> bool:
        return (self.public_url or "").startswith("https://")


def _number(environ: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = (environ.get(name) or str(default)).strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise ConsoleSettingsError(f"{name} must be a whole number from {low} to {high} (found {text!r})")
    return int(text)


def weak_secrets(environ: Mapping[str, str]) -> list[str]:
    """The problems with the secrets the console has (names, never values)."""
    problems = check_environment(environ)
    try:
        password = urlsplit(environ.get("CONSOLE_DB_URL") or "").password
    except ValueError:
        password = None
    problem = problem_with(password) if password else None
    if problem:
        problems.append(f"the password in CONSOLE_DB_URL is {problem}: {GENERATE}")
    return problems


def load(environ: Mapping[str, str] = os.environ) -> ConsoleSettings:
    weak = weak_secrets(environ)
    if weak:
        raise ConsoleSettingsError("refusing to start with weak secrets:\n  " + "\n  ".join(weak))
    rasa_port = _number(environ, "RASA_PORT", 5005, 1, 65535)
    model = Path(environ.get("MODEL") or "models/clinic-faq.tar.gz")
    return ConsoleSettings(
        host=(environ.get("CONSOLE_HOST") or "127.0.0.1").strip(),
        port=_number(environ, "CONSOLE_PORT", 5006, 1, 65535),
        public_url=(environ.get("CONSOLE_URL") or "").strip().rstrip("/") or None,
        db_url=environ.get("CONSOLE_DB_URL") or f"sqlite:///{ROOT / 'var' / 'console.db'}",
        idle_minutes=_number(environ, "CONSOLE_IDLE_MINUTES", 30, 1, 24 * 60),
        rasa_url=(environ.get("RASA_URL") or f"http://127.0.0.1:{rasa_port}").rstrip("/"),
        assistant_url=(environ.get("ASSISTANT_URL") or f"http://localhost:{rasa_port}").rstrip("/"),
        action_server_url=environ.get("ACTION_SERVER_URL") or "http://127.0.0.1:5055/webhook",
        model=model if model.is_absolute() else ROOT / model,
        credentials=ROOT / "credentials.yml",
    )
