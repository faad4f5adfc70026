"""Is a question within what the documents cover? A Rasa NLU component.

Subject apart from aspect. The intent classifier reads the *aspect* of a question: cost,
pain, downtime… It cannot tell "how much is it?" from "how much is botox?" or "how much
does it cost to paint a room?": all three are about cost. The documents only cover
micro-needling, so only the first may get a micro-needling price. This component decides
the *subject*, after the classifier and the entity extractor and before FallbackClassifier:

1. Another treatment named (entity ``treatment``: spaCy's EntityRuler, terms in
   actions/vocabulary.py and data/other_treatments.yml; or a name the lists lack, read from
   the question's shape: "facial cupping for puffiness", "endolift jawline downtime"), and
   not micro-needling: the intent becomes ``ask_other_treatment`` ("The clinic's information
   here covers micro-needling only…"), unless the intent keeps its meaning with another treatment in
   it (``keep``: "is it better than laser?", "I had botox and my face is swollen").
2. Something of the domain named (micro-needling, a body area, a skin concern, a number of
   treatments): the classifier's intent stands.
3. Otherwise the question must read as one about the clinic's treatment: a relevance model
   trained here, the domain's examples against the everyday background of ``out_of_scope``
   examples. Below ``relevance_threshold`` the intent becomes ``out_of_scope``; so it does
   below ``foreign_relevance_threshold`` when the message names something foreign to the
   domain (a word no domain example uses, even with a typo: "gcse", "headaches"), since
   the subject defaults to micro-needling only when the message names nothing else.
4. Where the answer would be ``out_of_scope`` (or NLU read small talk and the message asks
   something), two things are not everyday: a question about the clinic's business (entity
   ``clinic_business``: "do you take card?") becomes ``ask_not_covered``; a reaction nearly
   tied with ``out_of_scope`` in a message that reads like the clinic's gets the safety reply.

A comparison (``compare_intent``) keeps its meaning with one other treatment in it ("is it
better than laser?"), not with two ("fraxel vs co2?": neither is micro-needling).
"""
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline, make_union

from actions import vocabulary
from actions.detail_patterns import describes_a_reaction, names_a_concern
from hooks import fast_features
from hooks.readings import drop_readings, load_trained, replace_intent, save_trained

_WORD = re.compile(r"[a-z]+")
MIN_TYPO_LENGTH = 4  # shorter words must be spelled as in the domain's examples
# Shorter words must be within one typo (``one_typo``): "caci" is not "acid", "gcse" not "case";
# from this length, a letter moved counts too ("micronedleing", "strecht", "sccaring").
LOOSE_TYPO_LENGTH = 7


def _deletions(word: str) -> set[str]:
    """The word with one letter left out, each way: two words within one typo of each other
    (a letter added, dropped, changed or two swapped) share one of these or the word. Sharing
    one is not enough, though: "caci" and "acid" share "aci" two typos apart (``one_typo``)."""
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def one_typo(word: str, other: str) -> bool:
    """Are the words the same but for one letter added, dropped or changed, or two next to each
    other swapped? ("acne"/"acen" yes; "caci"/"acid", "asking"/"making", "flip"/"lips" no.)"""
    if word == other:
        return True
    if len(word) == len(other):
        differ = [i for i, (a, b) in enumerate(zip(word, other, strict=True)) if a != b]
        return len(differ) == 1 or (len(differ) == 2 and differ[1] == differ[0] + 1
                                    and word[differ[0]] == other[differ[1]] and word[differ[1]] == other[differ[0]])
    shorter, longer = sorted((word, other), key=len)
    return len(longer) == len(shorter) + 1 and shorter in _deletions(longer)


