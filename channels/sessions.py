"""Widget sessions: server-issued conversation ids, signed, with an age and an idle limit.

A session token is ``widget-<24 random characters>.<issued>.<seen>.<signature>``:

- the conversation id (``widget-…``) is random, so no one can guess another's;
- ``issued`` (when the conversation began) and ``seen`` (the visitor's last message),
  in seconds since 1970, base 36, are signed with it (HMAC-SHA256), so a browser can
  neither forge a token nor make an old one young;
- a token is refused once the conversation is older than ``max_age`` or has been idle
  longer than ``idle_timeout``: on a shared tablet, the next visitor starts afresh and
  cannot replay the previous one's chat. Each answer renews the token (a new ``seen``).

``verify`` accepts exactly the format ``issue`` produces (anything else is None): a
signed id never carries a character the stores refuse (PostgreSQL exits on NUL).

The key is WIDGET_SECRET, or a random key kept in a file (created on first use, so
sessions survive a restart). Placeholders and short keys are refused.
"""
import hashlib
import hmac
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from channels.secret_strength import WeakSecret, require_strong

PREFIX = "widget-"
ID_CHARACTERS = 24  # secrets.token_urlsafe(18)
TOKEN = re.compile(
    rf"({re.escape(PREFIX)}[A-Za-z0-9_-]{{{ID_CHARACTERS}}})\.([0-9a-z]{{1,10}})\.([0-9a-z]{{1,10}})\.([0-9a-f]{{32}})"
)
MIN_KEY_CHARACTERS = 32


@dataclass(frozen=True)
class Session:
    sender_id: str  # the conversation id in the tracker store
    issued: int  # seconds since 1970
    seen: int


class SessionSigner:
    """Issues, verifies and renews session tokens."""

    def __init__(self, key: bytes, max_age_seconds: float = 24 * 3600, idle_seconds: float = 30 * 60,
                 clock: Callable[[], float] = time.time) -> None:
        self._key = key
        self.max_age, self.idle = max_age_seconds, idle_seconds
        self._clock = clock

    def _mac(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()[:32]

    def _token(self, sender_id: str, issued: int, seen: int) -> str:
        body = f"{sender_id}.{_base36(issued)}.{_base36(seen)}"
        return f"{body}.{self._mac(body)}"

    def issue(self) -> str:
        now = int(self._clock())
        return self._token(PREFIX + secrets.token_urlsafe(18), now, now)

    def renewed(self, session: Session) -> str:
        """The same conversation, seen now: the idle time starts again."""
        return self._token(session.sender_id, session.issued, int(self._clock()))

    def verify(self, token: Any) -> Session | None:
        """The session a token stands for; None if it is not ours, malformed or expired."""
        if not isinstance(token, str) or len(token) > 120:
            return None
        match = TOKEN.fullmatch(token)
        if match is None:
            return None
        sender_id, issued, seen, mac = match.groups()
        if not hmac.compare_digest(mac, self._mac(token[: match.start(4) - 1])):
            return None
        session = Session(sender_id, int(issued, 36), int(seen, 36))
        now = self._clock()
        if now - session.issued > self.max_age or now - session.seen > self.idle or session.seen < session.issued:
            return None
        return session


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


def load_key(secret_file: str) -> bytes:
    """WIDGET_SECRET if set; otherwise a random key kept in ``secret_file``."""
    from_environment = os.environ.get("WIDGET_SECRET", "")
    key = from_environment
    if not key:
        path = Path(secret_file)
        if not path.exists():
            _create_key_file(path)
        key = path.read_text().strip()
    try:
        require_strong("WIDGET_SECRET" if from_environment else f"The widget's key in {secret_file}", key,
                       MIN_KEY_CHARACTERS)
    except WeakSecret as weak:
        hint = "" if from_environment else f" (or delete {secret_file} to have a new one made)"
        raise WeakSecret(f"{weak}{hint}. The key must be at least {MIN_KEY_CHARACTERS} characters.") from None
    return key.encode()


def _create_key_file(path: Path) -> None:
    # Written whole under a temporary name, then linked into place: a second process
    # starting at the same moment reads either nothing or the full key.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
