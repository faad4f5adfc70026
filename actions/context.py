"""Which FAQ a visitor's message asks about, in the context of the conversation.

Plain Python, no Rasa imports. NLU reads one message at a time; visitors don't. After
"how much is it?", "and for 3?" asks about cost again, with a new number; after "which
areas can be treated?", "what about the scalp?" asks about body areas. This module
resolves such follow-ups against the topic answered last.
"""
import re
from collections.abc import Sequence
from dataclasses import dataclass

from actions import facts, vocabulary
from actions.registry import Faq

FOLLOW_UP = "follow_up"  # the intent of elliptical follow-ups ("and for 3?", "why?")
NOT_COVERED = "ask_not_covered"  # the answer to what the documents don't say
# Readings about a subject of their own, which no count or price word turns into a price:
# "caci facial course of 10 cost" is about the caci facial.
OWN_SUBJECTS = {"ask_other_treatment", "report_adverse_reaction"}

# How a follow-up usually opens ("and my neck?", "what about 5?", "ok so for 3?").
_ELLIPTICAL_OPENING = re.compile(
    r"^\s*(?:ok(?:ay)?[,\s]+|so[,\s]+|right[,\s]+|hmm+[,\s]+)*"
    r"(?:and|&|what about|how about|what if|same for|also|plus|for|is that|does that|my|on my|the)\b",
    re.IGNORECASE,
)
MAX_FOLLOW_UP_WORDS = 8


# How a longer message that continues the last question opens ("what about old chickenpox
# scars from when i was a kid"); "my …" and "the …" open too many questions of their own.
_CONTINUING_OPENING = re.compile(
    r"^\s*(?:ok(?:ay)?[,\s]+|so[,\s]+|right[,\s]+|hmm+[,\s]+)*"
    r"(?:and|&|what about|how about|what if|same for|also|plus|even|but)\b",
    re.IGNORECASE,
)


# "… same rule for them?", "does the same apply", "is it the same for": the last question again.
_ASKS_THE_SAME = re.compile(r"\bsame (?:rule|rules|thing|applies|apply|goes|for|with|there|again|answer)\b"
                            r"|\b(?:does|would|will) (?:that|the same|this) (?:apply|go)\b", re.IGNORECASE)
# "could you do my back too?", "… as well": a message that adds to what came before.
_ADDING = re.compile(r"\b(?:too|as well|aswell)\b", re.IGNORECASE)


def opens_like_a_follow_up(text: str) -> bool:
    """"and …", "what about …", "even on …", "… too?": a message that continues the last question."""
    return bool(_CONTINUING_OPENING.match(text) or _ADDING.search(text))


def elliptical(text: str) -> bool:
    """A short message that opens like a follow-up ("and for 3 sessions?")."""
    return len(text.split()) <= MAX_FOLLOW_UP_WORDS and bool(_ELLIPTICAL_OPENING.match(text))


def bare_number(text: str) -> int | None:
    """The count in a short message that is little more than a number ("2 then", "4?")."""
    words = re.findall(r"[a-z]+|\d+", text.lower())
    if not words or len(words) > 3:
        return None
    counts = [vocabulary.parse_number(w) for w in words]
    found = [c for c in counts if c is not None]
    return found[0] if len(found) == 1 else None


# A lone number is a count only before one of these words, or at the end ("so 4 would come to
# what", "what about 5?", "2 then"): "3 acne scars", "2 follow-ups", "20% off", "3 weeks ago" and
# "at 4pm" count nothing. After one of these it is an age or a price ("i'm 19", "is 16", "€5").
_COUNT_FOLLOWED_BY = {"would", "be", "is", "cost", "costs", "come", "set", "then", "of", "please", "pls", "times",
                      "treatments", "treatment", "sessions", "session", "sesh", "goes", "rounds", "visits", "total",
                      "altogether", "in", "more", "each", "so", "or", "and", "instead", "x", "done"}
_NOT_A_COUNT_BEFORE = re.compile(r"(?:[€£$]|\b(?:i'?m|i am|im|is|he'?s|she'?s|aged?|at|since|in|ago|over|under"
                                 r"|age of))\s*$", re.IGNORECASE)
MAX_COUNT_WORDS = 10
MAX_LONE_COUNT = 10  # larger lone numbers are ages, prices, percentages…
# Words that ask a price ("what would 2 cost me", "so 3 would set me back what"); not "total" or
# "come to", which ask for durations too ("how long in total for 3").
ASKS_THE_PRICE = re.compile(r"\b(?:cost|costs|costing|price|prices|pricing|how much|set me back)\b|€", re.IGNORECASE)


