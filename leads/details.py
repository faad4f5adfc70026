"""What a consultation request holds, and the checks on the details a visitor types.

The checks return a cleaned value or raise ``InvalidDetail`` with a ``problem`` code
that says what is wrong (the assistant turns it into a helpful re-ask). Error
messages never contain what the visitor typed: they may end up in logs.
"""
import re
from dataclasses import dataclass
from datetime import datetime

MAX_NAME = 100
MAX_PREFERRED_TIME = 200
MAX_CONCERN = 300
MAX_EMAIL = 254  # the longest address SMTP allows
PHONE_DIGITS = (7, 15)  # 15 is the longest international number (E.164)

# One @, no spaces, and a domain with a dot and no empty parts: name@example.com.
EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
# Digits with an optional leading +, spaces, dashes, dots and parentheses: +44 (20) 7946-0000.
PHONE = re.compile(r"\+?[\d(][\d\s().\-]*\d")
# "my name is Jane", "I'm Jane", "it's Jane": the name is what follows.
NAME_LEADS = re.compile(r"^(?:(?:hi|hello|hey)[,!.]?\s+)?"
                        r"(?:my name is|my name's|name's|name is|i am|i'm|it's|this is)\s+", re.I)
# Characters trimmed from around an address or number typed inside a sentence.
SURROUNDING = "\"'<>()[],;:!?."


class InvalidDetail(ValueError):
    """A detail that cannot be stored; ``field`` and ``problem`` say why (no values)."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"invalid {field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class Contact:
    email: str | None = None
    phone: str | None = None

    def __str__(self) -> str:
        return " / ".join(part for part in (self.email, self.phone) if part)


@dataclass(frozen=True)
class ConsultationRequest:
    name: str
    contact: Contact
    preferred_time: str
    concern: str | None
    conversation_id: str | None = None
    # Filing the same key twice stores one request (leads/store.py); derived if not given.
    idempotency_key: str | None = None
    # Set by the store.
    id: int | None = None
    received_at: datetime | None = None  # UTC


def _squeeze(text: str) -> str:
    return " ".join(str(text or "").split())


def clean_name(text: str) -> str:
    """The visitor's name, without "my name is"; problems: missing, too_long, not_a_name."""
    name = NAME_LEADS.sub("", _squeeze(text)).strip(" .!,")
    if not re.search(r"[^\W\d_]", name):
        raise InvalidDetail("name", "missing")
    if len(name) > MAX_NAME:
        raise InvalidDetail("name", "too_long")
    if "@" in name or re.search(r"\d", name):
        raise InvalidDetail("name", "not_a_name")  # an email or a number typed here by mistake
    return name


def looks_like_contact(text: str) -> bool:
    """Whether the visitor seems to have typed an email address or a phone number."""
    return "@" in str(text or "") or len(re.findall(r"\d", str(text or ""))) >= 5


def parse_contact(text: str) -> Contact:
    """An email address and/or phone number found in what the visitor typed.

    Problems: ``email`` (has an @ but is not a whole address), ``phone`` (digits, but
    not 7-15 of them), ``missing`` (neither).
    """
    text = _squeeze(text)
    email = _email_in(text)
    phone = _phone_in(text)
    if email is None and phone is None:
        if "@" in text:
            raise InvalidDetail("contact", "email")
        if re.search(r"\d", text):
            raise InvalidDetail("contact", "phone")
        raise InvalidDetail("contact", "missing")
    return Contact(email=email, phone=phone)


def _email_in(text: str) -> str | None:
    candidates: list[str] = [word.strip(SURROUNDING) for word in text.split() if "@" in word]
    if len(candidates) != 1:
        return None
    email = candidates[0]
    return email if EMAIL.fullmatch(email) and len(email) <= MAX_EMAIL else None


def _phone_in(text: str) -> str | None:
    # Addresses can contain digits (jane1985@...): look for a number outside them.
    words = " ".join(word for word in text.split() if "@" not in word)
    for match in sorted(PHONE.finditer(words), key=lambda m: -len(m.group())):
        number = match.group().strip()
        digits = len(re.findall(r"\d", number))
        if PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]:
            return number
    return None


def clean_preferred_time(text: str) -> str:
    """When the visitor would like to be contacted, as they put it; problems: missing, too_long."""
    when = _squeeze(text)
    if not when:
        raise InvalidDetail("preferred_time", "missing")
    if len(when) > MAX_PREFERRED_TIME:
        raise InvalidDetail("preferred_time", "too_long")
    return when


def clean_concern(text: str | None) -> str | None:
    """The treatment or concern (optional: None when skipped); problem: too_long."""
    concern = _squeeze(text or "")
    if len(concern) > MAX_CONCERN:
        raise InvalidDetail("concern", "too_long")
    return concern or None


def new_request(name: str, contact: str, preferred_time: str, concern: str | None,
                conversation_id: str | None = None) -> ConsultationRequest:
    """A request from the form's answers, every detail checked (raises ``InvalidDetail``)."""
    return ConsultationRequest(
        name=clean_name(name),
        contact=parse_contact(contact),
        preferred_time=clean_preferred_time(preferred_time),
        concern=clean_concern(concern),
        conversation_id=conversation_id,
    )


def validated(request: ConsultationRequest) -> ConsultationRequest:
    """The same request with every detail checked again (the store's own guard)."""
    checked = new_request(request.name, str(request.contact), request.preferred_time, request.concern,
                          request.conversation_id)
    if checked.contact != request.contact:
        raise InvalidDetail("contact", "email" if request.contact.email else "phone")
    return checked
