"""The project's own consistency checks, run by `make validate` after `rasa data validate`.

Each problem names the file, the intent and what to do, in words a trainer who knows
YAML (not Rasa's internals) can act on. Usage:

    python -m trainer.validate [--root PROJECT_DIR]

Exit status 0 when everything is consistent, 1 when a problem was found.
"""
import argparse
import importlib.util
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import yaml
from rasa.shared.core.constants import DEFAULT_ACTION_NAMES

ROOT = Path(__file__).resolve().parent.parent
GUIDE = "docs/training.md"


@dataclass(frozen=True)
class Problem:
    file: str
    intent: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}" + (f", intent '{self.intent}'" if self.intent else "")
        return f"{where}:\n    {self.message}"


def normalised(text: str) -> str:
    """Examples compare equal ignoring case, punctuation and extra spaces."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def load_yaml(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def nlu_examples(path: Path) -> dict[str, list[str]]:
    examples: dict[str, list[str]] = defaultdict(list)
    for block in load_yaml(path).get("nlu", []) or []:
        if "intent" in block:
            for line in str(block.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    examples[block["intent"]].append(line[2:].strip())
    return examples


def rule_answers(root: Path) -> dict[str, tuple[str, str]]:
    """intent -> (the action that answers it, the file of that rule/story)."""
    answers: dict[str, tuple[str, str]] = {}
    for path in sorted((root / "data").glob("*.yml")):
        content = load_yaml(path)
        for flow in (content.get("rules") or []) + (content.get("stories") or []):
            steps = flow.get("steps") or []
            for step, following in pairwise(steps):
                if "intent" in step and "action" in following:
                    answers.setdefault(step["intent"], (following["action"], str(path.relative_to(root))))
    return answers


def load_module(root: Path, name: str):
    """actions.<name> from the project under ``root`` (so checks can run on a copy)."""
    sys.path.insert(0, str(root))
    try:
        for cached in [m for m in sys.modules if m == "actions" or m.startswith("actions.")]:
            del sys.modules[cached]
        spec = importlib.util.spec_from_file_location(f"actions.{name}", root / "actions" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(root))


def check(root: Path = ROOT) -> list[Problem]:
    settings = load_yaml(root / "trainer.yml")
    min_examples = int(settings.get("min_training_examples", 15))
    min_held_out = int(settings.get("min_held_out_phrasings", 5))
    unanswered: set[str] = set(settings.get("deliberately_unanswered") or [])
    seeds = (root / settings.get("seeds", "sources")).resolve()

    problems: list[Problem] = []
    domain = load_yaml(root / "domain.yml")
    intents = [i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents", [])]
    responses = set((domain.get("responses") or {}).keys())
    custom_actions = set(domain.get("actions") or [])
    answered_by = rule_answers(root)

    training: dict[str, dict[str, list[str]]] = {}
    for path in sorted((root / "data" / "nlu").glob("*.yml")):
        training[str(path.relative_to(root))] = nlu_examples(path)
    held_out_file = "tests/nlu_holdout.yml"
    held_out = nlu_examples(root / held_out_file)

    answers = load_module(root, "answers")
    facts = load_module(root, "facts")
    registry = load_module(root, "registry")
    faqs = registry.load(root / "data" / "faqs.yml")
    context = load_module(root, "context")
    for intent in [*faqs, context.FOLLOW_UP]:  # their rules are generated (hooks/faq_rules.py)
        answered_by.setdefault(intent, ("action_answer_faq", registry.REGISTRY_NAME))

    # 1. Every intent is answered, or deliberately left unanswered.
    for intent in intents:
        if intent in unanswered:
            continue
        if intent not in answered_by:
            problems.append(Problem("domain.yml", intent,
                f"Nothing answers this intent. If the clinic's documents answer it, add an entry for it to "
                f"{registry.REGISTRY_NAME} (see {GUIDE}, step 2). If another reply fits, add a rule in "
                f"data/rules_conversation.yml. If it is meant to go unanswered, list it under "
                f"'deliberately_unanswered' in trainer.yml."))
            continue
        action, rule_file = answered_by[intent]
        if action.startswith("utter_") and action not in responses:
            problems.append(Problem(rule_file, intent,
                f"The rule answers with '{action}', but domain.yml has no response of that name. "
                f"Add it under 'responses:' in domain.yml, or fix the name in the rule."))
        elif not action.startswith("utter_") and action not in custom_actions and action not in DEFAULT_ACTION_NAMES:
            problems.append(Problem(rule_file, intent,
                f"The rule answers with '{action}', but domain.yml does not list that action under 'actions:'."))

    # 2. The registry: every entry is in the domain, has examples, and its answer renders
    #    from facts that exist; every fact is used by some answer.
    problems += registry_problems(faqs, registry, answers, facts, intents, domain, training, root)

    # 3. Enough training examples and held-out phrasings for every FAQ intent.
    counts = defaultdict(int)
    for examples in training.values():
        for intent, lines in examples.items():
            counts[intent] += len(lines)
    for intent in intents:
        if not intent.startswith("ask_"):
            continue
        if counts[intent] < min_examples:
            problems.append(Problem("data/nlu/", intent,
                f"Only {counts[intent]} training examples; write at least {min_examples}, in the words visitors use "
                f"(typos, short fragments, full questions)."))
        if len(held_out[intent]) < min_held_out:
            problems.append(Problem(held_out_file, intent,
                f"Only {len(held_out[intent])} held-out test phrasings; add at least {min_held_out} that are NOT in "
                f"the training data, so `make eval` can measure this intent."))
    for intent in set(counts) | set(held_out):
        if intent not in intents:
            problems.append(Problem("domain.yml", intent,
                "Examples use this intent, but domain.yml does not list it under 'intents:'. Add it there."))

    # 4. No example under two intents; no held-out phrasing in the training data.
    seen: dict[str, tuple[str, str, str]] = {}
    for file, examples in training.items():
        for intent, lines in examples.items():
            for line in lines:
                key = normalised(line)
                if key in seen and seen[key][1] != intent:
                    other_file, other_intent, other_line = seen[key]
                    problems.append(Problem(file, intent,
                        f"The example '{line}' also appears under intent '{other_intent}' ({other_file}: "
                        f"'{other_line}'). Keep it under one intent only."))
                seen.setdefault(key, (file, intent, line))
    for intent, lines in held_out.items():
        for line in lines:
            if normalised(line) in seen:
                file, trained_intent, _ = seen[normalised(line)]
                problems.append(Problem(held_out_file, intent,
                    f"The test phrasing '{line}' is also a training example ({file}, intent '{trained_intent}'). "
                    f"Test phrasings must be new to the model: reword it or remove it from one of the files."))

    # 5. Every fact's quote stands verbatim in its seed document.
    problems += quote_problems(facts.all_facts(), seeds)

    # 6. The labelled conversations the context model learns from name intents of the domain.
    problems += conversation_problems(root, intents)

    return problems


def conversation_problems(root: Path, intents: list[str]) -> list[Problem]:
    from hooks.context_model import ConversationsError, load_conversations

    file = "data/conversations.yml"
    try:
        conversations = load_conversations(root / file)
    except ConversationsError as error:
        return [Problem(file, "", str(error))]
    return [Problem(file, c.intent,
                    f"The conversation ending '{c.message}' names an intent that domain.yml does not list. "
                    f"Use one of domain.yml's intents (for example ask_cost, ask_not_covered, out_of_scope).")
            for c in conversations if c.intent not in intents]


def registry_problems(faqs, registry, answers, facts, intents, domain, training, root) -> list[Problem]:
    """What is wrong with data/faqs.yml, each with what to do about it."""
    problems: list[Problem] = []
    where = registry.REGISTRY_NAME
    entities = set(domain.get("entities") or [])
    trained = {intent for examples in training.values() for intent in examples}
    used: set[str] = set()
    for intent, faq in faqs.items():
        if not intent:
            problems.append(Problem(where, "", "An entry has no 'intent:'. Give every entry its intent's name."))
            continue
        if intent not in intents:
            problems.append(Problem(where, intent,
                f"domain.yml does not list this intent. Add the line '  - {intent}' under 'intents:' in domain.yml."))
        if intent not in trained:
            problems.append(Problem(where, intent,
                f"This entry has no training examples. Add them under '- intent: {intent}' in a file of "
                f"data/nlu/ (see {GUIDE}, step 3)."))
        if not faq.title:
            problems.append(Problem(where, intent,
                "This entry has no 'title:'. Add a short button title, e.g. 'title: Cost'."))
        if bool(faq.template) == bool(faq.compute):
            problems.append(Problem(where, intent,
                "Give this entry exactly one of 'answer:' (a template over facts) or 'compute:' (an answer "
                "computed in actions/answers.py)."))
        if faq.compute and faq.compute not in answers.COMPUTED:
            problems.append(Problem(where, intent,
                f"'compute: {faq.compute}' is not an answer actions/answers.py computes. Use one of: "
                f"{', '.join(sorted(answers.COMPUTED))}, or write the answer as a template under 'answer:'."))
        for entity in faq.takes:
            if entity not in entities:
                problems.append(Problem(where, intent,
                    f"'takes: {entity}' is not an entity in domain.yml. Use one of: {', '.join(sorted(entities))}."))
        if faq.extra:
            problems.append(Problem(where, intent,
                f"Unknown key(s) {', '.join(sorted(faq.extra))}. The keys are intent, title, answer, compute, "
                f"takes, unnamed, subject, offer_consultation and not_covered_when (see the top of {where})."))
        for entity in faq.unnamed:
            if entity not in faq.takes:
                problems.append(Problem(where, intent,
                    f"'unnamed: {entity}' is for an entity the entry takes: add 'takes: [{entity}]'."))
        if faq.template:
            used.update(name for name in registry.field_names(faq.template) if name.isupper())
            try:
                faq.answer()
            except registry.TemplateError as error:
                problems.append(Problem(where, intent,
                    f"Its answer cannot be composed: {error}. Name facts exactly as in actions/facts.py, e.g. "
                    f"{{DOWNTIME}}, {{DOWNTIME:Cap}} or {{MAKEUP_CLINIC.value}} (see the top of {where})."))
    for intent in intents:
        if intent.startswith("ask_") and intent not in faqs:
            problems.append(Problem("domain.yml", intent,
                f"This FAQ intent has no entry in {where}. Add one with its title and its answer "
                f"(see {GUIDE}, step 2)."))
    # Facts that the computed answers use are named in actions/answers.py as f.NAME.
    used.update(re.findall(r"\bf\.([A-Z][A-Z_]+)", (root / "actions" / "answers.py").read_text(encoding="utf-8")))
    for name in sorted(facts.all_facts()):
        if name.split("[")[0] not in used:
            problems.append(Problem("actions/facts.py", "",
                f"{name} is used by no answer. Name it in an answer in {where} (e.g. {{{name}}}), "
                f"or remove it if no answer needs it."))
    return problems


def quote_problems(all_facts: dict, seeds: Path) -> list[Problem]:
    """Facts whose quote is not word for word in their seed document."""
    problems = []
    for name, fact in all_facts.items():
        seed = seeds / fact.source.seed
        if not seed.is_file():
            problems.append(Problem("actions/facts.py", "", f"{name}: its seed document {seed} does not exist."))
        elif fact.source.quote not in seed.read_text(encoding="utf-8"):
            closest = closest_sentence(fact.source.quote, seed.read_text(encoding="utf-8"))
            problems.append(Problem("actions/facts.py", "",
                f"{name}: its quote is not word for word in {seed}.\n"
                f"      the quote says:       {fact.source.quote!r}\n"
                f"      the document says:    {closest!r}\n"
                f"    Copy the words exactly from the document (same punctuation and spaces)."))
    return problems


def closest_sentence(quote: str, document: str) -> str:
    """The stretch of the document most like the quote, to show what it really says."""
    import difflib

    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", document) if s.strip()]
    return max(sentences, key=lambda s: difflib.SequenceMatcher(None, s, quote).ratio(), default="")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="project directory (default: this project)")
    args = parser.parse_args(argv)
    problems = check(args.root.resolve())
    if not problems:
        print("Project checks passed: every intent is answered, every FAQ in data/faqs.yml renders from facts "
              "that exist, examples and test phrasings are in place, and every fact is quoted word for word "
              "from its document.")
        return 0
    print(f"{len(problems)} problem(s) found:\n")
    for problem in problems:
        print(f"- {problem}\n")
    print(f"How to fix each of these: {GUIDE}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