# "and if i bought 2 packages?", "two packages and 3 singles how much", "the package plus 2 extra
# sessions": packages, and singles beside them, not treatments. ("A 3 pack" or "a course of 3" is
# no package: the clinic's package is of 5.)
_PACKAGES = re.compile(r"\b(\d+|[a-z]+)\s+(?:of (?:(?:the|your|ur|those|these) )?)?packages?\b"
                       r"(?:\s*(?:plus|and|\+|&|with)\s+(?P<extra>\d+|[a-z]+)\s+"
                       r"(?:extra|more|single|singles|sessions?|treatments?|others?)\b)?", re.IGNORECASE)
_ONE_PACKAGE = {"a", "the", "one", "1", "your", "ur", "that", "this"}


def packages_asked(text: str) -> int | None:
    """The treatments in the packages, and singles, the message names ("2 packages" -> 10, "the
    package plus 2 extra" -> 7); None for one package alone, which the price answer gives."""
    size = int(facts.PACKAGE_TREATMENTS.value)
    for match in _PACKAGES.finditer(text):
        word = match.group(1).lower()
        count = 1 if word in _ONE_PACKAGE else vocabulary.parse_number(word)
        extra = vocabulary.parse_number(match.group("extra")) if match.group("extra") else 0
        if count is None or extra is None or (count == 1 and not extra):
            continue
        treatments = count * size + extra
        return treatments if treatments <= vocabulary.MAX_TREATMENTS else None
    return None


# Words that name a price ("how much" asks how much it helps, too), and the entities of the
# answers a price question naming a concern or an area is read as.
NAMES_A_PRICE = re.compile(r"\b(?:cost|costs|costing|price|prices|pricing|priced|set me back|charges?|fees?)\b|€",
                           re.IGNORECASE)
_SUBJECTS_OF_A_PRICE = {"skin_condition", "body_area"}
_CLAUSES = re.compile(r"[,.;!?]+\s+|\s+-\s+")


def lone_count(text: str) -> int | None:
    """The count of treatments in a short question about cost that names one number and nothing
    it could measure ("so 4 would come to what", "ok what would six be"): the entity patterns
    want a count word next to it ("4 sessions", "for 4")."""
    if len(text.split()) > MAX_COUNT_WORDS:
        return None
    counts = []
    for match in re.finditer(r"\b(?:\d+|[a-z]+)\b", text.lower()):
        count = vocabulary.parse_number(match.group())
        if count is None or match.group() in ("one", "single"):
            continue  # "one" is mostly a pronoun ("is that one included?")
        after = text[match.end():].lower()
        following = re.match(r"\s*([a-z]+)", after)
        if count > MAX_LONE_COUNT or re.match(r"\s*[%°/:]", after) \
                or (following and following.group(1) not in _COUNT_FOLLOWED_BY) \
                or _NOT_A_COUNT_BEFORE.search(text[:match.start()]):
            return None
        counts.append(count)
    return counts[0] if len(counts) == 1 else None


# "will it get rid of my wrinkels": NLU read side effects at 0.49, conditions at 0.14; the
# concern it names is what the conditions answer takes.
UNSURE_READING = 0.5
TAKER_IN_RANKING = 0.1


def _unsure_reading_of_an_entity(faq: Faq, named: Sequence[str], ranking: Sequence[dict],
                                 registry: dict[str, Faq]) -> Faq | None:
    """An FAQ that takes what the message names, when NLU is unsure of its reading (which takes
    none of it) and has that FAQ among the others it might be."""
    if not named or any(e in faq.takes for e in named):
        return None
    confidence = next((float(r.get("confidence") or 0.0) for r in ranking if r.get("name") == faq.intent), 1.0)
    if confidence >= UNSURE_READING:
        return None
    for reading in ranking:
        other = registry.get(str(reading.get("name")))
        if other and other is not faq and float(reading.get("confidence") or 0.0) >= TAKER_IN_RANKING \
                and any(e in other.takes for e in named):
            return other
    return None


def _values_for(faq: Faq, entities: dict[str, list[str]]) -> Sequence[str]:
    """The visitor's values of the first entity the FAQ's answer takes."""
    return next((entities[e] for e in faq.takes if entities.get(e)), ())


@dataclass(frozen=True)
class Resolved:
    faq: Faq | None  # what to answer; None: a follow-up with nothing to follow
    values: Sequence[str]  # the visitor's values of the entity the answer takes


