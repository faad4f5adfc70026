"""The FAQ registry: ``data/faqs.yml``, one entry per question the documents answer.

Plain Python, no Rasa imports. An entry names its intent, its button title for "Did you
mean…?", and its answer: a template over named facts from ``actions.facts``
("The clinic says {DOWNTIME}."), or the name of a function in ``actions.answers`` where
the answer computes something (prices for a number of treatments, a named concern or area).

Three readers:
  * the generic answer action (``actions/actions.py``) renders the answers;
  * ``hooks/faq_rules.py`` generates each FAQ's rules at train time;
  * ``make validate`` (``trainer/validate.py``) checks every entry.

Template fields:
  * ``{NAME}``: the fact's wording, as it stands in ``actions/facts.py``;
  * ``{NAME:Cap}``: the same, starting with a capital letter (at the start of a sentence);
  * ``{NAME.value}``: the fact's value, e.g. ``{MAKEUP_CLINIC.value}`` is 12;
  * ``{CLINIC}`` and ``{GUIDE}``: how answers name the two documents (``facts.SOURCE_NAMES``);
  * ``{treatment}`` (lower case): what the visitor named, for an entity the entry ``takes``;
    the entry's ``unnamed:`` gives the words to use when they named none.
"""
import functools
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from actions import answers, facts

REGISTRY = Path(__file__).resolve().parent.parent / "data" / "faqs.yml"
# The registry's file, as named in messages to trainers.
REGISTRY_NAME = "data/faqs.yml"
SOURCE_FIELDS = {"CLINIC": facts.SOURCE_NAMES[facts.CLINIC], "GUIDE": facts.SOURCE_NAMES[facts.GUIDE]}


class TemplateError(ValueError):
    """A template names something that is not a fact, or asks for something a fact lacks."""


class _Field:
    """What a template field renders: a fact's wording, or a document's name."""

    def __init__(self, wording: str, value: Any) -> None:
        self.wording, self.value = wording, value

    def __format__(self, spec: str) -> str:
        if spec == "":
            return self.wording
        if spec == "Cap":
            return self.wording[:1].upper() + self.wording[1:]
        raise TemplateError(f"unknown format ':{spec}' (only ':Cap' is known)")


class _FactFormatter(string.Formatter):
    def get_value(self, key: int | str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, int):
            raise TemplateError("a field needs a fact's name, e.g. {DOWNTIME}; '{}' is empty")
        if key.islower():
            if key not in kwargs:
                raise TemplateError(f"'{{{key}}}' is what the visitor named: the entry must take '{key}'"
                                    f" and say under 'unnamed:' what to write when they named none")
            return _Field(kwargs[key], kwargs[key])
        if key in SOURCE_FIELDS:
            return _Field(SOURCE_FIELDS[key], SOURCE_FIELDS[key])
        fact = getattr(facts, key, None)
        if not isinstance(fact, facts.Fact):
            raise TemplateError(f"'{key}' is not a fact in actions/facts.py")
        return _Field(fact.wording, fact.value)

    def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        # Only the fact itself and its value: nothing else of Python is reachable.
        root, _, rest = field_name.partition(".")
        if rest and not (rest == "value" or rest.startswith("value[")):
            raise TemplateError(f"'{field_name}': after a fact's name only .value is allowed")
        return super().get_field(field_name, args, kwargs)


_FORMATTER = _FactFormatter()


def render(template: str, named: dict[str, str] | None = None) -> str:
    """The template with every field filled from the facts (and ``named``: entity -> what
    the visitor named); TemplateError if one can't be."""
    try:
        return _FORMATTER.format(template, **(named or {}))
    except TemplateError:
        raise
    except (KeyError, IndexError, AttributeError, ValueError) as error:
        raise TemplateError(f"cannot fill a field: {error}") from error


def field_names(template: str) -> list[str]:
    """The fields a template names: facts, documents and entities, e.g. ["DOWNTIME", "GUIDE"]."""
    names = []
    for _, field_name, _, _ in string.Formatter().parse(template):
        if field_name is not None:
            names.append(field_name.split(".")[0].split("[")[0])
    return names


@dataclass(frozen=True)
class Faq:
    intent: str
    title: str  # short button title for "Did you mean…?"
    template: str | None = None  # the answer over named facts...
    compute: str | None = None  # ...or a function of actions.answers that computes it
    takes: tuple[str, ...] = ()  # entities the computed answer uses (and follow-ups may change)
    # What the visitor asked about, as the concern of a consultation request
    # ("About cost — is that right?"); the title in lower case when not given.
    subject: str | None = None
    # Offer a consultation after the answer (not during the consultation form).
    offer_consultation: bool = False
    unnamed: dict[str, str] = field(default_factory=dict)  # entity -> words when the visitor named none
    # Words that turn a question on this topic into one the documents don't answer ("how long do
    # they last?" after when results show): such a question gets the not-covered answer.
    not_covered_when: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)  # keys the registry does not know

    def asks_beyond(self, text: str) -> bool:
        """Whether ``text`` asks about this topic what the documents don't say."""
        return any(re.search(rf"(?<!\w){re.escape(words)}(?!\w)", text, re.IGNORECASE)
                   for words in self.not_covered_when)

    @property
    def concern(self) -> str:
        return self.subject or self.title.lower()

    def answer(self, values: Sequence[str] = ()) -> str:
        """The reply; ``values`` are the visitor's values of the entity the answer ``takes``."""
        if self.compute:
            return answers.COMPUTED[self.compute](values)
        named = {entity: (values[0] if values else words) for entity, words in self.unnamed.items()}
        return render(self.template or "", named)

    @property
    def states_facts(self) -> bool:
        """Does the answer state facts about micro-needling (not only say what it can't answer)?"""
        return bool(self.compute) or any(name.isupper() and name not in SOURCE_FIELDS
                                         for name in field_names(self.template or ""))


@functools.cache
def load(path: Path = REGISTRY) -> dict[str, Faq]:
    """intent -> Faq, in the registry's order (read once per path; treat it as read-only)."""
    entries = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("faqs") or []
    known = {"intent", "title", "answer", "compute", "takes", "subject", "offer_consultation", "unnamed",
             "not_covered_when"}
    registry: dict[str, Faq] = {}
    for entry in entries:
        registry[entry.get("intent")] = Faq(
            intent=entry.get("intent"),
            title=entry.get("title") or "",
            template=entry.get("answer"),
            compute=entry.get("compute"),
            takes=tuple(entry.get("takes") or ()),
            subject=entry.get("subject"),
            offer_consultation=bool(entry.get("offer_consultation", False)),
            unnamed={str(k): str(v) for k, v in (entry.get("unnamed") or {}).items()},
            not_covered_when=tuple(str(w).strip().lower() for w in entry.get("not_covered_when") or ()),
            extra={k: v for k, v in entry.items() if k not in known},
        )
    return registry


def answer(intent: str, values: Sequence[str] = ()) -> str:
    """The reply to an FAQ of this project's registry (for tests, the bench and trainer tools)."""
    return load()[intent].answer(values)
