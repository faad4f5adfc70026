"""The REST channel, validated: POST /webhooks/rest/webhook {"sender": "...", "message": "..."}.

The same URL, request and reply as Rasa's own REST channel (a list of bot messages),
for integrations and `make shell`-style clients. What differs is hostile or broken
input and failures, which Rasa 3.6's channel turns into a 500 (empty or non-JSON body)
or into an empty 200 reply with the visitor's text in the error log (store down):

  - the body must be a JSON object with "sender" (1-128 characters) and "message"
    (non-empty text, at most max_message_length characters): otherwise a 4xx JSON error;
  - control characters are removed; typed "/intent" works only for the domain's own
    intents (no entities, no /restart or /session_start), other "/" text goes to NLU;
  - a store failure is a 503 JSON error, logged without the visitor's words.

There is no streaming mode. Unlike the widget, the caller chooses the conversation id,
so the channel is not public: it answers requests from this machine (loopback) only,
unless REST_TOKEN is set and the caller sends it (``Authorization: Bearer <token>``).
Anyone else gets a 403 JSON error. A request that came through a proxy (it carries
Forwarded, X-Forwarded-For or X-Real-IP) is not from this machine, whatever its address.
Visitors' browsers use the widget, which issues its own signed ids.
"""
import hmac
import ipaddress
import os
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import guard, turns
from channels.secret_strength import require_strong

EXAMPLE = '{"sender": "visitor-42", "message": "how much does it cost?"}'
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")
NOT_PUBLIC = (
    "The REST channel answers only this machine. Other callers need REST_TOKEN, sent as "
    "'Authorization: Bearer <token>'. Visitors' browsers use the chat widget (/webhooks/widget/)."
)


def from_this_machine(request: Request) -> bool:
    """The connection comes from loopback, directly (not relayed by a proxy)."""
    if any(request.headers.get(name) for name in FORWARDING_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(request.ip or "")  # the socket's peer, never a header
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1
    return (mapped or address).is_loopback


def bearer_token_matches(request: Request, token: str | None) -> bool:
    if not token:
        return False
    sent = request.headers.get("authorization") or ""
    scheme, _, value = sent.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


class ValidatedRestInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "rest"  # same URL as Rasa's REST channel: /webhooks/rest/webhook

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(**(credentials or {}))

    def __init__(self, max_message_length: int = 1000) -> None:
        self.max_message_length = int(max_message_length)
        self.token = os.environ.get("REST_TOKEN") or None
        if self.token:
            require_strong("REST_TOKEN", self.token)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        rest = Blueprint("validated_rest_webhook", __name__)

        @rest.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return guard.json_response({"status": "ok"})

        @rest.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not from_this_machine(request) and not bearer_token_matches(request, self.token):
                return guard.error(403, "not_public", NOT_PUBLIC)
            try:
                body = guard.json_object(request, EXAMPLE)
                sender = guard.sender_id(body.get("sender"))
                text = guard.message_text(body.get("message"), self.max_message_length)
                metadata = body.get("metadata")
                if metadata is not None and not isinstance(metadata, dict):
                    raise guard.Refused(400, "invalid_metadata", "\"metadata\" must be a JSON object.")
                collector = turns.TurnCollector()
                await guard.handle(on_new_message, UserMessage(
                    guard.domain_intent(request, text) or guard.typed(text), collector, sender,
                    input_channel=self.name(), metadata=metadata,
                ))
            except guard.Refused as refused:
                return refused.response()
            await turns.forget_declined(collector, sender)
            return guard.json_response(collector.messages)

        return rest
