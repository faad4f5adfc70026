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
from pathlib import Path
from typing import Dict, List, Set, Tuple

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


def nlu_examples(path: Path) -> Dict[str, List[str]]:
    examples: Dict[str, List[str]] = defaultdict(list)
    for block in load_yaml(path).get("nlu", []) or []:
        if "intent" in block:
            for line in str(block.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    examples[block["intent"]].append(line[2:].strip())
    return examples


def rule_answers(root: Path) -> Dict[str, Tuple[str, str]]:
    """intent -> (the action that answers it, the file of that rule/story)."""
    answers: Dict[str, Tuple[str, str]] = {}
    for path in sorted((root / "data").glob("*.yml")):
        content = load_yaml(path)
        for flow in (content.get("rules") or []) + (content.get("stories") or []):
            steps = flow.get("steps") or []
            for step, following in zip(steps, steps[1:]):
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


def check(root: Path = ROOT) -> List[Problem]:
    settings = load_yaml(root / "trainer.yml")
    min_examples = int(settings.get("min_training_examples", 15))
    min_held_out = int(settings.get("min_held_out_phrasings", 5))
    unanswered: Set[str] = set(settings.get("deliberately_unanswered") or [])
    seeds = (root / settings.get("seeds", "sources")).resolve()

    problems: List[Problem] = []
    domain = load_yaml(root / "domain.yml")
    intents = [i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents", [])]
    responses = set((domain.get("responses") or {}).keys())
    custom_actions = set(domain.get("actions") or [])
    answered_by = rule_answers(root)

    training: Dict[str, Dict[str, List[str]]] = {}
    for path in sorted((root / "data" / "nlu").glob("*.yml")):
        training[str(path.relative_to(root))] = nlu_examples(path)
    held_out_file = "tests/nlu_holdout.yml"
    held_out = nlu_examples(root / held_out_file)

    actions_source = (root / "actions" / "actions.py").read_text(encoding="utf-8")
    answers = load_module(root, "answers")
    facts = load_module(root, "facts")

    # 1. Every intent is answered, or deliberately left unanswered.
    for intent in intents:
        if intent in unanswered:
            continue
        if intent not in answered_by:
            problems.append(Problem("domain.yml", intent,
                f"Nothing answers this intent. Add a rule in data/rules_faq.yml that maps it to its answer "
                f"(see {GUIDE}, step 3), or, if it is meant to go unanswered, list it under "
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
        if intent.startswith("ask_") and intent not in answers.TOPICS:
            problems.append(Problem("actions/answers.py", intent,
                f"This FAQ intent has no fact-based answer. Add an entry for '{intent}' to TOPICS in "
                f"actions/answers.py (see {GUIDE}, step 3)."))
        if action.startswith("action_answer_") and f'intent = "{intent}"' not in actions_source:
            problems.append(Problem("actions/actions.py", intent,
                f"The rule answers with '{action}', but actions/actions.py has no action class for it. Add:\n"
                f"        class {class_name(intent)}(AnswerFromFacts):\n"
                f"            intent = \"{intent}\"\n"
                f"    (see {GUIDE}, step 3)."))

    # 2. Enough training examples and held-out phrasings for every FAQ intent.
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

    # 3. No example under two intents; no held-out phrasing in the training data.
    seen: Dict[str, Tuple[str, str, str]] = {}
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

    # 4. Every fact's quote stands verbatim in its seed document.
    problems += quote_problems(facts.all_facts(), seeds)

    # 5. Every FAQ is answered during a form too (e.g. the consultation request).
    for form in domain.get("forms") or {}:
        during = answered_during(root, form)
        for intent in intents:
            if intent in answers.TOPICS and intent in answered_by and intent not in during:
                action = answered_by[intent][0]
                problems.append(Problem("data/rules_consultation.yml", intent,
                    f"This question gets no answer while a visitor fills in '{form}' (e.g. gives their details "
                    f"for a consultation). Add this rule (see {GUIDE}, step 3):\n"
                    f"        - rule: answer {intent} during the consultation form\n"
                    f"          condition:\n"
                    f"          - active_loop: {form}\n"
                    f"          steps:\n"
                    f"          - intent: {intent}\n"
                    f"          - action: {action}\n"
                    f"          - action: {form}\n"
                    f"          - active_loop: {form}"))
    return problems


def answered_during(root: Path, form: str) -> Set[str]:
    """Intents that rules answer while ``form`` is active, going back to the form after."""
    answered: Set[str] = set()
    for path in sorted((root / "data").glob("*.yml")):
        for rule in load_yaml(path).get("rules") or []:
            active = any(c.get("active_loop") == form for c in rule.get("condition") or [])
            steps = rule.get("steps") or []
            if active and len(steps) >= 3 and "intent" in steps[0] and steps[2].get("action") == form:
                answered.add(steps[0]["intent"])
    return answered


def quote_problems(all_facts: dict, seeds: Path) -> List[Problem]:
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


def class_name(intent: str) -> str:
    return "ActionAnswer" + "".join(part.title() for part in intent[len("ask_"):].split("_"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="project directory (default: this project)")
    args = parser.parse_args(argv)
    problems = check(args.root.resolve())
    if not problems:
        print("Project checks passed: every intent is answered (FAQs during the consultation form too), examples "
              "and test phrasings are in place, and every fact is quoted word for word from its document.")
        return 0
    print(f"{len(problems)} problem(s) found:\n")
    for problem in problems:
        print(f"- {problem}\n")
    print(f"How to fix each of these: {GUIDE}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
