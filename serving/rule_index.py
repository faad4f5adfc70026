"""RulePolicy's search for the rules that fit a conversation, checking only the rules that can
(serving/patches.py, 'rules-checked-by-index').

Each message runs the policies at least twice (after the visitor's message, and after each
action), and RulePolicy looks for the rules that fit the conversation twice each time (by the
message's text, then by its intent). Rasa's ``_get_possible_keys`` checks every rule, turn by
turn back from the current one: with the ~185 rules `hooks/faq_rules.py` generates, about 600
rule checks a message, half of the policies' time (bench/breakdown.py, "policies").

A rule fits only a conversation whose current turn has the previous action and the intent of
the rule's last turn, when the rule sets them (``RulePolicy._does_rule_match_state``: a value a
rule sets must be equal in the conversation; a rule that starts a conversation fits only its
start). So the rules are indexed once by those two values, and the rules the index gives for
the current turn, plus those it cannot index (a conversation's start, an action given by text,
a value that must *not* be set), go through Rasa's own ``_is_rule_applicable``, turn by turn,
as before. The rules left out are exactly some of those that Rasa's check of the current turn
rejects, so the set of fitting rules, and everything Rasa derives from it, stays the same.
"""
from collections.abc import Callable
from typing import Any

from rasa.shared.core.constants import PREVIOUS_ACTION, RULE_SNIPPET_ACTION_NAME, SHOULD_NOT_BE_SET, USER
from rasa.shared.nlu.constants import ACTION_NAME, INTENT

State = dict[str, dict[str, Any]]
# previous action -> intent (None: any) -> rule keys; and the rules always checked
RuleIndex = tuple[dict[str, dict[str | None, list[str]]], list[str]]


def _required(value: Any) -> bool:
    """A value a rule requires the conversation to have, the same (not "anything", not "not set")."""
    return isinstance(value, str) and bool(value) and value != SHOULD_NOT_BE_SET


def index_rules(policy: Any, lookup: dict[str, str]) -> RuleIndex:
    """The rules (keys) of ``lookup`` by their last turn's previous action and intent."""
    by_action: dict[str, dict[str | None, list[str]]] = {}
    always_checked: list[str] = []
    for rule_key in lookup:
        rule_states = policy._rule_key_to_state(rule_key)
        last = rule_states[-1] if rule_states else {}
        action = (last.get(PREVIOUS_ACTION) or {}).get(ACTION_NAME)
        if not _required(action) or action == RULE_SNIPPET_ACTION_NAME:
            always_checked.append(rule_key)
            continue
        intent = (last.get(USER) or {}).get(INTENT)
        by_action.setdefault(action, {}).setdefault(intent if _required(intent) else None, []).append(rule_key)
    return by_action, always_checked


def rules_that_can_fit(policy: Any, lookup: dict[str, str], current_state: State) -> list[str]:
    """The rules of ``lookup`` that can fit a conversation whose current turn is ``current_state``:
    every rule that Rasa's check of that turn lets through is among them. The index is built on
    first use and kept with the policy (a new model is a new policy)."""
    indexes = policy.__dict__.setdefault("_serving_rule_indexes", {})
    indexed = indexes.get(id(lookup))
    if indexed is None or indexed[0] is not lookup:
        indexed = indexes[id(lookup)] = (lookup, index_rules(policy, lookup))
    by_action, always_checked = indexed[1]
    action = (current_state.get(PREVIOUS_ACTION) or {}).get(ACTION_NAME)
    of_action = by_action.get(action, {}) if isinstance(action, str) else {}
    intent = (current_state.get(USER) or {}).get(INTENT)
    candidates = always_checked + of_action.get(None, [])
    if isinstance(intent, str):
        candidates += of_action.get(intent, [])
    return candidates


def rules_checked_by_index(rasa_get_possible_keys: Callable) -> Callable:
    """Replaces RulePolicy._get_possible_keys (Rasa's is `rasa_get_possible_keys`)."""

    def _get_possible_keys(self: Any, lookup: dict[str, str], states: list[State]) -> set[str]:
        if not states:
            return rasa_get_possible_keys(self, lookup, states)
        # Rasa's own check, turn by turn back from the current one, on the rules that can fit.
        possible_keys = set(rules_that_can_fit(self, lookup, states[-1]))
        for i, state in enumerate(reversed(states)):
            if not possible_keys:
                break
            possible_keys = {key for key in possible_keys if self._is_rule_applicable(key, i, state)}
        return possible_keys

    return _get_possible_keys
