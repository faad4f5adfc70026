"""A follow-up read with the question before it. A Rasa NLU component.

NLU reads one message at a time; visitors don't. "for how long tho" after "do I wash my
face with tepid water after?" asks about aftercare; "who makes it?" after a question about
the serum asks about the serum; "4?" after two prices asks the price of 4. Alone, each
reads as something else: an everyday question, the practitioner, a name or number typed
for the form.

Rasa's default recipe hands an NLU component the conversation's tracker when its
``process`` takes a ``tracker`` argument (the processor parses each message with it). This
component uses it in two ways. First it asks a model learned from labelled conversations
(hooks/context_model.py, data/conversations.yml); a sure reading of it stands. Otherwise
the rules below decide. When the visitor's message depends on what came before (the classifier
says ``follow_up``, or the message is short and leans on the last question with "it",
"that", "tho", "and", "really"…), it classifies the message again, with the previous
question's words added at a lower weight (``context_weight``), by a topic model trained
here on the same examples. A confident topic replaces the classifier's reading.

It only acts after a micro-needling fact was given (the ``last_topic`` slot, set by
action_answer_faq), never during a form, and never on a reading that is not about a topic
(a reaction, a greeting, the form's replies): those stand. ``ask_other_treatment`` stands too,
except right after a comparison, where "and IPL?" asks for the comparison with it. A message
whose own words are sure of another aspect changes the topic ("would that be the same
price?" after the body areas); a device's name is a subject, like a body area ("what about the
stamp, same thing?" asks the last question of the stamp).
A bare number after a price ("4?", "2 then") becomes ``follow_up``, which the answer
action resolves against the last topic (actions/context.py).
"""
import hashlib
import inspect
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_union

from actions import context, registry
from hooks.context_model import ContextModel, load_conversations, questions_of_their_own
from hooks.readings import load_trained, replace_intent, save_trained
from hooks.scope import DomainWords
from hooks.sentence_encoder import ENCODER_DIR, SentenceEncoder, shared_encoder

# Words by which a short message leans on the question before it.
_LEANS_ON_CONTEXT = re.compile(
    r"\b(?:it|its|it's|that|thats|that's|this|these|those|they|them|one|ones|tho|though|then|"
    r"there|afterwards|after|before|really|so|and|also|too|same|instead|else|which|who|how long|"
    r"what about|how about|he|she|his|her|him|for how|how many days|how many weeks)\b",
    re.IGNORECASE,
)


# What ties a message with words of its own to the last answer: "so no cutting or stitches or
# anything?", "even if i'm 60?", "what about the opposite, white patches", "is itchiness one of them".
_CARRIES_ON = re.compile(r"^\W*(?:(?:ok|okay|right|oh|ah)\W+)?(?:so|but|even|what about|how about)\b"
                         r"|\bone of (?:them|those|these)\b|\btoo\s*\??\s*$", re.IGNORECASE)


# A message that goes on from the one before: "so …", "and …", "but …".
_GOES_ON = re.compile(r"^\W*(?:(?:ok|okay|right|oh)\W+)?(?:so|and|but|then|also|plus|even)\b", re.IGNORECASE)

# A question whether what was just said is to be expected: "is that normal?", "is this ok or should
# i be worried", "is that meant to happen? what do i do".
_ASKS_IF_NORMAL = re.compile(
    r"\b(?:normal|meant to|supposed to|to be expected|worried|worry|worrying|concerned|concerning"
    r"|what (?:do|should|can) i do|should i (?:be|come|go|call|see|worry|do)"
    r"|is (?:this|that) (?:ok|okay|alright|fine))\b", re.IGNORECASE)

_COMPARISON_WORDS = {"and", "what", "about", "how", "vs", "versus", "or", "the", "specifically", "then", "compared",
                     "to", "with", "against", "like", "ok", "so", "is", "it", "better", "than", "worse", "same", "as",
                     "though", "tho", "one", "ones", "that", "a", "an"}
