"""Refuses placeholder and guessable secrets, at start-up, with a message that says which.

A secret copied unchanged from deploy/example.env ("change-me", "change-me-to-at-least-32-
random-characters") or typed by hand ("clinic2024") must not quietly protect a server:
anyone who has read the example, or can guess, holds the key. Messages name the setting,
never its value (they reach logs).

    problem_with(value)          why a secret we generate is too weak, or None
    require_strong(name, value)  raises WeakSecret naming the setting
    check_environment(environ)   every secret of the deployment: the problems found
"""
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import pairwise
from urllib.parse import urlsplit

GENERATE = "generate one with: openssl rand -hex 32"
MIN_LENGTH = 16
MIN_BITS = 64.0  # estimated from the characters' spread, see _estimated_bits
# Words that only placeholders and hand-typed secrets contain, compared without case and
# punctuation ("Change-Me" = "changeme").
PLACEHOLDER_WORDS = (
    "changeme", "changethis", "replaceme", "replacethis", "placeholder", "example", "yoursecret",
    "yourtoken", "yourpassword", "secret", "password", "passwd", "default", "letmein", "qwerty",
    "dummy", "sample", "fixme", "xxxxxx", "123456", "abcdef",
)

# The deployment's secrets: (variable, how strictly). "ours": we choose it, so it must be
# strong. "issued": a third party chooses it (an SMTP login, a chat service's webhook
# token), so only placeholders are refused.
SECRETS: Sequence[tuple[str, str]] = (
    ("WIDGET_SECRET", "ours"), ("RASA_TOKEN", "ours"), ("REST_TOKEN", "ours"), ("REDIS_PASSWORD", "ours"),
    ("LEADS_WEBHOOK_TOKEN", "issued"), ("LEADS_SMTP_PASSWORD", "issued"),
)
# Database URLs whose password is ours.
URLS_WITH_PASSWORDS = ("TRACKER_STORE_URL", "LEADS_DB_URL")


class WeakSecret(ValueError):
    """A secret that must be replaced; the message names the setting, not the value."""


def is_placeholder(value: str) -> bool:
    squeezed = re.sub(r"[^a-z0-9]", "", value.lower())
    return any(word in squeezed for word in PLACEHOLDER_WORDS)


def problem_with(value: str, min_length: int = MIN_LENGTH) -> str | None:
    """Why ``value`` is not a strong secret, or None if it is."""
    if is_placeholder(value):
        return "a placeholder (it contains a word such as 'change-me', 'example' or 'secret')"
    if len(value) < min_length:
        return f"too short ({len(value)} characters; use at least {min_length})"
    if _repeats(value) or _estimated_bits(value) < MIN_BITS:
        return "too predictable (repeated or few different characters)"
    return None


def require_strong(name: str, value: str, min_length: int = MIN_LENGTH) -> None:
    problem = problem_with(value, min_length)
    if problem:
        raise WeakSecret(f"{name} is {problem}: {GENERATE}")


def check_environment(environ: Mapping[str, str], auth_token: str | None = None) -> list[str]:
    """The problems with the deployment's secrets (empty: all fine). Unset secrets are
    not checked: each feature that needs one says so itself."""
    problems = []
    values = [(name, environ.get(name) or "", strictness) for name, strictness in SECRETS]
    if auth_token is not None:
        values.append(("--auth-token (RASA_TOKEN)", auth_token, "ours"))
    for name in URLS_WITH_PASSWORDS:
        password = _password_in(environ.get(name) or "")
        if password:
            values.append((f"the password in {name}", password, "ours"))
    for name, value, strictness in values:
        if not value:
            continue
        if strictness == "issued":
            problem = "a placeholder" if is_placeholder(value) else None
        else:
            problem = problem_with(value, 32 if name == "WIDGET_SECRET" else MIN_LENGTH)
        if problem:
            problems.append(f"{name} is {problem}: {GENERATE}" if strictness == "ours"
                            else f"{name} is {problem}: set the real value")
    return problems


def _password_in(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def _estimated_bits(value: str) -> float:
    """Shannon entropy of the characters times the length: 32 random hex digits give about
    120 bits, "aaaaaaaaaaaaaaaaaaaaaaa" none."""
    counts = Counter(value)
    per_character = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return per_character * len(value)


def _repeats(value: str) -> bool:
    """A short pattern repeated ("abcabcabc...") or a run ("0123456789abcdef...")."""
    for size in range(1, len(value) // 2 + 1):
        if value == (value[:size] * (len(value) // size + 1))[:len(value)]:
            return True
    steps = [ord(b) - ord(a) for a, b in pairwise(value)]
    same_step = sum(1 for a, b in pairwise(steps) if a == b and abs(a) <= 1)
    return bool(steps) and same_step >= len(steps) * 0.5