# A "follow-up" this long that NLU also reads as an FAQ is a question of its own
# ("ok and who would actually be doing it?"), not a bare "why?".
SHORT_FOLLOW_UP_WORDS = 4
RUNNER_UP_CONFIDENCE = 0.15


def resolve(intent: str, entities: dict[str, list[str]], text: str, last_topic: str | None,
            registry: dict[str, Faq], ranking: Sequence[dict] = ()) -> Resolved:
    """The FAQ to answer for this message, given the topic answered before it (and NLU's
    ranking of the other intents it might be)."""
    if intent in OWN_SUBJECTS and intent in registry:
        # Neither a count, a price's words nor the last topic make it another question ("and botox
        # for my forehead?" after the body areas is about botox).
        return Resolved(registry[intent], _values_for(registry[intent], entities))
    resolved = _resolve(intent, entities, text, last_topic, registry, ranking)
    counted = next((faq for faq in registry.values() if "number" in faq.takes), None)
    if counted and resolved.faq and set(resolved.faq.takes) & _SUBJECTS_OF_A_PRICE \
            and NAMES_A_PRICE.search(_CLAUSES.split(text.strip())[-1]):
        # "dermaroller for acne scars price?", "skin needling on neck and chest, what would that
        # cost": the concern or area read, but the price asked, in the last clause ("cost isnt an
        # issue, which areas can you treat?" asks the areas).
        resolved = Resolved(counted, [str(lone)] if (lone := lone_count(text)) is not None else ())
    if resolved.faq and resolved.faq.asks_beyond(text) and NOT_COVERED in registry:
        # "how long do they last?" after when results show: what the documents don't say.
        return Resolved(registry[NOT_COVERED], ())
    packages = packages_asked(text) if counted else None
    if counted and packages and (resolved.faq is counted or ASKS_THE_PRICE.search(text)):
        # "and if i bought 2 packages?": the price of that many treatments, not of 2.
        return Resolved(counted, [str(packages)])
    if counted and resolved.faq is not counted and ASKS_THE_PRICE.search(text):
        # "ok so what would two set me back", after the number of sessions: a lone count and a
        # price's words ask the price of that many, whatever the reading.
        lone = lone_count(text)
        if lone is not None:
            return Resolved(counted, [str(lone)])
    if resolved.faq and "number" in resolved.faq.takes and not resolved.values:
        lone = lone_count(text)
        if lone is not None:
            return Resolved(resolved.faq, [str(lone)])
    return resolved


def _resolve(intent: str, entities: dict[str, list[str]], text: str, last_topic: str | None,
             registry: dict[str, Faq], ranking: Sequence[dict]) -> Resolved:
    last = registry.get(last_topic) if last_topic else None
    named = [e for e, values in entities.items() if values]

    def values_for(faq: Faq) -> Sequence[str]:
        return _values_for(faq, entities)

    if intent in registry:
        faq = registry[intent]
        taker = _unsure_reading_of_an_entity(faq, named, ranking, registry)
        if taker:
            return Resolved(taker, values_for(taker))
        # "and for 3 sessions?" after the price reads like a question about sessions; it
        # asks the price of 3. A short follow-up naming what the last topic takes stays on it.
        if last and last is not faq and elliptical(text) and any(e in last.takes for e in named) \
                and not any(e in faq.takes for e in named):
            return Resolved(last, values_for(last))
        return Resolved(faq, values_for(faq))
    if intent != FOLLOW_UP:
        return Resolved(None, ())
    if not named and last and "number" in last.takes:
        # "2 then", "4?": a bare number, too short for the entity patterns' context words.
        count = bare_number(text)
        if count is not None:
            return Resolved(last, [str(count)])
    # A follow-up naming something: the last topic if it takes it, else the topic that does;
    # the last topic whatever it takes when the message asks the same again ("what if i had it
    # done on my legs, same rule for them?" after make-up).
    if last and named and _ASKS_THE_SAME.search(text):
        return Resolved(last, values_for(last))
    for entity in named:
        if last and entity in last.takes:
            return Resolved(last, entities[entity])
        taker = next((faq for faq in registry.values() if entity in faq.takes), None)
        if taker:
            return Resolved(taker, entities[entity])
    if len(text.split()) > SHORT_FOLLOW_UP_WORDS:
        runner_up = next((r for r in ranking if r.get("name") in registry), None)
        if runner_up and runner_up.get("confidence", 0) >= RUNNER_UP_CONFIDENCE:
            faq = registry[runner_up["name"]]
            return Resolved(faq, values_for(faq))
    # "why?", "is that per session?", "and the package?": the last topic, answered again in full.
    return Resolved(last, ()) if last else Resolved(None, ())