# A message that asks the stamp-or-roller question itself, not another question of a device.
_ASKS_WHICH_DEVICE = re.compile(r"\b(?:or|vs|versus|difference|better|which)\b", re.IGNORECASE)


# A question after a lead-in, in one message: "I'm interested in the dermaroller for my stretch
# marks. Does it hurt?", "derma stamp for pock marks, is it sore?". The lead-in is split off at the
# end of a sentence, or at a comma before a question's first word.
_QUESTION_OPENING = (r"(?:how|hows|what|whats|what's|when|does|do|is|are|can|could|will|would|should|any|"
                     r"roughly|approx)")
_LEAD_IN_ENDS = re.compile(rf"(?<=[.!?])\s+|,\s+(?={_QUESTION_OPENING}\b)", re.IGNORECASE)
# A question that asks to be contacted or booked is the request's, whatever the lead-in.
_ASKS_FOR_CONTACT = re.compile(r"\b(?:book|booking|appointment|consult\w*|call|ring|contact|email|e-mail|text|"
                               r"get in touch|someone|some1|somebody|get back)\b", re.IGNORECASE)


def question_after_a_lead_in(text: str) -> str | None:
    """The message's last question, when statements lead up to it ("Hi, I'm thinking about
    getting it done for acne scars. Could you tell me what you charge?"); None otherwise."""
    parts = [part for part in _LEAD_IN_ENDS.split(text.strip()) if part.strip()]
    if len(parts) < 2 or "?" in " ".join(parts[:-1]):
        return None
    question = parts[-1].strip()
    if not (question.endswith("?") or re.match(rf"{_QUESTION_OPENING}\b", question, re.IGNORECASE)):
        return None
    return question


PROJECT = Path(__file__).resolve().parent.parent


def conversations_file(config: dict[str, Any]) -> Path:
    """The labelled conversations' file: a relative path is the project's, wherever Rasa runs from
    (from elsewhere it would silently find none, and train no context model)."""
    path = Path(config.get("conversations") or FollowUpContext.get_default_config()["conversations"])
    return path if path.is_absolute() else PROJECT / path


