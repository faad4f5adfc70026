"""What the public channels (REST and widget) do with untrusted input and with failures.

Every refusal is a 4xx JSON error saying what to send instead; a failure behind the
channel (tracker store, lock store) is a 503 JSON error asking to try again. Neither
crashes the server, and neither logs the visitor's words. Replies are UTF-8 JSON ("€",
not "\\u20ac"), as a person reading curl's output expects.
"""
import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.constants import DEFAULT_INTENTS
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

# C0/C1 control characters other than tab and newline, and lone UTF-16 surrogates (valid
# in JSON, invalid in UTF-8). PostgreSQL refuses NUL in text; the rest only garble logs
# and the transcript.
UNSAFE_CHARACTERS = re.compile("[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Printable, and encodable as UTF-8: a lone surrogate in a conversation id makes Rasa's
# SQL tracker store exit the whole server (its session_scope turns ValueError into exit).
SENDER_ID = re.compile("[^\x00-\x1f\x7f-\x9f\ud800-\udfff]{1,128}")
RESERVED_SENDER_PREFIX = "widget-"  # the widget's signed conversations: not reachable over REST
INTENT_PAYLOAD = re.compile(r"/[A-Za-z0-9_]{1,64}")
UNAVAILABLE = "The assistant can't answer right now. Please try again in a moment."
# Far above any valid request (messages are capped at ~1,000 characters). Sanic refuses
# larger bodies before reading them (serving/__main__.py sets its REQUEST_MAX_SIZE to this).
MAX_BODY_BYTES = 64 * 1024


class Refused(Exception):
    """A request the channel will not process, with the error the client gets."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self, headers: dict[str, str] | None = None) -> HTTPResponse:
        return error(self.status, self.code, self.message, headers)


def utf8_json(body: Any) -> str:
    """JSON with characters as they are (UTF-8 on the wire), or escaped if one can't be
    encoded (a lone surrogate): a reply must never fail on what it quotes."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(body, separators=(",", ":"))
    return text


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> HTTPResponse:
    return response.json(body, status=status, headers=headers, dumps=utf8_json)


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> HTTPResponse:
    return json_response({"error": code, "message": message}, status=status, headers=headers)


def json_object(request: Request, example: str) -> dict[str, Any]:
    """The request's JSON object body, or Refused (empty, malformed, binary or not an object)."""
    if len(request.body or b"") > MAX_BODY_BYTES:
        raise Refused(413, "request_too_large", f"Requests can be at most {MAX_BODY_BYTES // 1024} kB.")
    try:
        body = request.json
    except Exception:  # Sanic raises InvalidUsage for malformed JSON; binary is malformed JSON
        body = None
    if not isinstance(body, dict):
        raise Refused(400, "invalid_json", f"Send a JSON object: {example}.")
    return body


def message_text(value: Any, max_length: int) -> str:
    """A visitor's message, made safe to store, or Refused."""
    if not isinstance(value, str):
        raise Refused(400, "invalid_message", "The message must be text.")
    if len(value) > max_length:
        raise Refused(
            413, "message_too_long", f"Messages can be at most {max_length} characters (this one has {len(value)})."
        )
    text = UNSAFE_CHARACTERS.sub(" ", value).strip()
    if not text:
        raise Refused(400, "invalid_message", "The message must be non-empty text.")
    return text


def sender_id(value: Any) -> str:
    if not isinstance(value, str) or not SENDER_ID.fullmatch(value) or not value.strip():
        raise Refused(
            400, "invalid_sender",
            "\"sender\" must be a conversation id: 1 to 128 characters, no control characters.",
        )
    if value.startswith(RESERVED_SENDER_PREFIX):
        raise Refused(403, "reserved_sender",
                      f"Conversation ids starting with \"{RESERVED_SENDER_PREFIX}\" belong to the chat widget.")
    return value


def domain_intent(request: Request, payload: Any) -> str | None:
    """``payload`` if it is "/intent" naming one of the domain's own intents, else None.

    Only such payloads may trigger an intent directly: no entities or slots can be
    injected, and none of Rasa's internal intents (restart, session_start...).
    """
    if not isinstance(payload, str) or not INTENT_PAYLOAD.fullmatch(payload):
        return None
    agent = getattr(request.app.ctx, "agent", None)
    domain = getattr(agent, "domain", None)
    intents = set(getattr(domain, "intents", []) or []) - (set(DEFAULT_INTENTS) - {"out_of_scope"})
    return payload if payload[1:] in intents else None


def typed(text: str) -> str:
    """Typed text goes through NLU: a leading "/" would otherwise trigger an intent."""
    return text.lstrip("/").strip() or text


async def handle(on_new_message: Callable[[UserMessage], Awaitable[Any]], message: UserMessage) -> None:
    """Process one message; a failure behind the channel becomes Refused(503)."""
    try:
        await on_new_message(message)
    except asyncio.CancelledError:
        raise
    # BaseException: Rasa's SQL tracker store turns some store errors into SystemExit
    # (SQLTrackerStore.session_scope); one visitor's message must not stop the server.
    except BaseException as failure:  # noqa: B036
        logger.error(f"Could not process a message on the {message.input_channel} channel: {describe(failure)}")
        raise Refused(503, "unavailable", UNAVAILABLE) from failure


async def read_tracker(request: Request, sender_id: str) -> Any:
    """The stored conversation (None if there is none); a store failure becomes Refused(503)."""
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None:  # no model loaded (yet)
        raise Refused(503, "unavailable", "The conversation can't be loaded right now. Please try again.")
    try:
        return await agent.tracker_store.retrieve(sender_id)
    except asyncio.CancelledError:
        raise
    except BaseException as failure:  # noqa: B036 - SystemExit from Rasa's SQL store, as in handle()
        logger.error(f"Could not read a conversation from the tracker store: {describe(failure)}")
        raise Refused(503, "unavailable", "The conversation can't be loaded right now. Please try again.") from failure


def describe(failure: BaseException) -> str:
    # SQLAlchemy's message includes the SQL and its parameters (the visitor's words):
    # log the driver's own message instead.
    cause = getattr(failure, "orig", None) or failure
    return f"{type(failure).__name__}: {' '.join(str(cause).split())[:300]}"
