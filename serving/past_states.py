"""A conversation's past states, extended rather than rebuilt within a message
(serving/patches.py, 'past-states-extended').

RulePolicy predicts from the conversation's states: one per turn, each the state of the
conversation before that turn's action (``Domain.states_for_tracker_history``). Rasa rebuilds
them for every look-up: it replays every applied event onto a new tracker, from the session's
start, and reads the state before each action. A message asks ~3 times (after the visitor's
message, by text and by intent; after each action), on the same tracker with a few events added
in between: ~0.5 ms a message of the policies' ~0.75 (bench/breakdown.py).

Here the tracker keeps what its last look-up computed: its events, the applied ones, their states,
and the replayed tracker. The same events (asked again, by intent after by text) give the same
states. When the tracker's applied events still begin with those very event objects (Rasa appends
events; a rewind, a restart or a new session changes the applied events, and then everything is
rebuilt), only the events added since are replayed, onto the same replayed tracker, in Rasa's
order and with Rasa's own functions, so the states are those Rasa computes.
Each caller gets its own copy of the states' dictionaries (callers change them: RulePolicy
drops the intent or the text of the last one). A look-up that leaves out rule-only turns
(ML policies; its states depend on the turns before) is Rasa's own, as is any tracker class
other than Rasa's DialogueStateTracker.
"""
from collections.abc import Callable
from typing import Any

from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker

State = dict[str, dict[str, Any]]
# Set on a tracker: (domain, omit_unset_slots, its events, the applied ones, their states, the replayed tracker)
KEPT = "_serving_past_states"


def _copied(states: list[State]) -> list[State]:
    # (the sub-states' values are strings and tuples)
    return [{part: dict(sub_state) for part, sub_state in state.items()} for state in states]


def states_extended(rasa_states_for_tracker_history: Callable) -> Callable:
    """Replaces Domain.states_for_tracker_history (Rasa's is `rasa_states_for_tracker_history`)."""

    def states_for_tracker_history(self: Any, tracker: Any, omit_unset_slots: bool = False,
                                   ignore_rule_only_turns: bool = False,
                                   rule_only_data: dict[str, Any] | None = None) -> list[State]:
        if ignore_rule_only_turns or type(tracker) is not DialogueStateTracker:
            return rasa_states_for_tracker_history(self, tracker, omit_unset_slots, ignore_rule_only_turns,
                                                   rule_only_data)
        events = list(tracker.events)
        kept = tracker.__dict__.get(KEPT)
        if kept is not None and (kept[0] is not self or kept[1] != omit_unset_slots):
            kept = None
        if kept is not None and len(kept[2]) == len(events) and all(
                old is new for old, new in zip(kept[2], events, strict=True)):
            return _copied(kept[4])  # (the same events: asked again, by intent after by text)
        applied = tracker.applied_events()
        if kept is not None and len(kept[3]) <= len(applied) \
                and all(old is new for old, new in zip(kept[3], applied, strict=False)):
            _, _, _, done, states, replayed = kept
            states = states[:-1]  # (the whole tracker's state: the next action's turn recomputes it)
        else:
            done, states, replayed = [], [], tracker.init_copy()
        # What Rasa's loop does (generate_all_prior_trackers), from where the last look-up stopped.
        for event in applied[len(done):]:
            if isinstance(event, ActionExecuted):
                states.append(self._clean_state(self.get_active_state(replayed, omit_unset_slots=omit_unset_slots)))
            replayed.update(event)
        states.append(self._clean_state(self.get_active_state(replayed, omit_unset_slots=omit_unset_slots)))
        tracker.__dict__[KEPT] = (self, omit_unset_slots, events, applied, states, replayed)
        return _copied(states)

    return states_for_tracker_history
