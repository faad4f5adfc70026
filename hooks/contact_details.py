"""A message that gives an email address or a phone number asks to be contacted. A Rasa NLU
component, after the classifier and the subject check (hooks/scope.py).

"Hi, how do I book? I'm Day Okafor, 087 808 1234, and I'd prefer Monday mornings" reads to the
classifier like a question about a topic; answering the topic and dropping the number is never
what the visitor wants. The intent becomes ``contact_clinic``, so the consultation request
starts and takes every detail the message carries (actions/consultation.py; during the form,
the form reads the details whatever the intent). Intents listed in ``keep`` stand: a yes to
the offer, a correction, and a reported reaction, which gets its safety reply first (the offer
of the clinic's team follows it, and the form then reads this message's details too) when the
message describes one (actions/vocabulary.py, ``REACTION_WORDS``) once the concerns the clinic
treats are taken out ("I have acne scarring on my cheeks… 087…" asks for a consultation about
scars; "my acne scars are red and swollen, 087…" still describes a reaction). A
question about the form stands when the message asks one ("why do you need my email? it's
…"), not when it states details ("I'd like a consultation, my name's Deirdre and my email's
…", which the classifier can read as "why do you need my email"). Details typed alone
("087 123 4567": ``inform``) stand too, unless the message also asks to be contacted ("please
call me, I'm Sarah, 086 555 1234"). A request to be contacted signed with a name ("could someone
call me? My name is Brigid") counts as details given.
"""
import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from actions import vocabulary
from actions.detail_patterns import CONTACT_REQUEST, QUESTION_START, SPLIT, describes_a_reaction, is_question
from hooks.readings import replace_intent
from leads import details

# A name introduced as one: "my name is", "my name's", "I'm called".
_SIGNED = re.compile(r"\b(?:my name is|my name's|my names|the name is|i am called|i'm called|im called)\s+\w",
                     re.IGNORECASE)
# A consultation asked for in so many words ("cud i get a consutlation for acne scars", "my sister
# had this done at yours… id like to come in for a consultation"): the request, however sure the
# classifier is of another reading, unless the message also asks something else or describes a
# reaction.
_ASKS_FOR_A_CONSULTATION = re.compile(
    r"\b(?:book|arrange|get|have|want|wnt|wana|wanna|need|like|love|request|come in for|set up|schedule|organi[sz]e"
    r"|looking for)\b"
    r"[^.?!]{0,25}?\b(?:consul\w*|consut\w*|appointment|appt|call ?back|call-back"
    r"|an? (?:call|ring|phone call|chat))\b", re.IGNORECASE)
_ASKING_TO = re.compile(r"^(?:(?:hi|hey|hiya|hello|ok|okay|so|and|please|pls)\W+)*(?:can|could|may|would|cud|cn)"
                        r"\s+(?:i|we|you|u|ye|yous|someone|somebody|sum1|some1)\b", re.I)
def _asked(part: str) -> bool:
    """A question's shape, whatever it names ("do i need a consultation first" asks; so does "i'm on
    roaccutane is that a problem")."""
    return part.strip().endswith("?") or bool(QUESTION_START.match(part.strip()) or _ASKS_WITHIN.search(part))


_ASKS_WITHIN = re.compile(r"\b(?:is (?:that|it|this) (?:ok|okay|a problem|safe|alright|fine|bad)|worried about"
                          r"|anything i should|if i (?:need|should|have to)|first how|how (?:many|much|long|soon))\b",
                          re.IGNORECASE)
# The visitor's own treatment, just had: a reaction read so stands.
_OWN_TREATMENT = re.compile(r"\b(?:yesterday|last (?:night|week)|(?:\d+|a few|two|three) days? ago|since (?:my|the)"
                            r" (?:treatment|session)|after (?:my|the) (?:treatment|session|microneedling)"
                            r"|after micro-?needling)\b", re.IGNORECASE)
# "i dont need a call, just tell me the cost": no request.
_NOT_WANTED = re.compile(r"\b(?:don'?t|dont|do not|doesn'?t|not)\s+(?:really\s+)?(?:need|want|looking for)\b"
                         r"|\bno need\b", re.IGNORECASE)


# Details taken out before looking for a question ("jo.does@example.com" has a full stop).
_DETAILS = re.compile(r"\S+@\S+|\+?\d[\d\s().-]{5,}\d")


