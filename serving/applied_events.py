"""A conversation's applied events, with each event's kind looked up by its class once
(serving/patches.py, 'applied-events-by-class').

``DialogueStateTracker.applied_events`` (the events that count: none before the last restart or
new session, none taken back by a rewind or an undo, none of a loop's executions its unhappy path
replaced) is read ~4 times a message: for the policies' states (serving/past_states.py), the
session check and each custom action's copy of the conversation. Rasa asks for every event
whether it is an instance of six Event classes, in turn; Event is an abstract base class, so each
question goes through ABCMeta: ~300 checks for a 10-message conversation, ~0.05 ms a call
(bench/breakdown.py, profiles of a served conversation).

Here each event class's answers are found once, with ``issubclass`` (what ``isinstance`` asks of
an event's class), and kept; the loop is Rasa's, in Rasa's order, with Rasa's own helpers for the
rewinds and the loops' unhappy paths: the same list of the same events.
"""
from collections.abc import Callable
from typing import Any

from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)

# An event's kind, in the order Rasa's loop asks: (first matching of these, is it an ActiveLoop?)
RESTART, ACTION_REVERTED, UTTERANCE_REVERTED, ACTION, OTHER = range(5)
_kinds: dict[type, tuple[int, bool]] = {}


def kind_of(cls: type) -> tuple[int, bool]:
    kind = _kinds.get(cls)
    if kind is None:
        first = (RESTART if issubclass(cls, (Restarted, SessionStarted))
                 else ACTION_REVERTED if issubclass(cls, ActionReverted)
                 else UTTERANCE_REVERTED if issubclass(cls, UserUtteranceReverted)
                 else ACTION if issubclass(cls, ActionExecuted)
                 else OTHER)
        kind = _kinds[cls] = (first, issubclass(cls, ActiveLoop))
    return kind


def by_class(rasa_applied_events: Callable) -> Callable:
    """Replaces DialogueStateTracker.applied_events (Rasa's is `rasa_applied_events`)."""

    def applied_events(self: Any) -> list:
        events = list(self.events)
        kinds = [_kinds.get(type(event)) or kind_of(type(event)) for event in events]
        loop_names = [event.name for event, (_, is_loop) in zip(events, kinds, strict=True) if is_loop and event.name]
        applied: list = []
        for event, (kind, _) in zip(events, kinds, strict=True):
            if kind == RESTART:
                applied = []
            elif kind == ACTION_REVERTED:
                self._undo_till_previous(ActionExecuted, applied)
            elif kind == UTTERANCE_REVERTED:
                # (Rasa's comment: a user message implies the listen before it, rewound too)
                self._undo_till_previous(UserUttered, applied)
                self._undo_till_previous(ActionExecuted, applied)
            elif kind == ACTION and event.action_name in loop_names \
                    and not self._first_loop_execution_or_unhappy_path(event.action_name, applied):
                self._undo_till_previous_loop_execution(event.action_name, applied)
            else:
                applied.append(event)
        return applied

    return applied_events