class DomainWords:
    """The words the domain's examples use, for "does this message name something else?"."""

    def __init__(self, texts: list[str]) -> None:
        self.words = {w for text in texts for w in _WORD.findall(text.lower())}
        self.near = set(self.words)
        for word in self.words:
            if len(word) >= MIN_TYPO_LENGTH:
                self.near |= _deletions(word)

    def known(self, word: str) -> bool:
        if word in self.words:
            return True
        if len(word) < MIN_TYPO_LENGTH:
            return False
        # A letter dropped from a domain word, or one added to it; else one changed or swapped.
        if word in self.near or _deletions(word) & self.words:
            return True
        if len(word) >= LOOSE_TYPO_LENGTH:
            # A long word may have a letter moved: "micronedleing", "strecht", "sccaring".
            return bool(_deletions(word) & self.near)
        return any(one_typo(word, known) for known in self.neighbours(word))

    def neighbours(self, word: str) -> set[str]:
        """The domain's words within one typo of this one."""
        index = getattr(self, "_by_key", None)
        if index is None:  # built on first use: models pickled before it have none
            index = {}
            for known in self.words:
                if len(known) >= MIN_TYPO_LENGTH:
                    for key in _deletions(known) | {known}:
                        index.setdefault(key, set()).add(known)
            self._by_key = index
        found = set(index.get(word, ()))
        for key in _deletions(word):
            found |= index.get(key, set())
        return {known for known in found if one_typo(word, known)}

    def foreign(self, text: str) -> list[str]:
        """Content words of the text that no domain example uses, even with one typo."""
        return [w for w in _WORD.findall(text.lower())
                if len(w) > 2 and w not in ENGLISH_STOP_WORDS and not self.known(w)]

    def only_foreign(self, text: str) -> bool:
        """The text has content words, and the domain's examples use none of them ("and the bus?"),
        nor is any a micro-needling device's name ("dermapen")."""
        content = [w for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in ENGLISH_STOP_WORDS]
        return bool(content) and len(self.foreign(text)) == len(content) \
            and not any(_MICRONEEDLING_DEVICE.search(w) for w in content)

# One or two words opening a question, then "for" ("emface for wrinkles - is that the one…").
_NAME_FOR = re.compile(r"^\W*(?:(?:hi|hiya|hey|hello|ok|so|um|and|what about|is|are|does|do)\W+)*"
                       r"(?P<name>[a-z][a-z0-9-]*(?: [a-z][a-z0-9-]*)?) for\b")
# Opening words that name no treatment ("tips for wrinkles", "anything for acne scars").
_NOT_A_NAME = {"tips", "help", "advice", "anything", "something", "options", "best", "good", "what", "which",
               "time", "price", "prices", "cost", "costs", "much", "long"}
# A name opening a question, before what is asked of it: "endolift jawline downtime", "velashape
# how many sessions before i notice anything", "letybo - is that a new one?", "glo2facial, how long
# does it take". Brands and devices are named faster than any list grows.
_NAME_FIRST = re.compile(
    r"^\W*(?:(?:hi|hiya|hey|hello|ok|okay|so|um|and|what about|how about|is|are|does|do|any|the|a|an)\W+)*"
    r"(?P<name>[a-z0-9][a-z0-9'.-]*(?:\s+[a-z0-9][a-z0-9'.-]*){0,3}?)"
    r"(?=\s*(?:$|[,?:!(/]|\s[-+&]|\s+(?:for|price|prices|pricing|cost|costs|downtime|recovery|sessions?|results?"
    r"|aftercare|how|hows|how's|what|whats|does|do|is|are|will|can|any|worth|side|vs|treatments?)\b))")


def _of_a_kind(words: list[str]) -> re.Pattern:
    """A kind of treatment (data/other_treatments.yml, ``foreign_procedure_words``) after a word:
    "gua sha facial", "lipodissolve injections", "hollywood peel". A lookahead, so that each word
    is tried ("the zapmax peel")."""
    kinds = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True)) or "(?!)"
    return re.compile(rf"(?<![a-z0-9'])(?=(?P<name>(?P<modifier>[a-z0-9][a-z0-9'-]*)\s+(?:[a-z0-9]+\s+)?"
                      rf"(?:{kinds})\b))")