def asks_something(text: str) -> bool:
    """A part of the message is a question, as the form reader tells one (a question mark, or a
    question's opening), once the email addresses and phone numbers are out."""
    parts = SPLIT.split(_DETAILS.sub(" ", text))
    return any(part and part.strip() and is_question(part) for part in parts)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class ContactDetailsIntent(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # ``asked_only``: intents that change only when the message also asks to be contacted
        # ("please call me, I'm Sarah, 086 555 1234"); details alone stay what they are.
        # ``questions``: intents that stand only when the message asks something.
        # ``reaction_intent`` stands only when the message describes a reaction: "could the
        # clinic get in touch with me? I'm Zoë, zoe@…, it's about wrinkles" is a request.
        # ``unsure_below``: a reading this unsure (FallbackClassifier's threshold) of a message that
        # asks to be contacted, without details yet, becomes the request too.
        # ``asked_for_over``: readings a consultation asked for in so many words replaces, whatever
        # the classifier's confidence ("cud i get a consutlation for acne scars" read as everyday at
        # 0.9); any other reading only when the request is its close second.
        return {"intent": "contact_clinic", "keep": [], "asked_only": [], "questions": [],
                "reaction_intent": "report_adverse_reaction", "unsure_below": 0.3,
                "asked_for_over": ["out_of_scope", "report_adverse_reaction", "change_detail", "nlu_fallback"],
                "close_second": 0.15}

    def __init__(self, config: dict[str, Any]) -> None:
        self.intent = config["intent"]
        # The request itself is not kept as read: a message giving details asks it surely,
        # whatever the classifier's confidence ("… call me back on 086 123 9999 …" at 0.12).
        self.keep = set(config["keep"]) - {self.intent}
        self.asked_only = set(config["asked_only"])
        self.questions = set(config["questions"])
        self.reaction = config["reaction_intent"]
        self.unsure_below = float(config["unsure_below"])
        self.asked_for_over = set(config["asked_for_over"])
        self.close_second = float(config["close_second"])

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "ContactDetailsIntent":
        return cls(config)

    def gives_contact_details(self, text: str) -> bool:
        try:
            details.parse_contact(text)
        except details.InvalidDetail:
            # "…could I please arrange for someone to call me? My name is Brigid O'Leary-Hayes":
            # no number yet, but a request to be contacted, signed.
            return bool(CONTACT_REQUEST.search(text) and _SIGNED.search(text))
        return True

    def consultation_asked_for(self, message: Message) -> bool:
        """A consultation asked for in so many words, read as something it is not."""
        intent = message.get(INTENT) or {}
        name, confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
        text = message.get(TEXT) or ""
        request = next((float(r.get("confidence") or 0.0) for r in message.get("intent_ranking") or []
                        if r.get("name") == self.intent), 0.0)
        if name not in self.asked_for_over and confidence - request > self.close_second:
            return False  # "i'd like a consultation but first how many sessions will i need"
        if name == self.reaction and _OWN_TREATMENT.search(text):
            return False  # "I need an appointment for my skin after microneedling yesterday"
        if any(e.get("entity") == "treatment" and vocabulary.treatment_key(str(e.get("value", "")))
               != vocabulary.MICRONEEDLING for e in message.get(ENTITIES) or []):
            return False  # "I want a consultation about botox for my forehead"
        return self.asks_for_a_consultation_only(text)

    @staticmethod
    def asks_for_a_consultation_only(text: str) -> bool:
        if describes_a_reaction(text) or _NOT_WANTED.search(text):
            return False
        parts = [part for part in SPLIT.split(_DETAILS.sub(" ", text)) if part and part.strip()]
        # A request may be asked ("could I book a consultation?"); "do i need a consultation first?" asks.
        asked_for = [part for part in parts if _ASKS_FOR_A_CONSULTATION.search(part)
                     and (not _asked(part) or _ASKING_TO.match(part.strip()))]
        return bool(asked_for) and not any(_asked(part) and part not in asked_for for part in parts)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = (message.get(INTENT) or {}).get("name")
            text = message.get(TEXT) or ""
            if text.startswith("/"):
                continue
            if not self.gives_contact_details(text):
                confidence = float((message.get(INTENT) or {}).get("confidence") or 0.0)
                if confidence < self.unsure_below and intent not in self.keep and CONTACT_REQUEST.search(text):
                    # "my sister had it done … Could someone from the clinic call me about my acne scars?"
                    replace_intent(message, self.intent)
                elif intent not in self.keep and self.consultation_asked_for(message):
                    replace_intent(message, self.intent)
                continue
            if intent == self.reaction and describes_a_reaction(text):
                continue  # the safety reply first; the form then reads this message's details
            if intent in self.keep:
                continue
            if intent in self.questions and asks_something(text):
                continue
            if intent in self.asked_only and not CONTACT_REQUEST.search(text):
                continue
            replace_intent(message, self.intent)
        return messages
