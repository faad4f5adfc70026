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

There is no streaming mode. Unlike the widget, anyone who can reach this URL may use any
conversation id: keep it for trusted clients, or remove it from credentials.yml.
"""
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import guard

EXAMPLE = '{"sender": "visitor-42", "message": "how much does it cost?"}'


class ValidatedRestInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "rest"  # same URL as Rasa's REST channel: /webhooks/rest/webhook

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(**(credentials or {}))

    def __init__(self, max_message_length: int = 1000) -> None:
        self.max_message_length = int(max_message_length)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        rest = Blueprint("validated_rest_webhook", __name__)

        @rest.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @rest.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = guard.json_object(request, EXAMPLE)
                sender = guard.sender_id(body.get("sender"))
                text = guard.message_text(body.get("message"), self.max_message_length)
                metadata = body.get("metadata")
                if metadata is not None and not isinstance(metadata, dict):
                    raise guard.Refused(400, "invalid_metadata", "\"metadata\" must be a JSON object.")
                collector = CollectingOutputChannel()
                await guard.handle(on_new_message, UserMessage(
                    guard.domain_intent(request, text) or guard.typed(text), collector, sender,
                    input_channel=self.name(), metadata=metadata,
                ))
            except guard.Refused as refused:
                return refused.response()
            return response.json(collector.messages)

        return rest
