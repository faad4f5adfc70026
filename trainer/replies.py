"""What kind of reply the assistant gave: the answer to which FAQ, which response, or none.

Evaluations read the replies a real assistant sent, so they can tell "answered with the
cost" from "said it covers micro-needling only", whatever NLU thought. Every reply the
project can give is known in advance: the registry's answers (with every entity value
the computed ones can take), and the domain's responses (with their placeholders).
"""
import re
from dataclasses import dataclass
from pathlib import Path
from re import Pattern

import yaml

from actions import answers, registry, vocabulary

ROOT = Path(__file__).resolve().parent.parent
DID_YOU_MEAN = "Sorry, I'm not sure I understood. Did you mean:"  # actions.ActionDefaultAskAffirmation


@dataclass(frozen=True)
class Kind:
    kind: str  # "fact": an FAQ answer stating facts; "honest": an FAQ entry that states none
    #            (not covered, another treatment, a reaction); "response": a domain response;
    #            "did_you_mean": the fallback's buttons; "unknown"
    name: str | None = None  # the FAQ intent or the response's name

    @property
    def states_facts(self) -> bool:
        return self.kind == "fact"

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}" if self.name else self.kind


def _pattern(text: str, fields: str = r"\{\w+\}") -> Pattern:
    parts = re.split(fields, text)
    return re.compile("^" + ".+?".join(re.escape(p) for p in parts) + "$", re.S)


class Catalogue:
    """Every reply the project can give, by text (or pattern, where it fills in a value)."""

    def __init__(self, root: Path = ROOT) -> None:
        self.exact: dict[str, Kind] = {}
        self.patterns: list[tuple[Pattern, Kind]] = []
        faqs = registry.load()
        for intent, faq in faqs.items():
            kind = Kind("fact" if faq.states_facts else "honest", intent)
            if faq.compute:
                for values in self._entity_values(faq.takes):
                    self.exact.setdefault(faq.answer(values), kind)
            elif faq.unnamed:
                # What the visitor named stands where the template has {entity}.
                blanks = registry.render(faq.template or "", {entity: "\x00" for entity in faq.unnamed})
                self.patterns.append((_pattern(blanks, "\x00"), kind))
            else:
                self.exact[faq.answer()] = kind
        domain = yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8"))
        for name, variants in (domain.get("responses") or {}).items():
            for variant in variants:
                text = variant.get("text") or ""
                if "{" in text:
                    self.patterns.append((_pattern(text), Kind("response", name)))
                else:
                    self.exact.setdefault(text, Kind("response", name))

    @staticmethod
    def _entity_values(takes) -> list[list[str]]:
        values: list[list[str]] = [[]]
        if "number" in takes:
            values += [[str(n)] for n in range(0, vocabulary.MAX_TREATMENTS + 1)]
        if "skin_condition" in takes:
            values += [[t] for ts in vocabulary.CONDITION_TERMS.values() for t in ts]
            values += [[t] for t in vocabulary.UNLISTED_CONDITIONS]
        if "body_area" in takes:
            values += [[t] for ts in vocabulary.AREA_TERMS.values() for t in ts]
            values += [[t] for t in vocabulary.UNLISTED_AREAS]
        return values

    def kind_of(self, text: str) -> Kind:
        if text in self.exact:
            return self.exact[text]
        if text.startswith(DID_YOU_MEAN):
            return Kind("did_you_mean")
        for pattern, kind in self.patterns:
            if pattern.match(text):
                return kind
        return Kind("unknown")


def honest_about_a_gap(text: str) -> bool:
    """A computed answer that says the documents don't mention what was named."""
    return "doesn\u2019t mention" in text and answers.CONSULT in text or "Its page doesn\u2019t mention" in text
