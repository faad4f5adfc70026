"""The FAQ rules, generated from the registry when the model is trained.

Every FAQ in ``data/faqs.yml`` needs the same two rules: its intent is answered by
``action_answer_faq``, and during the consultation form it is answered too, after which
the form asks its question again. Writing them by hand meant ~300 lines that repeated the
intent list. This importer (named in config.yml's ``importers``, a Rasa hook) derives them
at train time, so RulePolicy still learns real rules: its guarantees (predictions that
always follow the rules, contradiction checks at training time) hold as before.

Compared with the alternatives (docs/architecture.md): a custom policy keyed on the
registry would skip RulePolicy's contradiction checks; ``or:`` rules would still list
every intent in a checked-in file.
"""
from pathlib import Path
from typing import Any

from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.core.training_data.structures import StoryGraph
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.shared.nlu.training_data.training_data import TrainingData

from actions import context, registry

ANSWER = "action_answer_faq"
FORM = "consultation_form"
OFFER = "utter_offer_consultation"
# Intents the generic action answers besides the registry's own, outside the form only:
# during the form, a short "and 3?" is more likely an answer to the form's question.
ALSO_ANSWERED = [context.FOLLOW_UP]


def rules_yaml(faqs: dict[str, registry.Faq]) -> str:
    """Two rules per FAQ intent, as Rasa's YAML: outside the form, and during it."""
    lines = ['version: "3.1"', "rules:"]
    answered = [(intent, faq.offer_consultation, True) for intent, faq in faqs.items()]
    answered += [(intent, False, False) for intent in ALSO_ANSWERED]
    for intent, offer, during_form in answered:
        lines += [f"- rule: answer {intent} ({registry.REGISTRY_NAME})", "  steps:",
                  f"  - intent: {intent}", f"  - action: {ANSWER}"]
        if offer:
            lines.append(f"  - action: {OFFER}")
        if not during_form:
            continue
        lines += [f"- rule: answer {intent} during the consultation form ({registry.REGISTRY_NAME})",
                  "  condition:", f"  - active_loop: {FORM}", "  steps:",
                  f"  - intent: {intent}", f"  - action: {ANSWER}", f"  - action: {FORM}",
                  f"  - active_loop: {FORM}"]
    return "\n".join(lines) + "\n"


def registry_path(training_data_paths: list[str] | str | None) -> Path:
    """data/faqs.yml in the training data given to `rasa train` (default: this project's)."""
    paths = [training_data_paths] if isinstance(training_data_paths, str) else training_data_paths or []
    for path in map(Path, paths):
        candidate = path / registry.REGISTRY.name if path.is_dir() else path
        if candidate.name == registry.REGISTRY.name and candidate.is_file():
            return candidate.resolve()
    return registry.REGISTRY


class FaqRulesImporter(TrainingDataImporter):
    """Adds the registry's rules to the training data; contributes nothing else."""

    def __init__(self, config_file: str | None = None, domain_path: str | None = None,
                 training_data_paths: list[str] | str | None = None, **kwargs: Any) -> None:
        self.path = registry_path(training_data_paths)

    def get_stories(self, exclusion_percentage: int | None = None) -> StoryGraph:
        faqs = registry.load(self.path)
        steps = YAMLStoryReader(source_name=str(self.path)).read_from_string(rules_yaml(faqs))
        return StoryGraph(steps)

    def get_conversation_tests(self) -> StoryGraph:
        return StoryGraph([])

    def get_domain(self) -> Domain:
        return Domain.empty()

    def get_config(self) -> dict:
        return {}

    def get_config_file_for_auto_config(self) -> str | None:
        return None

    def get_nlu_data(self, language: str | None = "en") -> TrainingData:
        return TrainingData()
