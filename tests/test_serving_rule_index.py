"""serving/rule_index.py: RulePolicy, checking only the rules that can fit, predicts what Rasa's
own RulePolicy predicts, on every turn of every rule, story and test story (serving/patches.py,
'rules-checked-by-index')."""
from pathlib import Path

import pytest

from paths import ROOT
from serving import patches
from serving.rule_index import index_rules, rules_that_can_fit

CHANGE = "rules-checked-by-index"


@pytest.fixture(scope="module")
def policy_and_domain(model_path: Path):
    """The model's RulePolicy, as Rasa loads it, and the model's domain."""
    from rasa.core.agent import Agent
    from rasa.core.policies.rule_policy import RulePolicy

    agent = Agent.load(str(model_path))
    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    policies = [node._component for node in nodes if isinstance(node._component, RulePolicy)]
    assert len(policies) == 1
    return policies[0], agent.domain


@pytest.fixture(scope="module")
def turns(policy_and_domain) -> list:
    """The conversation before each action of every tracker of data/ (the stories, and the rules
    hooks/faq_rules.py adds) and of tests/test_stories.yml, as RulePolicy's own checks replay them."""
    from rasa.shared.core.events import ActionExecuted
    from rasa.shared.core.generator import TrainingDataGenerator
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    from rasa.shared.core.training_data.structures import StoryGraph
    from rasa.shared.importers.importer import TrainingDataImporter

    _, domain = policy_and_domain
    importer = TrainingDataImporter.load_from_config(str(ROOT / "config.yml"), str(ROOT / "domain.yml"),
                                                     [str(ROOT / "data")])
    test_stories = StoryGraph(YAMLStoryReader(domain).read_from_file(str(ROOT / "tests" / "test_stories.yml")))
    found = []
    for graph in (importer.get_stories(), test_stories):
        for tracker in TrainingDataGenerator(graph, domain, augmentation_factor=0).generate():
            running = DialogueStateTracker(tracker.sender_id, domain.slots)
            for event in tracker.applied_events():
                if isinstance(event, ActionExecuted):
                    found.append(running.copy())
                running.update(event)
    return found


def _predictions(policy, domain, turns) -> list:
    return [policy._predict(turn, domain) for turn in turns]


@pytest.mark.model
def test_the_same_predictions_as_rasas_rule_policy(policy_and_domain, turns):
    from rasa.core.policies.rule_policy import RulePolicy

    policy, domain = policy_and_domain
    rasas_own = _predictions(policy, domain, turns)
    change = patches.by_name(CHANGE)
    patches.apply([change])
    try:
        assert RulePolicy._get_possible_keys is not change.relies_on[0].resolve()[2]
        ours, again = _predictions(policy, domain, turns), _predictions(policy, domain, turns)
    finally:
        change.undo()
    differing = sum(mine != theirs for mine, theirs in zip(ours, rasas_own, strict=True))
    assert differing == 0, f"{differing} of {len(turns)} predictions differ"
    assert again == rasas_own  # (the second time with the index built)
    # Not a vacuous comparison: a turn or more per rule, and many rules made the prediction (a rule that
    # is the start of a longer one is not the one named when both fit), inside the form too.
    rules = policy.lookup["rules"]
    by_rules = {source for _, source in rasas_own if source in rules}
    assert len(turns) > len(rules) and len(by_rules) > 0.4 * len(rules), (len(turns), len(by_rules))
    assert any(turn.active_loop_name for turn in turns)


@pytest.mark.model
def test_the_rules_left_unchecked_are_rules_that_do_not_fit(policy_and_domain, turns):
    """Every rule Rasa's check of the current turn lets through is among those checked, on every
    turn, read by its text and by its intent; the index holds every rule once."""
    policy, domain = policy_and_domain
    for lookup in (policy.lookup["rules"], policy.lookup["rules_for_loop_unhappy_path"]):
        by_action, always_checked = index_rules(policy, lookup)
        indexed = [key for of_action in by_action.values() for keys in of_action.values() for key in keys]
        assert sorted(indexed + always_checked) == sorted(lookup)
        left_out = 0
        for turn in turns:
            for use_text in (False, True):
                states = policy._prediction_states(turn, domain, use_text, rule_only_data=policy._get_rule_only_data())
                fit_now = {key for key in lookup if policy._is_rule_applicable(key, 0, states[-1])}
                can_fit = set(rules_that_can_fit(policy, lookup, states[-1]))
                assert fit_now <= can_fit, fit_now - can_fit
                left_out += len(lookup) - len(can_fit)
        assert left_out > 0  # (the index does leave rules out)
