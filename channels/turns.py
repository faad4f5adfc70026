"""What a turn's answer means for the visitor's details, on both public channels.

``TurnCollector`` collects the bot's messages like Rasa's ``CollectingOutputChannel``,
and also the names of the responses sent (``utter_request_cancelled``...). From them:

- a request that was cancelled, declined (no consent) or could not be stored deletes the
  details the visitor typed from the stored conversation at once (``forget_declined``),
  rather than keeping them for the retention period;
- a request sent or cancelled ends the widget's session (the widget starts afresh).

The deletion runs after Rasa has saved the turn, and only rewrites events of earlier
turns in place (leads/conversations.py), so the conversation goes on normally.
"""
import asyncio
import logging
import os
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel

from channels.guard import describe
from leads import privacy
from leads.conversations import store_for

logger = logging.getLogger(__name__)


class TurnCollector(CollectingOutputChannel):
    def __init__(self) -> None:
        super().__init__()
        self.responses: set[str] = set()

    async def send_response(self, recipient_id: str, message: Any) -> None:
        name = message.get("utter_action") if isinstance(message, dict) else None
        if name:
            self.responses.add(name)
        await super().send_response(recipient_id, message)

    @property
    def declined_a_request(self) -> bool:
        return bool(self.responses & privacy.DECLINED_RESPONSES)

    @property
    def closed_a_request(self) -> bool:
        return bool(self.responses & privacy.CLOSING_RESPONSES)


async def forget_declined(collector: TurnCollector, sender_id: str) -> None:
    """Deletes the details of a request that will not be passed on. Never raises: the
    visitor has their answer; the retention purge deletes the conversation later anyway."""
    url = os.environ.get("TRACKER_STORE_URL")
    if not collector.declined_a_request or not url:
        return
    try:
        scrubbed = await asyncio.get_running_loop().run_in_executor(None, store_for(url).scrub_details, sender_id)
        logger.info(f"Deleted the details of a request that was not passed on ({scrubbed} event(s)).")
    except Exception as failure:  # noqa: BLE001
        logger.error(f"Could not delete the details of a declined request: {describe(failure)}")
