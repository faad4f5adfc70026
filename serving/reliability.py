"""What happens when a store or the action server fails (serving/patches.py lists each change).

Rasa 3.6 on its own:

* **Tracker store down.** ``Agent`` wraps the configured store in a
  ``FailSafeTrackerStore``: a failed read returns no tracker (the visitor's conversation
  silently starts over) and a failed write goes to a per-process ``InMemoryTrackerStore``.
  With several replicas that splits conversations between processes and loses them on
  restart, with nothing but a log line to show for it.
* **Action server down or slow.** ``RemoteAction`` waits up to 300 s, then the processor
  logs the error and drops the action's events: the visitor waits, then gets no answer.

Here instead:

* Store errors propagate (patch 'tracker-store-errors-propagate'). The channels
  (``channels/guard.py``) answer the visitor with a clear 503 "please try again", nothing is
  stored anywhere else, and the next message after the store is back continues the stored
  conversation.
* Pooled database connections are checked before use: serving/tracker_store.py (a hook).
* Several replicas share a Redis lock store that is safe for them: serving/locks.py (a hook).
* A custom action gets at most ``action_endpoint.timeout`` seconds (endpoints.yml; patch
  'action-timeout-and-apology'). If it fails or times out, the visitor gets
  ``utter_technical_problem`` (domain.yml) and the conversation carries on; the next question
  is answered as soon as the server is back. One apology per message: after a failure, the
  message's other custom actions are skipped rather than each waiting out the timeout. A
  form's answer that could not be validated is cleared, so the form asks for it again.
"""
import asyncio
import logging
from collections.abc import Callable
from typing import Any

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore
from rasa.shared.core.constants import REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, Event, SlotSet, UserUttered
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)

APOLOGY = "utter_technical_problem"
DEFAULT_ACTION_TIMEOUT = 5.0
FALLBACK_APOLOGY = "Sorry, I couldn't look that up just now. Please try again in a moment."


def action_timeout(action: RemoteAction) -> float:
    endpoint = action.action_endpoint
    value = (endpoint.kwargs.get("timeout") if endpoint else None) or DEFAULT_ACTION_TIMEOUT
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"action_endpoint.timeout in endpoints.yml must be a number of seconds, not {value!r}") from None
    if seconds <= 0:
        raise ValueError(f"action_endpoint.timeout in endpoints.yml must be positive, not {value!r}")
    return seconds


def without_memory_fallback(rasa_create_tracker_store: Callable) -> Callable:
    """Replaces Agent._create_tracker_store: the configured store, not wrapped in a
    FailSafeTrackerStore."""

    def _create_tracker_store(store: TrackerStore | None, domain: Domain) -> TrackerStore:
        if store is None:
            # Only without an endpoints.yml tracker store (e.g. `rasa shell` on its own).
            return InMemoryTrackerStore(domain)
        store.domain = domain
        return store

    return _create_tracker_store


def with_timeout_and_apology(rasa_run: Callable) -> Callable:
    """Replaces RemoteAction.run (Rasa's is `rasa_run`, which this one calls)."""

    async def run(
        self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Domain, *args: Any, **kwargs: Any
    ) -> list[Event]:
        if _apologised_this_turn(tracker):
            # The action server already failed during this message: one apology, and no
            # second wait (a form runs several actions per message).
            logger.error(f"Custom action '{self.name()}' skipped: the action server failed during this message.")
            return _undo_form_answer(self, tracker)
        timeout = action_timeout(self)
        try:
            return await asyncio.wait_for(rasa_run(self, output_channel, nlg, tracker, domain, *args, **kwargs),
                                          timeout)
        except ActionExecutionRejection:
            raise  # a form rejecting a value: Rasa's normal flow, not a failure
        except (asyncio.TimeoutError, RasaException) as error:
            reason = f"no answer within {timeout:g} s" if isinstance(error, asyncio.TimeoutError) else str(error)
            # The conversation id and the visitor's words stay out of the log (personal data).
            logger.error(f"Custom action '{self.name()}' failed ({reason}); the visitor was asked to try again.")
            return [await _apology(nlg, tracker, output_channel), *_undo_form_answer(self, tracker)]

    return run


def _apologised_this_turn(tracker: Any) -> bool:
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, BotUttered) and (event.metadata or {}).get("utter_action") == APOLOGY:
            return True
    return False


def _undo_form_answer(action: RemoteAction, tracker: Any) -> list[Event]:
    """A form's reply that could not be validated is not kept: the form asks again.

    Without this, Rasa keeps the unvalidated text in the slot (e.g. "send it" as the
    confirmation), the form moves on, and the visitor's retry finds it finished.
    """
    requested = tracker.get_slot(REQUESTED_SLOT)
    if action.name().startswith("validate_") and requested:
        return [SlotSet(requested, None)]
    return []


async def _apology(nlg: Any, tracker: Any, output_channel: Any) -> BotUttered:
    channel_name = output_channel.name() if output_channel else ""
    response: dict[str, Any] | None = None
    try:
        response = await nlg.generate(APOLOGY, tracker, channel_name)
    except Exception:  # an NLG server could be down too: never leave the visitor without a reply
        logger.exception("Could not generate the apology response.")
    if not response or not response.get("text"):
        response = {"text": FALLBACK_APOLOGY}
    return create_bot_utterance({**response, "utter_action": APOLOGY})
