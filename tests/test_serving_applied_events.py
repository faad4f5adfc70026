"""serving/applied_events.py: the applied events of a conversation, with each event's kind looked up
by its class, are the events Rasa's own applied_events gives, in the same order (serving/patches.py,
'applied-events-by-class')."""
import random

import pytest
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    BotUttered,
    LoopInterrupted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from serving import patches

CHANGE = "applied-events-by-class"
FORM = "consultation_form"


def random_events(rng: random.Random) -> list:
    """A conversation of any shape: messages, actions, a form that starts, is rejected, interrupted and
    stops, rewinds and undos, restarts and new sessions, in any order."""
    palette = [
        lambda: ActionExecuted("action_listen"),
        lambda: UserUttered("hi", {"name": rng.choice(["greet", "inform", "ask_cost"]), "confidence": 1.0}),
        lambda: ActionExecuted(rng.choice(["action_answer_faq", "utter_greet", FORM, "other_form"])),
        lambda: ActiveLoop(rng.choice([FORM, "other_form", None])),
        lambda: ActionExecutionRejected(rng.choice([FORM, "other_form"])),
        lambda: LoopInterrupted(rng.choice([True, False])),
        lambda: UserUtteranceReverted(),
        lambda: ActionReverted(),
        lambda: Restarted(),
        lambda: SessionStarted(),
        lambda: SlotSet("last_topic", "cost"),
        lambda: BotUttered("hello"),
    ]
    weights = [6, 6, 8, 3, 2, 1, 1, 1, 0.3, 0.3, 2, 3]
    return [rng.choices(palette, weights)[0]() for _ in range(rng.randrange(1, 60))]


@pytest.fixture
def rasas_own():
    change = patches.by_name(CHANGE)
    rasas = DialogueStateTracker.applied_events
    patches.apply([change])
    assert DialogueStateTracker.applied_events is not rasas
    yield rasas
    change.undo()
    assert DialogueStateTracker.applied_events is rasas


def test_the_same_applied_events_as_rasa(rasas_own):
    rng = random.Random(16)
    shapes = set()
    for _ in range(3000):
        tracker = DialogueStateTracker("visitor", [])
        for event in random_events(rng):
            tracker.events.append(event)  # (as they were stored: the tracker's state is not what is compared)
        ours, theirs = tracker.applied_events(), rasas_own(tracker)
        assert len(ours) == len(theirs) and all(a is b for a, b in zip(ours, theirs, strict=True)), \
            [e.as_dict()["event"] for e in tracker.events]
        rewound = any(isinstance(e, (UserUtteranceReverted, ActionReverted, Restarted, SessionStarted))
                      for e in tracker.events)
        shapes.add("restarted" if not theirs else "rewound" if rewound and len(theirs) < len(tracker.events)
                   else "a loop's execution undone" if len(theirs) < len(tracker.events) else "as it was")
    assert shapes == {"restarted", "rewound", "a loop's execution undone", "as it was"}  # (each happened)
