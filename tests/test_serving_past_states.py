"""serving/past_states.py: a conversation's states, extended rather than rebuilt, are the states
Rasa computes, after every event of every rule, story and test story, and RulePolicy predicts the
same (serving/patches.py, 'past-states-extended')."""
from pathlib import Path

import pytest

from paths import ROOT
from serving import patches

CHANGE = "past-states-extended"


@pytest.fixture(scope="module")
def policy_and_domain(model_path: Path):
    """The model's RulePolicy, as Rasa loads it, and the model's domain."""
    from rasa.core.agent import Agent
    from rasa.core.policies.rule_policy import RulePolicy

    agent = Agent.load(str(model_path))
    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    [policy] = [node._component for node in nodes if isinstance(node._component, RulePolicy)]
    return policy, agent.domain


@pytest.fixture(scope="module")
def conversations(policy_and_domain) -> list[list]:
    """The applied events of every tracker of data/ (the stories, and the rules hooks/faq_rules.py adds)
    and of tests/test_stories.yml."""
    from rasa.shared.core.generator import TrainingDataGenerator
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    from rasa.shared.core.training_data.structures import StoryGraph
    from rasa.shared.importers.importer import TrainingDataImporter

    _, domain = policy_and_domain
    importer = TrainingDataImporter.load_from_config(str(ROOT / "config.yml"), str(ROOT / "domain.yml"),
                                                     [str(ROOT / "data")])
    test_stories = StoryGraph(YAMLStoryReader(domain).read_from_file(str(ROOT / "tests" / "test_stories.yml")))
    return [tracker.applied_events() for graph in (importer.get_stories(), test_stories)
            for tracker in TrainingDataGenerator(graph, domain, augmentation_factor=0).generate()]


@pytest.fixture
def patched():
    from rasa.shared.core.domain import Domain

    change = patches.by_name(CHANGE)
    rasas_own = Domain.states_for_tracker_history
    patches.apply([change])
    assert Domain.states_for_tracker_history is not rasas_own
    yield rasas_own
    change.undo()
    assert Domain.states_for_tracker_history is rasas_own


def states_after_each_event(domain, rasas_own, events: list, max_event_history: int | None = None) -> int:
    """Feeds the events one by one to a tracker, as a served conversation grows, and after each compares
    the states with Rasa's (unset slots omitted, and not); returns how many states were compared."""
    from rasa.shared.core.trackers import DialogueStateTracker

    compared = 0
    for omit_unset_slots in (False, True):
        tracker = DialogueStateTracker("visitor", domain.slots, max_event_history)
        for event in events:
            tracker.update(event)
            ours = domain.states_for_tracker_history(tracker, omit_unset_slots)
            assert ours == rasas_own(domain, tracker, omit_unset_slots), (event, omit_unset_slots)
            compared += len(ours)
            if ours and ours[-1]:
                ours[-1].clear()  # (a caller changing its copy changes no one else's)
                next(iter(domain.states_for_tracker_history(tracker, omit_unset_slots)[-1].values())).clear()
                assert domain.states_for_tracker_history(tracker, omit_unset_slots) == \
                    rasas_own(domain, tracker, omit_unset_slots)
    return compared


@pytest.mark.model
def test_the_same_states_as_rasa_turn_by_turn(policy_and_domain, conversations, patched, monkeypatch):
    from rasa.shared.core.trackers import DialogueStateTracker

    _, domain = policy_and_domain
    rasas_own = patched
    compared = sum(states_after_each_event(domain, rasas_own, events) for events in conversations)
    assert compared > 5000
    # Extended, not rebuilt: Rasa replays the conversation from a new tracker for each look-up; here one
    # replay per tracker.
    replays = []
    init_copy = DialogueStateTracker.init_copy
    monkeypatch.setattr(DialogueStateTracker, "init_copy", lambda self: replays.append(self) or init_copy(self))
    for events in conversations:
        tracker = DialogueStateTracker("visitor", domain.slots)
        for event in events:
            tracker.update(event)
            domain.states_for_tracker_history(tracker)
    assert len(replays) == len(conversations)


@pytest.mark.model
def test_a_rewound_or_restarted_conversation_is_rebuilt(policy_and_domain, conversations, patched):
    """Events that change the applied events (a message or an action taken back, a restart, a new session),
    and a tracker that forgets its oldest events: the same states as Rasa's after each event."""
    from rasa.shared.core.events import (
        ActionExecuted,
        ActionReverted,
        Restarted,
        SessionStarted,
        UserUtteranceReverted,
        UserUttered,
    )

    _, domain = policy_and_domain
    rasas_own = patched
    longest = sorted(conversations, key=len)[-20:]
    for events in longest:
        for position, inserted in ((3, [UserUtteranceReverted()]), (4, [ActionReverted()]), (5, [Restarted()]),
                                   (len(events) // 2, [ActionExecuted("action_session_start"), SessionStarted()]),
                                   (len(events) - 1, [UserUttered("hi", {"name": "greet", "confidence": 1.0}),
                                                      UserUtteranceReverted(), ActionReverted()])):
            changed = events[:position] + inserted + events[position:]
            assert states_after_each_event(domain, rasas_own, changed) > 0
        assert states_after_each_event(domain, rasas_own, events, max_event_history=6) > 0


@pytest.mark.model
def test_the_same_predictions_as_rasa_on_the_stories(policy_and_domain, conversations, patched):
    """RulePolicy's predictions before every action, on a tracker that grows as a served conversation does
    (its look-ups by text, then by intent); and ML policies' look-ups (rule-only turns left out) are Rasa's."""
    from rasa.shared.core.events import ActionExecuted
    from rasa.shared.core.trackers import DialogueStateTracker

    from serving.past_states import KEPT

    policy, domain = policy_and_domain
    rasas_own = patched

    def predictions() -> list:
        found = []
        for events in conversations:
            tracker = DialogueStateTracker("visitor", domain.slots)
            for event in events:
                if isinstance(event, ActionExecuted):
                    found.append(policy._predict(tracker, domain))
                tracker.update(event)
        return found

    ours = predictions()
    change = patches.by_name(CHANGE)
    change.undo()
    try:
        theirs = predictions()
    finally:
        patches.apply([change])
    assert len(ours) > 400 and ours == theirs

    tracker = DialogueStateTracker("visitor", domain.slots)
    for event in max(conversations, key=len):
        tracker.update(event)
    rule_only = policy._get_rule_only_data()
    assert domain.states_for_tracker_history(tracker, False, True, rule_only) == \
        rasas_own(domain, tracker, False, True, rule_only)
    assert KEPT not in tracker.__dict__