def encoder_folder(config: dict[str, Any]) -> Path | None:
    """The sentence encoder's folder (a relative path is the project's), or None: words only."""
    folder = config.get("sentence_encoder", FollowUpContext.get_default_config()["sentence_encoder"])
    if not folder:
        return None
    return Path(folder) if Path(folder).is_absolute() else PROJECT / folder


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class FollowUpContext(GraphComponent):
    MODEL_FILE = "follow_ups.pkl"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Registry intents a follow-up is never read as: they name their own subject.
            "not_topics": sorted(context.OWN_SUBJECTS),
            # The FAQs of data/faqs.yml are the topics a follow-up may be read as; other
            # readings that are not about a topic stand (a treatment, a reaction, a greeting).
            "replaceable": ["out_of_scope", "inform"],
            # Readings that stand even when short: a question the documents don't answer
            # ("when can I work out again after it?") asks something of its own.
            "standing": ["ask_not_covered"],
            "follow_up_intent": context.FOLLOW_UP,
            # After a comparison, a follow-up naming one other treatment ("and IPL?") asks for
            # the comparison with it, not about that treatment alone.
            "comparison_intent": "ask_vs_other_treatments",
            "other_treatment_intent": "ask_other_treatment",
            "treatment_entity": "treatment",
            "out_of_scope_intent": "out_of_scope",
            "topic_slot": "last_topic",
            # The previous question's weight next to the message's own words (1.0).
            "context_weight": 0.5,
            # A reading with context replaces the classifier's only this confident ...
            "min_confidence": 0.7,
            # ... or this confident when the classifier read a bare follow-up: its only other
            # reading is "the last topic again", or a runner-up read without the context.
            "follow_up_min_confidence": 0.5,
            # A bare follow-up whose own words are this sure of an everyday subject is
            # everyday ("what about a pint of milk").
            "everyday_confidence": 0.9,
            # FallbackClassifier's threshold: a reading below it would get "did you mean…?".
            "unsure_below": 0.3,
            "unsure_min_confidence": 0.6,
            # A reading with context takes the lower bar when the classifier read it this much too.
            "agreeing_runner_up": 0.25,
            # The message's own words alone this sure of another topic change the aspect,
            # whatever came before ("can you do arms?" -> "would that be the same price?").
            "aspect_confidence": 0.7,
            # Topics whose words name a subject rather than an aspect: after "are the rollers
            # single use?", "what about the stamp, same thing?" asks the same of the stamp.
            "subject_topics": ["ask_stamp_vs_roller"],
            # ... and replaces an FAQ the classifier is surer of than this never.
            "max_faq_confidence": 0.9,
            "max_words": 12,
            # A message this short is a fragment ("brand?", "pigmentation?"): it leans on the
            # last question whatever its words.
            "fragment_words": 3,
            # Entities a follow-up carries to the last topic, or to the topic that takes them.
            "anchors": ["number", "body_area", "skin_condition"],
            # Small-talk readings that a fragment naming an anchor is not ("under my eyes?" as a yes).
            "fragment_intents": ["affirm"],
            # Right after a reported reaction, a short message read as one of these asks about it
            # ("what should i do??", "is that normal?"): the safety reply again.
            "reaction_intent": "report_adverse_reaction",
            "after_a_reaction_intents": ["out_of_scope", "follow_up", "ask_side_effects", "ask_downtime",
                                         "ask_aftercare"],
            # Labelled conversations for the learned context model (hooks/context_model.py), and
            # how sure its reading must be to stand, after an answer or a message no fact answered.
            "conversations": "data/conversations.yml",
            # The sentence encoder whose embeddings the context model reads besides the words
            # (hooks/sentence_encoder.py; `make train` fetches it), and their weight; "" reads words only.
            "sentence_encoder": "models/sentence-encoder",
            "meaning_weight": 5.0,
            "context_min_confidence": 0.6,
            # What the context model may read besides the FAQs: a question the documents don't
            # answer ("does the package expire?"), a reaction ("is that normal, its still red").
            "context_also_reads": ["ask_not_covered", "report_adverse_reaction"],
            # ... and those of them it reads over an FAQ only in a message that leans on the last. A
            # reaction is not among them: "the pain is getting worse, is that ok? its throbbing",
            # read as the pain FAQ, gets the safety reply, not "little discomfort".
            "read_over_an_faq_with_a_lean": ["ask_not_covered"],
            # An everyday reading of a message that does not lean on the last, in the domain's words
            # only, is replaced only this surely (one with a word foreign to the domain, never).
            "everyday_in_domain_words_min_confidence": 0.9,
            # Readings it leaves to the rules: a detail typed as if for the form ("joke pls", "4?").
            "context_keeps": ["inform"],
            # NLU examples of each intent the context model learns as questions of their own.
            "own_questions_per_intent": 25,
            # A question after a lead-in, read alone by the topic model this surely as another FAQ,
            # replaces the classifier's reading of the whole message when that is an FAQ or a request
            # to be contacted (never a reaction, another treatment, "not covered" or everyday).
            "lead_in_min_confidence": 0.8,
            "lead_in_replaces": ["contact_clinic"],
            # Over a request to be contacted, a question that names a price is the price's: "… could
            # you tell me what you charge?" wants the price, and its answer offers the clinic's team
            # anyway. (The topic model reads "is that possible?" as the body areas: no lower bar.)
            "price_intent": "ask_cost",
        }

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 features: Any = None, topics: Any = None, domain_words: DomainWords | None = None,
                 context_model: ContextModel | None = None) -> None:
        self.config = config
        self.topics_wanted = set(registry.load()) - set(config["not_topics"])
        self.replaceable = (set(config["replaceable"]) | self.topics_wanted | {config["follow_up_intent"]}) \
            - set(config["standing"])
        self.follow_up = config["follow_up_intent"]
        self.out_of_scope = config["out_of_scope_intent"]
        self.weight = float(config["context_weight"])
        self.min_confidence = float(config["min_confidence"])
        self.follow_up_min_confidence = float(config["follow_up_min_confidence"])
        self.everyday_confidence = float(config["everyday_confidence"])
        self.unsure_below = float(config["unsure_below"])
        self.unsure_min_confidence = float(config["unsure_min_confidence"])
        self.agreeing_runner_up = float(config["agreeing_runner_up"])
        self.aspect_confidence = float(config["aspect_confidence"])
        self.subject_topics = set(config["subject_topics"])
        self.max_faq_confidence = float(config["max_faq_confidence"])
        self.max_words = int(config["max_words"])
        self.fragment_words = int(config["fragment_words"])
        self.anchors = set(config["anchors"])
        self.after_a_reaction_intents = set(config["after_a_reaction_intents"])
        self.model_storage, self.resource = model_storage, resource
        self.features, self.topics, self.domain_words = features, topics, domain_words
        self.context_model = context_model
        self.context_min_confidence = float(config["context_min_confidence"])
        self.context_reads = self.topics_wanted | set(config["context_also_reads"])
        self.context_keeps = set(config["context_keeps"])
        self.own_subjects_read = set(config["read_over_an_faq_with_a_lean"])
        self.everyday_in_domain_words = float(config["everyday_in_domain_words_min_confidence"])
        self.lead_in_min_confidence = float(config["lead_in_min_confidence"])
        self.lead_in_replaces = (self.topics_wanted - set(config["standing"])) | set(config["lead_in_replaces"])

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "FollowUpContext":
        return cls(config, model_storage, resource)

    # --- training: the topic model and the context model ---------------------------------

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """The labelled conversations are read here, not given by the graph, and the context
        model's code is in its own module: a change to either must retrain this component (Rasa's
        hook for a component's own data; its cache would otherwise restore the old model)."""
        path = conversations_file(config)
        digest = hashlib.sha256(Path(inspect.getfile(ContextModel)).read_bytes())
        digest.update(Path(inspect.getfile(SentenceEncoder)).read_bytes())
        digest.update(path.read_bytes() if path.exists() else b"")
        folder = encoder_folder(config)
        weights = folder / "model.safetensors" if folder else None
        digest.update(str(weights.stat().st_size if weights and weights.exists() else None).encode())
        return digest.hexdigest()

    def train(self, training_data: TrainingData) -> Resource:
        texts, labels, follow_ups = [], [], []
        examples: dict[str, list[str]] = defaultdict(list)
        for example in training_data.intent_examples:
            intent = example.get(INTENT)
            examples[intent].append(example.get(TEXT))
            if intent in self.topics_wanted or intent == self.out_of_scope:
                texts.append(example.get(TEXT))
                labels.append(intent)
            elif intent == self.follow_up:
                follow_ups.append(example.get(TEXT))
        if len(set(labels)) >= 2:
            # Smaller than the classifier's features (n-grams seen twice, characters up to 4):
            # as accurate on the tune part's follow-ups, 4x faster to train, 2x to read.
            self.features = make_union(
                TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2),
            )
            matrix = self.features.fit_transform(texts)
            self.topics = LogisticRegression(C=10.0, max_iter=2000, random_state=42).fit(matrix, labels)
        # The words of the domain's questions and of its follow-ups ("tho", "really", "ok so").
        self.domain_words = DomainWords([t for t, label in zip(texts, labels, strict=True)
                                         if label != self.out_of_scope] + follow_ups)
        conversations = load_conversations(conversations_file(self.config))
        if conversations and self.topics is not None:
            asked_before = {intent: examples[intent] for intent in self.topics_wanted if examples.get(intent)}
            own = {intent: examples[intent] for intent in self.context_reads | {self.out_of_scope}
                   | {self.config["other_treatment_intent"]} if examples.get(intent)}
            folder = encoder_folder(self.config)
            own_questions = questions_of_their_own(own, asked_before, int(self.config["own_questions_per_intent"]))
            self.context_model = ContextModel(
                self.features, self.topics, encoder=shared_encoder(folder) if folder else None,
                meaning_weight=float(self.config["meaning_weight"]),
            ).fit(conversations + own_questions,
                  saved_meanings=folder / "meanings-seen-in-training.npz" if folder else None)
        save_trained(self.model_storage, self.resource, self.MODEL_FILE,
                     (self.features, self.topics, self.domain_words, self.context_model))
        return self.resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "FollowUpContext":
        # (A model trained before the context model holds three parts: it loads, without one.)
        features, topics, domain_words, *context_model = load_trained(model_storage, resource, cls.MODEL_FILE)
        model = context_model[0] if context_model else None
        if model is not None and model.reads_meaning:
            # Trained with the encoder: it reads with the same one, or the model could not be used.
            folder = encoder_folder(config) or ENCODER_DIR
            model.attach(shared_encoder(folder))
        return cls(config, model_storage, resource, features, topics, domain_words, model)

    # --- prediction ------------------------------------------------------------------------

    def previous_question(self, tracker: DialogueStateTracker | None) -> str | None:
        """The visitor's last message, when a fact answered it and no form is running."""
        if tracker is None or tracker.active_loop_name or not tracker.get_slot(self.config["topic_slot"]):
            return None
        for event in reversed(tracker.events):
            if isinstance(event, UserUttered):
                text = event.text or ""
                return None if text.startswith("/") else text
        return None

    @staticmethod
    def earlier_message(tracker: DialogueStateTracker | None) -> str:
        """The visitor's message before the last one ("how much is it" / "and for 3?" / "so 4?")."""
        said = [e.text or "" for e in reversed(tracker.events) if isinstance(e, UserUttered)][:2] if tracker else []
        return said[1] if len(said) == 2 and not said[1].startswith("/") else ""

    def previous_message(self, tracker: DialogueStateTracker | None) -> str | None:
        """The visitor's last message when no fact answered it ("hi, i saw ye do CIT"), outside
        a form and not about another treatment or a reaction."""
        if tracker is None or tracker.active_loop_name:
            return None
        last = next((e for e in reversed(tracker.events) if isinstance(e, UserUttered)), None)
        if last is None or (last.text or "").startswith("/") \
                or (last.intent or {}).get("name") in self.config["not_topics"]:
            return None
        return last.text

    def topic_without_an_answer_before(self, message: Message, previous: str) -> str | None:
        """"what is that?" after "hi, i saw ye do CIT", "why would that help?" after "so it
        damages the skin on purpose?": a bare follow-up, read with the message before it, when
        that reading is sure enough; otherwise the answer action says it doesn't know what
        "that" is."""
        if (message.get(INTENT) or {}).get("name") != self.follow_up or self.topics is None:
            return None
        _, (topic, confidence) = self.in_context(message.get(TEXT) or "", previous)
        return topic if topic != self.out_of_scope and confidence >= self.unsure_min_confidence else None

    def leans_on_context(self, message: Message) -> bool:
        intent = message.get(INTENT) or {}
        name = intent.get("name")
        if name not in self.replaceable:
            return False
        if name == self.follow_up:
            return True
        text = message.get(TEXT) or ""
        words = len(text.split())
        if words > self.max_words or (words > self.fragment_words and not _LEANS_ON_CONTEXT.search(text)):
            return False
        if name == self.out_of_scope:
            # "how much is a pint of milk": a subject of its own, whatever came before; "so no
            # cutting or stitches?", "is itchiness one of them": words of its own, said of the last.
            return bool(_CARRIES_ON.search(text)) or not (self.domain_words and self.domain_words.foreign(text))
        return float(intent.get("confidence") or 0.0) <= self.max_faq_confidence

    def asks_of_something_else(self, message: Message) -> bool:
        """"and the bus?", "what about heathrow", "and a pint in town?": a follow-up's shape, of things
        the domain's examples never name and no area, concern or count; the last topic again would
        be a micro-needling fact about the bus."""
        intent = (message.get(INTENT) or {}).get("name")
        text = message.get(TEXT) or ""
        return intent in (self.follow_up, self.out_of_scope, "inform") and context.elliptical(text) \
            and self.domain_words is not None and self.domain_words.only_foreign(text) \
            and not self.carries_an_anchor(message)

    def comparison_follow_up(self, message: Message, previous_topic: str | None) -> str | None:
        """"and IPL?" after a comparison: the comparison again, with the treatment it names."""
        comparison = self.config["comparison_intent"]
        treatments = {str(e.get("value", "")).lower() for e in message.get(ENTITIES) or []
                      if e.get("entity") == self.config["treatment_entity"]}
        if previous_topic != comparison or len(treatments) != 1:
            return None
        rest = (message.get(TEXT) or "").lower()
        for treatment in treatments:
            rest = rest.replace(treatment, " ")
        # Only the treatment and words that point back at the comparison: "and IPL?", "what
        # about IPL specifically", "vs IPL?"; "does botox hurt?" asks about botox itself.
        return comparison if set(re.findall(r"[a-z']+", rest)) <= _COMPARISON_WORDS else None

    def carries_an_anchor(self, message: Message) -> bool:
        """A fragment, or a follow-up, that names a number, body area or skin concern ("what
        about old chickenpox scars from when i was a kid")."""
        intent = (message.get(INTENT) or {}).get("name")
        named = any(e.get("entity") in self.anchors for e in message.get(ENTITIES) or [])
        text = message.get(TEXT) or ""
        short = len(text.split()) <= self.fragment_words
        confidence = float((message.get(INTENT) or {}).get("confidence") or 0.0)
        continues = (intent == self.out_of_scope or confidence < self.follow_up_min_confidence) \
            and context.opens_like_a_follow_up(text) and len(text.split()) <= self.max_words
        return named and (intent == self.follow_up or short or continues)

    @staticmethod
    def unsure(message: Message) -> bool:
        return float((message.get(INTENT) or {}).get("confidence") or 0.0) < 1.0

    def in_context(self, text: str, previous: str) -> tuple[tuple[str, float], tuple[str, float]]:
        """The topic of the message alone and read with the previous question, each with its
        probability."""
        own, before = self.features.transform([text, previous])
        probabilities = self.topics.predict_proba(own + self.weight * before)[0]
        alone = self.topics.predict_proba(own)[0]
        return self._best(alone), self._best(probabilities)

    def _best(self, probabilities: np.ndarray) -> tuple[str, float]:
        best = int(np.argmax(probabilities))
        return str(self.topics.classes_[best]), float(probabilities[best])

    def learned_reading(self, message: Message, previous: str, earlier: str = "") -> str | None:
        """The context model's reading of the message with the two before it, when it is sure:
        a reading that replaces the classifier's, or confirms it (hooks/context_model.py)."""
        intent = (message.get(INTENT) or {}).get("name")
        if self.context_model is None or intent not in self.replaceable or intent in self.context_keeps:
            return None
        everyday_alone = intent == self.out_of_scope and not self.leans_on_context(message)
        text = message.get(TEXT) or ""
        if everyday_alone and (self.domain_words is None or self.domain_words.foreign(text)):
            # "how much is an eye test", "can i shower after" / "who won strictly": a subject of its
            # own. The model, which sees few everyday questions asked mid-conversation, would read
            # many as the last topic again.
            return None
        reading, confidence = self.context_model.read(text, previous, earlier)
        if confidence < (self.everyday_in_domain_words if everyday_alone else self.context_min_confidence) \
                or reading not in self.context_reads:
            # An everyday reading in the domain's words ("what if i add a third" after the price of 2)
            # takes a surer reading.
            return None
        if reading != intent and reading in self.own_subjects_read and intent in self.topics_wanted \
                and not self.leans_on_context(message):
            # "dermaroller for acne scars price?" after a comparison with a peel is the price, not a
            # question the documents don't answer: over an FAQ, "not covered" is read only in a
            # message that leans on the one before.
            return None
        # Also when it agrees with the classifier: made sure, the reading is answered as it is, not
        # asked about ("did you mean…?") or moved to the FAQ of a concern it names.
        return reading

    def reading(self, message: Message, previous: str, previous_topic: str | None = None,
                earlier: str = "") -> str | None:
        """The intent that replaces the classifier's, or None when it stands."""
        text = message.get(TEXT) or ""
        intent = (message.get(INTENT) or {}).get("name")
        if intent == self.config["other_treatment_intent"]:
            return self.comparison_follow_up(message, previous_topic)
        if self.asks_of_something_else(message):
            return self.out_of_scope
        learned = self.learned_reading(message, previous, earlier)
        if learned:
            # Before the rules for what a message names: "and theres no chance of scarring if they
            # do it?" after the practitioner asks about scarring, not the concern "scarring".
            return learned
        if intent in self.config["fragment_intents"] and self.carries_an_anchor(message):
            # "under my eyes?" read as a yes: a fragment naming an area or concern, after a fact.
            return self.follow_up
        if intent == "inform":
            # "4?", "2 then", "pigmentation?": a count, concern or area for the last topic, not a
            # detail for a form.
            return self.follow_up if context.bare_number(text) is not None or self.carries_an_anchor(message) \
                else None
        if intent != self.follow_up and self.carries_an_anchor(message) and intent in self.replaceable:
            # "what about old chickenpox scars from when i was a kid": a concern, area or count
            # for the last topic, in words the domain doesn't use.
            return self.follow_up
        if not self.leans_on_context(message) or self.topics is None:
            return None
        if self.carries_an_anchor(message):
            # "and my neck?", "pigmentation?": the answer action pairs it with the last topic,
            # or the topic that takes it; sure, so the fallback doesn't ask "did you mean".
            return self.follow_up if intent != self.follow_up or self.unsure(message) else None
        (own_topic, own_confidence), (topic, confidence) = self.in_context(text, previous)
        if intent == self.follow_up and own_topic == self.out_of_scope and own_confidence >= self.everyday_confidence:
            # "what about a pint of milk": shaped like a follow-up, about something else.
            return self.out_of_scope
        if own_topic in self.subject_topics and previous_topic not in self.subject_topics and intent == self.follow_up \
                and context.elliptical(text) and not _ASKS_WHICH_DEVICE.search(text):
            # "what about the stamp, same thing?": the last question, asked of another subject.
            return None
        if own_topic not in (self.out_of_scope, previous_topic) and own_topic not in self.subject_topics \
                and own_confidence >= self.aspect_confidence:
            # A new aspect in the message's own words: "would that be the same price?". When the
            # classifier read it already, its reading stands.
            return None if own_topic == intent else own_topic
        # A bare follow-up takes the reading with context at the lower bar; so, a little higher,
        # does a reading NLU is too unsure of to answer ("did you mean…?").
        below_fallback = float((message.get(INTENT) or {}).get("confidence") or 0.0) < self.unsure_below
        if topic not in (self.out_of_scope, intent) and confidence >= self.follow_up_min_confidence \
                and self.runner_up_confidence(message, topic) >= self.agreeing_runner_up and _GOES_ON.match(text):
            # "so i wont feel anything at all??" after the numbing: out_of_scope 0.38, pain 0.33
            # alone; with the question before it, pain 0.55. The classifier's second reading and
            # the context agree, and the message goes on from the last ("so", "and", "but"): "how
            # much does it cost to paint a room" does not.
            return topic
        floor = self.follow_up_min_confidence if intent == self.follow_up \
            else self.unsure_min_confidence if below_fallback else self.min_confidence
        if topic == self.out_of_scope or confidence < floor or topic == intent:
            return None
        return topic

    @staticmethod
    def runner_up_confidence(message: Message, intent: str) -> float:
        ranking = message.get(INTENT_RANKING_KEY) or []
        return next((float(r.get("confidence") or 0.0) for r in ranking if r.get("name") == intent), 0.0)

    def after_a_reaction(self, message: Message, tracker: DialogueStateTracker | None) -> bool:
        """"what should i do??" right after a reported reaction asks about it: the safety reply
        again, not "I can only help with micro-needling"."""
        if tracker is None or tracker.active_loop_name:
            return False
        intent = (message.get(INTENT) or {}).get("name")
        if intent == self.config["other_treatment_intent"]:
            # "sudocrem, can i put it on?": a name the subject check took for another treatment's,
            # in what the classifier read as an aftercare question. Its reading decides.
            ranking = message.get(INTENT_RANKING_KEY) or []
            intent = next((r.get("name") for r in ranking if r.get("name") != intent), intent)
        short = len((message.get(TEXT) or "").split()) <= self.fragment_words * 3
        if not short or not (intent in self.after_a_reaction_intents
                             or (intent in self.replaceable and _ASKS_IF_NORMAL.search(message.get(TEXT) or ""))):
            # ("is that meant to happen? what do i do", read as the procedure: about the reaction.)
            return False
        last = next((e for e in reversed(tracker.events) if isinstance(e, UserUttered)), None)
        return last is not None and (last.intent or {}).get("name") == self.config["reaction_intent"]

    def question_read_apart(self, message: Message) -> str | None:
        """"I'm interested in the dermaroller treatment for my stretch marks. Does it hurt?": the
        classifier reads the lead-in's concern (what it treats); the question, read alone, asks
        about pain. Only where the classifier read an FAQ or a request to be contacted."""
        intent = (message.get(INTENT) or {}).get("name")
        question = question_after_a_lead_in(message.get(TEXT) or "")
        if question is None or intent not in self.lead_in_replaces or self.topics is None:
            return None
        if intent not in self.topics_wanted and _ASKS_FOR_CONTACT.search(question):
            return None  # "I've a few questions about acne scars. Could someone call me?"
        if intent not in self.topics_wanted and context.NAMES_A_PRICE.search(question):
            return str(self.config["price_intent"])
        topic, confidence = self._best(self.topics.predict_proba(self.features.transform([question]))[0])
        if topic == intent or topic not in self.topics_wanted or confidence < self.lead_in_min_confidence:
            return None
        return topic

    def process(self, messages: list[Message], tracker: DialogueStateTracker | None = None) -> list[Message]:
        for message in messages:
            if self.after_a_reaction(message, tracker):
                replace_intent(message, self.config["reaction_intent"])
            elif not (tracker and tracker.active_loop_name) and (topic := self.question_read_apart(message)):
                replace_intent(message, topic)
        previous = self.previous_question(tracker)
        if previous is None:
            before = self.previous_message(tracker)
            for message in messages if before else []:
                # "i have rosacea on my cheeks" / "would micro needling make it worse?"
                topic = self.learned_reading(message, before, self.earlier_message(tracker)) \
                    or self.topic_without_an_answer_before(message, before)
                if topic:
                    replace_intent(message, topic)
            return messages
        previous_topic = tracker.get_slot(self.config["topic_slot"]) if tracker else None
        earlier = self.earlier_message(tracker)
        for message in messages:
            replacement = self.reading(message, previous, previous_topic, earlier)
            if replacement is None:
                continue
            replace_intent(message, replacement)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