_OF_A_KIND = _of_a_kind(vocabulary.procedure_words("foreign_procedure_words"))
# Micro-needling's devices by brand ("skinpen", "dermapen", "eclipse micropen"): the subject; not
# "dermamelan" or "dermaplaning". Before a kind of treatment or product, "collagen" is no device
# ("collagen powder"); elsewhere it is ("collagen induction").
_DEVICE_BEFORE_A_KIND = re.compile(r"pen$|needl|derma(?:$|-|r|st|pen)|roll|stamp")
_MICRONEEDLING_DEVICE = re.compile(_DEVICE_BEFORE_A_KIND.pattern + "|collagen")
# Words of a comparison: "is it better than laser?" compares; "microdermabrasion for blackheads
# any good?" asks about microdermabrasion alone.
_COMPARES = re.compile(r"\b(?:better|worse|best|vs|versus|compare[ds]?|comparison|difference|differ|different|than"
                       r"|or|instead|rather|same|similar|like|alternative|prefer|which|between|more|less"
                       r"|against|over|choose|pick|alternative to|as \w+ as)\b|\bv\b")
_SPEAKS_TO_THE_CLINIC = re.compile(r"\b(?:you|your|u|ur|yous|clinic)\b")
# A question, for small talk that may hide one ("bye, see you saturday" doesn't; "do you take card?" does).
_QUESTION = re.compile(r"\?|^\W*(?:do|does|can|could|will|would|is|are|what|whats|what's|how|when|where|which|who)\b",
                       re.IGNORECASE)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    value: str


class BusinessQuestions:
    """Questions about the clinic's business ("do you take card?", entity ``clinic_business``
    from data/clinic_business.yml): the documents don't answer them, but they are the
    clinic's questions, not everyday ones."""

    def __init__(self, entity: str) -> None:
        self.entity = entity

    def asked(self, message: Message, domain_words: DomainWords | None) -> bool:
        spans = [e for e in message.get(ENTITIES) or [] if e.get("entity") == self.entity]
        if not spans:
            return False
        text = (message.get(TEXT) or "").lower()
        if _SPEAKS_TO_THE_CLINIC.search(text):
            return True
        # Not spoken to the clinic: only when nothing else in it is foreign ("klarna?",
        # "parking nearby?"), so "what time does tesco open on sunday" stays everyday.
        rest = text
        for span in spans:
            rest = rest.replace(str(span.get("value", "")).lower(), " ")
        return domain_words is None or not domain_words.foreign(rest)


