"""Accuracy on the held-out phrasings (tests/nlu_holdout.yml): the intent the model predicts
(in-process), and whether the reply a served assistant sends is the answer for that intent."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def answer_key() -> dict[str, str]:
    """reply text -> the intent whose answer it is (all entity variants included)."""
    import yaml

    from actions import answers, registry, vocabulary

    keys = {}
    for intent, faq in registry.load().items():
        keys[faq.answer()] = intent
    for n in range(0, vocabulary.MAX_TREATMENTS + 1):
        keys[answers.cost(n)] = "ask_cost"
    for term in [t for ts in vocabulary.CONDITION_TERMS.values() for t in ts] + vocabulary.UNLISTED_CONDITIONS:
        keys[answers.conditions(term)] = "ask_conditions"
    for term in [t for ts in vocabulary.AREA_TERMS.values() for t in ts] + vocabulary.UNLISTED_AREAS:
        keys[answers.body_areas(term)] = "ask_body_areas"
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    responses = {"utter_greet": "greet", "utter_goodbye": "goodbye", "utter_youre_welcome": "thanks",
                 "utter_iamabot": "bot_challenge", "utter_contact_clinic": "contact_clinic",
                 "utter_deny": "deny", "utter_out_of_scope": "out_of_scope"}
    for response, intent in responses.items():
        keys[domain["responses"][response][0]["text"]] = intent
    return keys


def answerable(examples: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The examples whose reply can be checked on its own. Replies within the consultation form
    (affirm, cancel, inform, change_detail) only mean something in its context: measured by
    tests/test_consultation.py instead."""
    intents = set(answer_key().values())
    return [(text, intent) for text, intent in examples if intent in intents]


def answer_accuracy(examples: list[tuple[str, str]], replies: list[str | None]) -> float:
    keys = answer_key()
    right = sum(reply is not None and keys.get(reply) == intent
                for (_, intent), reply in zip(examples, replies, strict=True))
    return right / len(examples)


def blind_questions() -> dict[str, list[dict]]:
    """The blind sets' held-out questions asked alone (tests/eval/heldout/): what visitors really
    send, written by people who never saw the training data."""
    from trainer.blind_eval import load_set

    return {name: load_set("heldout", name) for name in ("real_style", "other_treatments")}


def real_style_accuracy(items: list[dict], replies: list[str | None]) -> float:
    """The right answer, or an honest "the documents don't say" where they don't (make eval's rule)."""
    from trainer.blind_eval import right_reply
    from trainer.replies import Catalogue

    catalogue = Catalogue()
    right = sum(reply is not None and right_reply(item["expect"], item.get("mentions"), catalogue.kind_of(reply), reply)
                for item, reply in zip(items, replies, strict=True))
    return right / len(items)


def facts_given(replies: list[list[str]]) -> float:
    """The share of questions (about other treatments) whose replies state a micro-needling fact."""
    from trainer.replies import Catalogue

    catalogue = Catalogue()
    return sum(any(catalogue.kind_of(reply).states_facts for reply in replied) for replied in replies) / len(replies)