class TreatmentNames:
    """One-word names of other treatments, recognised with one typo ("sclerotherpy",
    "microdermabraison"): the entity patterns match names exactly as listed."""

    MIN_LENGTH = 6  # shorter names are too close to everyday words with one typo

    def __init__(self, names: list[str]) -> None:
        self.names = {n for n in names if " " not in n and "-" not in n and len(n) >= self.MIN_LENGTH}
        self.by_key: dict[str, set[str]] = {}
        for name in self.names:
            for key in _deletions(name) | {name}:
                self.by_key.setdefault(key, set()).add(name)

    def near(self, word: str) -> set[str]:
        """The names within one typo of the word."""
        if len(word) < self.MIN_LENGTH:
            return set()
        found = set(self.by_key.get(word, ()))
        for key in _deletions(word):
            found |= self.by_key.get(key, set())
        return {name for name in found if one_typo(word, name)}

    def misspelt_in(self, text: str, domain_words: DomainWords) -> list[str]:
        """Names of other treatments misspelt in the text. A word the domain's examples use
        is never one; a word within one typo of the domain's words is one only when each of
        those words is a treatment's name ("microdermabraison": the comparison examples name
        microdermabrasion; "layers" is near "lasers" but also the domain's "layer")."""
        found = []
        for word in set(_WORD.findall(text.lower())) - domain_words.words:
            if not self.near(word):
                continue
            if domain_words.known(word) and not domain_words.neighbours(word) <= self.names:
                continue
            found.append(word)
        return found


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class ScopeCheck(GraphComponent):
    MODEL_FILE = "relevance.pkl"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "entity": "treatment",
            "intent": "ask_other_treatment",
            # Intents whose meaning holds when another treatment is named, or that are not
            # questions for the documents (greetings, the consultation form's replies).
            "keep": [],
            # Intents that are not questions: neither side of the relevance model. Their examples'
            # words (first names, "thx", "lovely") never open a name the lists lack.
            "not_questions": [],
            # Readings hooks/follow_ups.py resolves with the conversation: their first word is the
            # visitor's about the last answer ("wow, is that each?"), never a treatment's name.
            "context_intents": ["follow_up"],
            "compare_intent": "ask_vs_other_treatments",
            "out_of_scope_intent": "out_of_scope",
            # A question about the clinic's business read as everyday becomes this.
            "not_covered_intent": "ask_not_covered",
            "business_entity": "clinic_business",
            # A subject the documents don't cover (data/uncovered_subjects.yml) ...
            "uncovered_entity": "uncovered_subject",
            # ... or a concern they don't list, asked of an aspect other than these, which
            # take the concern and say themselves that the list doesn't mention it.
            "concern_entity": "skin_condition",
            "takes_concerns": ["ask_conditions", "ask_stamp_vs_roller", "follow_up"],
            # Small talk that a question about the clinic's business is not ("do you take card?"
            # read as a goodbye).
            "business_over": [],
            # ... of which these only when spoken to the clinic: "and is there parking near you?"
            # asks the clinic, "and if ive a wedding that weekend?" tells of the visitor's plans.
            "business_to_the_clinic": [],
            # ... and reads at least this much like the domain's questions: "when will my tax
            # refund arrive" (0.01) is everyday, "do you take card?" (0.8) the clinic's.
            "business_relevance_threshold": 0.15,
            # ... or when NLU is this unsure of every reading (FallbackClassifier's threshold).
            "business_unsure_below": 0.3,
            # A reaction read as everyday costs a visitor's safety; the reverse costs a needless
            # "contact your practitioner". So when NLU's out_of_scope is nearly tied with a
            # reported reaction (at least ``safety_runner_up``) and the message reads like the
            # clinic's (relevance at least ``safety_relevance``), the reaction is answered.
            "safety_intent": "report_adverse_reaction",
            "safety_runner_up": 0.25,
            "safety_relevance": 0.8,
            # ... or, when the message names serious signs on the visitor's own skin, a reaction
            # read at least this, in a message that reads at least this much like the clinic's.
            "serious_runner_up": 0.1,
            "serious_relevance": 0.5,
            # A reaction that names only what the documents say to expect ("tight and itchy").
            "documented_effects_intent": "ask_side_effects",
            # A follow-up reading, which serious signs on the visitor's own
            # skin override (actions/vocabulary.py, SERIOUS_REACTION_WORDS).
            "reaction_over": ["follow_up"],
            # A reaction read below this, in a message without a word of one, is not one.
            "unsure_reaction": 0.7,
            "relevance_threshold": 0.3,
            "foreign_relevance_threshold": 0.8,
            # Entities that place a message in the domain whatever else it says.
            "anchors": ["body_area", "skin_condition", "number"],
        }

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 relevance: Any = None, domain_words: DomainWords | None = None,
                 treatment_names: TreatmentNames | None = None,
                 business: BusinessQuestions | None = None, chat_words: set[str] | None = None) -> None:
        self.config = config
        self.entity = config["entity"]
        self.intent = config["intent"]
        self.keep = set(config["keep"]) | {self.intent}
        self.out_of_scope = config["out_of_scope_intent"]
        self.compare = config["compare_intent"]
        self.threshold = float(config["relevance_threshold"])
        self.foreign_threshold = float(config["foreign_relevance_threshold"])
        self.anchors = set(config["anchors"])
        self.model_storage, self.resource = model_storage, resource
        self.relevance = relevance
        self.domain_words = domain_words
        self.treatment_names = treatment_names
        self.chat_words = chat_words or set()
        self.business = business or BusinessQuestions(config["business_entity"])
        self.not_covered = config["not_covered_intent"]
        self.uncovered_entity = config["uncovered_entity"]
        self.concern_entity = config["concern_entity"]
        self.takes_concerns = set(config["takes_concerns"])
        self.business_over = set(config["business_over"])
        self.business_to_the_clinic = set(config["business_to_the_clinic"])
        self.business_threshold = float(config["business_relevance_threshold"])
        self.business_unsure_below = float(config["business_unsure_below"])
        self.safety_intent = config["safety_intent"]
        self.safety_runner_up = float(config["safety_runner_up"])
        self.safety_relevance = float(config["safety_relevance"])
        self.serious_runner_up = float(config["serious_runner_up"])
        self.serious_relevance = float(config["serious_relevance"])
        self.reaction_over = set(config["reaction_over"])
        self.unsure_reaction = float(config["unsure_reaction"])

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "ScopeCheck":
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Training reads the other treatments' list, and what it keeps is this module's choice: a
        change to either retrains this component (Rasa's cache would otherwise restore the old
        typo list, or a model without what the new code reads)."""
        digest = hashlib.sha256(vocabulary.OTHER_TREATMENTS_FILE.read_bytes())
        digest.update(Path(__file__).read_bytes())
        return digest.hexdigest()

    # --- training: the relevance model --------------------------------------------------

    def train(self, training_data: TrainingData) -> Resource:
        skip = set(self.config["not_questions"])
        texts, labels = [], []
        self.chat_words = set()
        for example in training_data.intent_examples:
            intent = example.get(INTENT)
            if intent in skip:
                self.chat_words |= set(_WORD.findall((example.get(TEXT) or "").lower()))
                continue
            if intent == self.intent:
                continue  # about other treatments: the entity decides those, not relevance
            texts.append(example.get(TEXT))
            labels.append(0 if intent == self.out_of_scope else 1)
        # The words of questions about micro-needling.
        self.domain_words = DomainWords([t for t, label in zip(texts, labels, strict=True) if label == 1])
        if len(set(labels)) == 2:
            features = make_union(
                TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
            )
            self.relevance = make_pipeline(features, LogisticRegression(C=10.0, class_weight="balanced",
                                                                        max_iter=2000, random_state=42))
            self.relevance.fit(texts, labels)
        self.treatment_names = TreatmentNames(vocabulary.other_treatments())
        save_trained(self.model_storage, self.resource, self.MODEL_FILE,
                     (self.relevance, self.domain_words, self.treatment_names, self.chat_words))
        return self.resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "ScopeCheck":
        relevance, domain_words, treatment_names, *chat_words = load_trained(model_storage, resource, cls.MODEL_FILE)
        # A model trained before the chat words were kept has none: it loads all the same.
        return cls(config, model_storage, resource, relevance, domain_words, treatment_names,
                   chat_words=chat_words[0] if chat_words else None)

    # --- prediction ------------------------------------------------------------------------

    def treatments(self, message: Message) -> list[str]:
        """The treatments the message names: the entity's values, misspelt names of other
        treatments among the words the domain doesn't use, and a name the lists lack in the
        shape "<name> for <concern>" or "<name> facial" (a peel, injections…)."""
        named = [vocabulary.treatment_key(str(e.get("value", ""))) for e in message.get(ENTITIES) or []
                 if e.get("entity") == self.entity]
        if self.treatment_names and self.domain_words:
            text = message.get(TEXT) or ""
            named += self.treatment_names.misspelt_in(text, self.domain_words)
            if not named:
                named += self.named_for_a_concern(text) or self.named_by_its_kind(text)
        return named

    def named_by_its_kind(self, text: str) -> list[str]:
        """"gua sha facial aftercare?", "oxygeneo facial cost", "chlorophyll drops for acne": a kind
        of treatment or a product (a facial, a peel, drops…) named by what comes before it."""
        span = self.kind_span(text)
        return [span.value] if span else []

    def kind_span(self, text: str) -> Span | None:
        """Where ``named_by_its_kind``'s name is in the text: a kind of treatment or a product after
        a word no domain example uses, even with a typo. (Words the domain uses were tried too,
        when no example says them right before the kind: "chem peel", "jade roller". A review found
        it took "numbign cream", "growth factor serums", "will my face peel" and "acne scar
        therapy" for other treatments: the examples say too few of the phrases visitors use.)"""
        if self.domain_words is None:
            return None
        for match in _OF_A_KIND.finditer(text.lower()):
            modifier = match.group("modifier")
            if len(modifier) < 3 or not modifier.isalpha() or modifier in ENGLISH_STOP_WORDS \
                    or modifier in vocabulary.NOT_A_TREATMENT_NAME or _DEVICE_BEFORE_A_KIND.search(modifier):
                continue
            if self.domain_words.foreign(modifier):
                return Span(*match.span("name"), match.group("name"))
        return None

    def named_for_a_concern(self, text: str) -> list[str]:
        """"emface for wrinkles", "subcision for rolling acne scars", "facial cupping for
        puffiness": one or two words opening the question before "for", the last a word the
        domain never uses, name what is asked about; the micro-needling questions' names
        ("dermaroller for stretch marks") are the domain's."""
        match = _NAME_FOR.match(text.lower())
        if not match or self.domain_words is None:
            return []
        words = match.group("name").split()
        if any(w in _NOT_A_NAME or w in ENGLISH_STOP_WORDS or _MICRONEEDLING_DEVICE.search(w) for w in words):
            return []
        # The name's last word is its head, and foreign: "punch excision", "facial cupping".
        if len(words[-1]) >= 4 and self.domain_words.foreign(words[-1]):
            return [" ".join(words)]
        return []

    def name_first(self, message: Message) -> Span | None:
        """A name the lists lack opens the question: its first word is one no domain example
        uses, even with a typo, and what follows asks something of it ("endolift jawline
        downtime", "velashape how many sessions…", "glo2facial, how long does it take"). The
        name's span ends where a concern or an area the extractor found begins ("endolift")."""
        text = (message.get(TEXT) or "").lower()
        match = _NAME_FIRST.match(text)
        if not match or self.domain_words is None:
            return None
        start, end = match.span("name")
        others = [e for e in message.get(ENTITIES) or [] if e.get("entity") != self.entity]
        if any(e.get("start", -1) <= start < e.get("end", -1) for e in others):
            return None  # "stretchmarks, how many sessions": a concern or an area the extractor knows
        raw, *rest = match.group("name").split()
        first = re.sub(r"[^a-z0-9]", "", raw)
        if len(first) < 4 or raw[0].isdigit() or first in _NOT_A_NAME or first in self.chat_words \
                or _MICRONEEDLING_DEVICE.search(first) or self.two_known_words(first):
            # "plz how much is it", "45yrs old, will it help", "aoife, how many sessions" (a name the
            # consultation examples hold), "thankyou, how many sessions".
            return None
        if set(rest) & ENGLISH_STOP_WORDS or rest[-1:] == ["skin"]:
            # "tattoo on my arm, can you go over it?", "tanned skin, is it safe": the visitor.
            return None
        if not self.domain_words.foreign(first):
            return None
        end = min([end] + [e["start"] for e in others if start < e.get("start", -1) < end])
        return Span(start, len(text[start:end].rstrip()) + start, text[start:end].strip())

    def two_known_words(self, word: str) -> bool:
        """"thankyou", "howmuch": two of the domain's words run together."""
        known = (self.domain_words.words if self.domain_words else set()) | self.chat_words
        return any(word[:i] in known and word[i:] in known for i in range(2, len(word) - 1))

    def anchored(self, message: Message) -> bool:
        return vocabulary.MICRONEEDLING in self.treatments(message) or any(
            e.get("entity") in self.anchors for e in message.get(ENTITIES) or [])

    def relevance_of(self, text: str) -> float:
        """How much the message reads like the domain's questions (0..1); 1 without a model."""
        if self.relevance is None:
            return 1.0
        return fast_features.relevance_probability(self.relevance, text)

    def scope_intent(self, message: Message) -> str | None:
        """The intent that replaces the classifier's, or None when it stands."""
        intent = (message.get(INTENT) or {}).get("name")
        if intent in self.reaction_over and vocabulary.reports_a_serious_reaction(message.get(TEXT) or ""):
            # "its day 5 and its hot, swollen and really painful, is that ok?" read as a
            # follow-up: serious signs on the visitor's own skin get the safety reply.
            return self.safety_intent
        if self.unsure(message) and self.asks_about_the_business(message):
            # "do i get a refund if it doesn't work?": no reading NLU is sure of, and a question
            # about the clinic's business; without this it would ask "did you mean…".
            return self.not_covered
        named = self.treatments(message)
        others = set(named) - {vocabulary.MICRONEEDLING}
        if intent == self.compare and vocabulary.MICRONEEDLING not in named \
                and (len(others) >= 2 or (others and not _COMPARES.search((message.get(TEXT) or "").lower()))):
            return self.intent
        if intent == self.intent and not others:
            return self.aspect_without_subject(message)
        if intent == self.out_of_scope:
            if self.reaction_read_as_everyday(message):
                return self.safety_intent
            return self.business_or_everyday(message, intent)
        if intent in self.business_over and _QUESTION.search(message.get(TEXT) or "") \
                and self.asks_about_the_business(message) \
                and (intent not in self.business_to_the_clinic
                     or _SPEAKS_TO_THE_CLINIC.search((message.get(TEXT) or "").lower())):
            return self.not_covered
        if intent is None or intent in self.keep:
            return None
        if others and vocabulary.MICRONEEDLING not in named:
            return self.intent
        if intent != self.out_of_scope and self.names_an_uncovered_subject(message):
            return self.not_covered
        if vocabulary.MICRONEEDLING in named:
            return None
        text = message.get(TEXT) or ""
        if not self.anchored(message):
            relevance = self.relevance_of(text)
            if relevance < self.threshold:
                return self.business_or_everyday(message, intent)
            if relevance < self.foreign_threshold and self.domain_words and self.domain_words.foreign(text):
                return self.business_or_everyday(message, intent)
        # Read as the clinic's question, a body area or concern in it: but about a name the lists
        # lack ("bodytite arms recovery time"). Asked after the relevance model, so an everyday
        # question that opens with a name ("netflix price?") stays everyday.
        if intent in self.config["not_questions"] or intent in self.config["context_intents"]:
            return None  # "ok bye" names nothing; "wow, is that each?" is about the last answer
        return self.intent if self.name_first(message) else None

    @staticmethod
    def could_be_a_reaction(text: str) -> bool:
        """A reaction happens after a treatment, or needs care whenever it began; and where the
        message names a concern the clinic treats, a word of one lies outside it."""
        if not vocabulary.after_treatment_or_urgent(text):
            return False
        return not names_a_concern(text) or describes_a_reaction(text)

    def names_an_uncovered_subject(self, message: Message) -> bool:
        """A micro-needling question about what the documents don't cover: "can i go to the gym
        that evening?", "what about if im pregnant" (data/uncovered_subjects.yml), or "is it ok
        with rosacea?", a concern they don't list asked of an aspect that takes no concern
        (the concerns' answer says itself that the list doesn't mention it). A concern the
        clinic treats, named too, is the subject: "stretch marks from pregnancy"."""
        entities = message.get(ENTITIES) or []
        concerns = [str(e.get("value", "")) for e in entities if e.get("entity") == self.concern_entity]
        if any(vocabulary.listed_condition(concern) for concern in concerns):
            return False
        if any(e.get("entity") == self.uncovered_entity for e in entities):
            return True
        return bool(concerns) and (message.get(INTENT) or {}).get("name") not in self.takes_concerns

    def aspect_without_subject(self, message: Message) -> str | None:
        """The classifier read "another treatment" but none is named: when the message names
        nothing foreign to the domain either ("is there much down time"), its runner-up, the
        aspect, stands; a treatment the vocabulary doesn't know yet ("hydrafacial") keeps it."""
        if self.domain_words is None or self.domain_words.foreign(message.get(TEXT) or ""):
            return None
        ranking = message.get(INTENT_RANKING_KEY) or []
        return next((r["name"] for r in ranking if r.get("name") not in (self.intent, None)), None)

    def reaction_read_as_everyday(self, message: Message) -> bool:
        """"skin is oozing and crusting a week after, what do i do": out_of_scope 0.43, a
        reaction 0.42, and it reads like the clinic's questions (0.93)."""
        ranking = message.get(INTENT_RANKING_KEY) or []
        reaction = next((r.get("confidence", 0.0) for r in ranking if r.get("name") == self.safety_intent), 0.0)
        text = message.get(TEXT) or ""
        if reaction >= self.serious_runner_up and vocabulary.reports_a_serious_reaction(text) \
                and self.relevance_of(text) >= self.serious_relevance:
            # "still bleeding a bit from a few spots today is that ok" (out_of_scope 0.64, a
            # reaction 0.29, relevance 0.67): serious signs on the visitor's own skin, in a message
            # that reads half like the clinic's ("my nose is still bleeding" 0.38 does not).
            return True
        return reaction >= self.safety_runner_up and self.relevance_of(text) >= self.safety_relevance

    def unsure(self, message: Message) -> bool:
        return float((message.get(INTENT) or {}).get("confidence") or 0.0) < self.business_unsure_below

    def asks_about_the_business(self, message: Message) -> bool:
        return self.business.asked(message, self.domain_words) \
            and self.relevance_of(message.get(TEXT) or "") >= self.business_threshold

    def business_or_everyday(self, message: Message, intent: str | None) -> str | None:
        """Out of scope, unless it asks about the clinic's business ("do you take card?")."""
        if self.asks_about_the_business(message):
            return self.not_covered
        return None if intent == self.out_of_scope else self.out_of_scope

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            reading = message.get(INTENT) or {}
            unsure = float(reading.get("confidence") or 0.0) < self.unsure_reaction
            if reading.get("name") == self.safety_intent and unsure \
                    and not vocabulary.names_a_sign(message.get(TEXT) or ""):
                # "is there parking nearby" (0.39), "had my first one 3 weeks ago and see nothing
                # yet, is that normal?" (0.60): no sign on the skin (every reaction example names
                # one, actions/vocabulary.py SIGN_WORDS), and NLU unsure: the next reading. A sure
                # reading stands ("my eyes are closing up", 0.96).
                drop_readings(message, {self.safety_intent})
            elif reading.get("name") == self.safety_intent and not self.could_be_a_reaction(message.get(TEXT) or ""):
                # "my skin has been a mess since my twenties with scarring from acne … could someone
                # call me?" (0.96), "my sister had it done … could someone call me about my acne
                # scars?": a concern, not a reaction.
                drop_readings(message, {self.safety_intent})
            if (message.get(INTENT) or {}).get("name") == self.safety_intent \
                    and vocabulary.names_only_documented_effects(message.get(TEXT) or ""):
                # "got mine done yesterday, skin feels tight and a bit itchy": what the clinic's
                # page says to expect; the side effects answer says so.
                replace_intent(message, self.config["documented_effects_intent"])
                continue
            replacement = self.scope_intent(message)
            if replacement is None:
                continue
            replace_intent(message, replacement)
            if replacement == self.intent:
                self.name_the_unlisted(message)
        return messages

    def name_the_unlisted(self, message: Message) -> None:
        """A name the lists lack, read from the question's shape, becomes the ``treatment``
        entity the answer names ("I can't tell you about endolift"), as a listed one does."""
        entities = message.get(ENTITIES) or []
        if any(e.get("entity") == self.entity for e in entities):
            return
        text = (message.get(TEXT) or "").lower()
        match = _NAME_FOR.match(text)
        span = Span(*match.span("name"), match.group("name")) if match and self.named_for_a_concern(text) \
            else self.name_first(message) or self.kind_span(text)
        if span is None:
            return
        named = {"entity": self.entity, "value": span.value, "start": span.start, "end": span.end,
                 "extractor": type(self).__name__}
        message.set(ENTITIES, [*entities, named], add_to_output=True)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
