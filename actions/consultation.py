"""The consultation request: a Rasa form takes a visitor's details for the clinic's team.

Every message during the form is read once, whole (actions/form_reader.py): the details it
carries fill their slots whatever the step ("Sarah Byrne, 086 555 1234, evenings are best"),
a correction replaces a detail, a goodbye or a refusal ends the form, and a question is
answered by the rules (data/rules_consultation.yml) before the form asks again. Each slot's
``validate_`` method then checks that its value is plausibly of its kind, and re-asks saying
what was expected. The form asks only for what is still missing.

Thin actions otherwise: the checks on the details and the storage are in the ``leads``
package; every text is a response in domain.yml, filled in here.

Personal data is never logged: log lines name request ids and error kinds only.
"""
import asyncio
import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecutionRejected, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT

from actions import detail_patterns, form_reader, registry, vocabulary
from actions.detail_patterns import CONCERN, CONFIRMED, CONSENT, CONTACT, NAME, TIME
from leads import details, intake, settings

DomainDict = dict[str, Any]
logger = logging.getLogger(__name__)

FORM = "consultation_form"
FAQS = registry.load()
DETAILS = [NAME, CONTACT, TIME, CONCERN]
OFFER = "utter_offer_consultation"
FORM_SLOTS = DETAILS + [CONSENT, CONFIRMED]
# Questions about the form itself, answered in place (action_answer_form_question).
FORM_QUESTIONS = {
    "why_details": "utter_why_details",
    "details_privacy": "utter_details_privacy",
    "who_sees_details": "utter_who_sees_details",
    "what_happens_next": "utter_what_happens_next",
}
# Intents that have a rule during the form (data/rules_consultation.yml, and every FAQ's
# generated rule): a message that is one of these and no answer to the form's question is
# handed to the rules, which answer it, and the form asks again.
ANSWERED_DURING_FORM = set(FAQS) | set(FORM_QUESTIONS) | {"bot_challenge", "contact_clinic", "out_of_scope"}
# Beside details, a question is answered when NLU names it ("Brian Kelly, does it leave
# scars?"); "contact_clinic" there is the request the details answer (hooks/contact_details.py).
ANSWERED_WITH_DETAILS = set(FAQS) | set(FORM_QUESTIONS) | {"bot_challenge"}
# NLU is sure enough of a yes, a no, a goodbye or a question: typed "yes"/"no" score 0.8-1.0
# (buttons 1.0), while names can lean that way with little confidence ("Nora Fitz": deny, 0.37).
CONFIDENT = 0.6
# Which problem found by ``leads.details`` gets which re-ask.
INVALID = {
    ("name", "missing"): "utter_invalid_name",
    ("name", "not_a_name"): "utter_invalid_name",
    ("contact", "missing"): "utter_invalid_contact",
    ("contact", "email"): "utter_invalid_email",
    ("contact", "phone"): "utter_invalid_phone",
}
# How the visitor reads each detail's name ("OK, let's change your email or phone number").
DETAIL_LABELS = {NAME: "name", CONTACT: "email or phone number", TIME: "preferred time", CONCERN: "concern"}

# Follows leads.yml (the console's Settings page) without a restart; a broken file stops the start.
SETTINGS = settings.live()


def intent_of(tracker: Tracker) -> tuple[str | None, float]:
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def forget_details() -> list[EventType]:
    """Clears the form's slots: details live in slots only while the form needs them."""
    return [SlotSet(slot, None) for slot in FORM_SLOTS + [REQUESTED_SLOT]]


def which_detail(text: str) -> str | None:
    """The detail named first in "change my email" (None if none is named)."""
    return form_reader.read(f"change {text}").change if text else None


def _as_said(text: str, entity: dict) -> str:
    """The concern in the visitor's words, where the concern's pattern holds the entity: "old
    chicken pox scars", "wrinkles around the mouth", "stretch marks on my tummy"
    (actions/detail_patterns.py); "" where it holds none, or too much to propose."""
    start = entity.get("start")
    if not isinstance(start, int):
        return ""
    span = next((m for m in detail_patterns.CONDITION.finditer(text) if m.start() <= start < m.end()), None)
    said = detail_patterns.concern_value(span.group()) if span else ""
    return said if len(said) <= details.MAX_CONCERN // 2 else ""


def proposed_concern(tracker: Tracker) -> str | None:
    """What the visitor asked about before asking to be contacted: a skin concern they
    named, else a body area, else the topic of their latest question (the FAQ registry)."""
    events = tracker.events
    started = max((i for i, e in enumerate(events) if e.get("event") == "active_loop" and e.get("name") == FORM),
                  default=len(events))
    asked = [e for e in events[:started] if e.get("event") == "user"]
    # Only questions name a topic ("can someone call me back" names no body area).
    questions = [e for e in asked if ((e.get("parse_data") or {}).get("intent") or {}).get("name") in FAQS]
    for kind in ("skin_condition", "body_area"):
        for event in reversed(questions):
            for entity in (event.get("parse_data") or {}).get("entities") or []:
                if entity.get("entity") == kind:
                    value = str(entity.get("value"))
                    if kind == "skin_condition":
                        return _as_said(event.get("text") or "", entity) or vocabulary.condition_key(value) or value
                    return f"the {vocabulary.area_key(value) or value}"
    for event in reversed(asked):
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        text = (event.get("text") or "").strip()
        if intent == "ask_not_covered" and text and not text.startswith("/"):
            # Within the concern's length limit (leads.details), or submitting would fail.
            limit = details.MAX_CONCERN - len("your question “”")
            quoted = text if len(text) <= limit else text[:limit - 1].rstrip() + "…"
            return f"your question \u201c{quoted}\u201d"
        if intent in FAQS:
            return FAQS[intent].concern
    return None


def shown_contact(value: str | None) -> str:
    try:
        return str(details.parse_contact(value or ""))
    except details.InvalidDetail:
        return value or ""


def merged_contact(current: str | None, email: str | None, phone: str | None) -> str:
    """The contact with a new email replacing the old email and a new phone the old phone;
    one of each kind is kept ("my number is ... too" adds a phone to an email)."""
    try:
        old = details.parse_contact(current or "")
    except details.InvalidDetail:
        old = details.Contact()
    return str(details.Contact(email=email or old.email, phone=phone or old.phone))


def replies_only(validate: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """rasa_sdk also "validates" slots that an action has just cleared (set to None):
    there is no reply to check then, and nothing to say."""

    @functools.wraps(validate)
    def checked(self: Any, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                domain: DomainDict) -> dict[str, Any]:
        if value is None:
            return {validate.__name__[len("validate_"):]: None}
        return validate(self, value, dispatcher, tracker, domain)

    return checked


@dataclass
class Reply:
    """What the form makes of one message: slots to set, responses to send first, and
    whether it is (also) a question for the rules to answer."""
    slots: dict[str, Any] = field(default_factory=dict)
    say: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    question: bool = False


def read_reply(tracker: Tracker) -> Reply:
    """The form's reading of the latest message, at the step the form is at (None: the
    message that starts the form)."""
    step = tracker.get_slot(REQUESTED_SLOT) if tracker.active_loop_name == FORM else None
    text = str(tracker.latest_message.get("text") or "")
    intent, confidence = intent_of(tracker)
    sure = confidence >= CONFIDENT
    if text.startswith("/"):  # a button: its intent is the answer
        return _button(step, intent)
    reading = form_reader.read(text, step, known_name=tracker.get_slot(NAME))
    if step is None:
        # "yes please, Sarah Byrne" to the offer of the clinic's team, or just "Sarah Byrne"
        # (the rules start the form on a detail typed after the offer): the name it gives.
        named = (intent == "affirm" or (intent == "inform" and message_offered_to(tracker) is not None)) \
            and NAME not in reading.found
        if named and detail_patterns.plausible_name(reading.rest):
            reading.found[NAME] = reading.rest
        # "yes" to the offer takes the details typed before it, too.
        earlier = message_offered_to(tracker)
        if earlier:
            before = form_reader.read(earlier)
            if NAME not in before.found and not before.has_details and not before.question \
                    and before.rest == detail_patterns.clean_edges(earlier) \
                    and detail_patterns.plausible_name(before.rest):
                before.found[NAME] = before.rest  # "Sarah Byrne" - offer - "086 555 1234"
            reading = form_reader.combined(before, reading)
        return Reply(details_in(reading, tracker))
    if not reading.has_details and not reading.change and (
            reading.leaving or (sure and intent in ("cancel", "goodbye") and not reading.yes)):
        if step == CONSENT and not reading.goodbye and intent != "goodbye":
            return Reply({CONSENT: False})  # "no, I don't want my details stored"
        return Reply({CONFIRMED: False})  # the visitor leaves: nothing is sent
    reply = Reply(details_in(reading, tracker))
    reply.slots.update(respelt(reading, tracker))
    for slot in (TIME, CONCERN):  # "evenings" - ... - "or Saturday mornings": both
        given = tracker.get_slot(slot)
        if reading.joined_by and isinstance(reply.slots.get(slot), str) and isinstance(given, str) and given \
                and step != slot:
            reply.slots[slot] = f"{given} {reading.joined_by} {reply.slots[slot]}"
    if reading.change and reading.change in reply.slots:  # "typo in my name, its Cathal not Cahal": respelt
        reading.change = None
    if reading.change:  # "change my email": asked again
        reply.slots.update({reading.change: None, CONFIRMED: None})
        reply.say.append(("utter_change_detail", {"detail": DETAIL_LABELS[reading.change]}))
        return reply
    if step in (CONSENT, CONFIRMED) and reply.slots:
        reply.slots[CONFIRMED] = None  # a correction: the summary is shown again
    answer = _answer_to_step(step, reading, reply.slots)
    if answer is not None and not reply.slots and sure and intent in ANSWERED_DURING_FORM \
            and not plausible_answer(step, answer):
        answer = None  # a question NLU is sure of, and no answer of the kind asked: answered
    if answer is not None:
        reply.slots[step] = answer
    if not reply.slots:
        if intent in ANSWERED_DURING_FORM and (sure or reading.question):
            reply.question = True  # answered by the rules, then the form asks again
        elif intent == "change_detail" and sure:
            reply.say.append(("utter_which_detail", {}))
            reply.slots[step] = None
        else:
            reply.slots[step] = text  # checked by validate_<step>, re-asked saying what is expected
    elif reading.question and sure and intent in ANSWERED_WITH_DETAILS:
        reply.question = True
    if step in DETAILS and step not in reply.slots and not reply.question:
        noted = [DETAIL_LABELS[slot] for slot in DETAILS if reply.slots.get(slot)]
        if noted:  # "evenings" typed as the name: kept as the time, and the name asked again
            reply.say.append(("utter_noted_detail", {"detail": " and ".join(noted)}))
    return reply


def respelt(reading: form_reader.Reading, tracker: Tracker) -> dict[str, Any]:
    """ "Niamh not Neeve", "Tuesday not Thursday", "it ends 1243 not 1234": the detail that
    holds the words replaced, with the new words in their place (nothing if none holds them)."""
    if not reading.replaced:
        return {}
    old, new = reading.replaced
    for slot in (NAME, TIME):
        value = tracker.get_slot(slot)
        whole_words = re.compile(rf"(?<!\w){re.escape(old)}(?!\w)", re.I)
        if isinstance(value, str) and whole_words.search(value):
            return {slot: whole_words.sub(lambda _: new, value, count=1)}
    try:
        contact = details.parse_contact(tracker.get_slot(CONTACT) or "")
    except details.InvalidDetail:
        return {}
    if contact.email and "@" not in old and old.lower() in contact.email.lower() and " " not in new:
        start = contact.email.lower().index(old.lower())
        email = contact.email[:start] + new + contact.email[start + len(old):]
        if details.EMAIL.fullmatch(email):
            return {CONTACT: str(details.Contact(email=email, phone=contact.phone))}
    phone = respelt_number(contact.phone or "", old, new)
    return {CONTACT: str(details.Contact(email=contact.email, phone=phone))} if phone else {}


def respelt_number(phone: str, old: str, new: str) -> str | None:
    """The phone number with the digits ``old`` (their last place) replaced by ``new``, in
    the visitor's own spacing where as many digits replace them."""
    old_digits, new_digits = re.sub(r"[\s\-]", "", old), re.sub(r"[\s\-]", "", new)
    digits = re.sub(r"\D", "", phone)
    if not (old_digits.isdigit() and new_digits.isdigit()) or old_digits not in digits:
        return None
    start = digits.rindex(old_digits)
    changed = digits[:start] + new_digits + digits[start + len(old_digits):]
    if not details.PHONE_DIGITS[0] <= len(changed) <= details.PHONE_DIGITS[1]:
        return None
    if len(changed) != len(digits):
        return ("+" if phone.startswith("+") else "") + changed
    replacement = iter(changed)
    return "".join(next(replacement) if c.isdigit() else c for c in phone)


def plausible_answer(step: str, value: Any) -> bool:
    """Whether a reply can be the answer to the name or time question (the validation
    methods' checks); other steps take what they are given."""
    if step == NAME:
        return detail_patterns.plausible_name(str(value))
    if step == TIME:
        return detail_patterns.looks_like_time(str(value))
    return True


# "dont ring me, use my email instead", "use my phone instead of the email": one contact replaces the
# other ("call me on 086… instead" adds a phone to the email).
_INSTEAD = re.compile(r"\binstead of (?:the |my |an? )?(?:e-?mail|phone|number|mobile)\b"
                      r"|\b(?:don'?t|do not|dont) (?:ring|call|phone|text)(?: me)?(?=\s*(?:[,.;!]|$|use\b|just\b))",
                      re.I)


def details_in(reading: form_reader.Reading, tracker: Tracker) -> dict[str, Any]:
    """The slots the details of a message fill (a new email or phone joins the contact)."""
    slots: dict[str, Any] = dict(reading.found)
    if reading.email or reading.phone:
        given = details.Contact(email=reading.email, phone=reading.phone)
        slots[CONTACT] = str(given) if _INSTEAD.search(reading.text) \
            else merged_contact(tracker.get_slot(CONTACT), reading.email, reading.phone)
    return slots


def _button(step: str | None, intent: str | None) -> Reply:
    if step is None:
        return Reply()
    if intent == "cancel":
        return Reply({CONFIRMED: False})
    if intent in ("affirm", "deny"):
        yes = intent == "affirm"
        if step == CONCERN:
            return Reply({CONCERN: True if yes else ""})
        if step in (CONSENT, CONFIRMED):
            return Reply({step: yes})
    if intent in ANSWERED_DURING_FORM:
        return Reply(question=True)
    return Reply({step: f"/{intent}"})


def _answer_to_step(step: str, reading: form_reader.Reading, found: dict[str, Any]) -> Any:
    """The answer to the question asked, if the message holds one (None: it doesn't)."""
    if step in found:
        return None
    if step == CONCERN:
        if reading.yes:
            return True  # the proposal accepted: validate_concern fills it in
        return "" if reading.skip else reading.rest or None
    if step in (CONSENT, CONFIRMED):
        return True if reading.yes else False if reading.no else None
    return None if reading.question else reading.rest or None


def message_offered_to(tracker: Tracker) -> str | None:
    """The visitor's message that the offer of the clinic's team followed, when the latest
    message accepts that offer ("...my number is 087 345 6789" - offer - "yes")."""
    users = 0
    offered = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            users += 1
            if users == 2:
                return str(event.get("text") or "") if offered else None
        elif users == 1 and kind == "bot" and (event.get("metadata") or {}).get("utter_action") == OFFER:
            offered = True
        elif users == 1 and kind == "action" and event.get("name") == OFFER:
            offered = True
    return None


def already_read(tracker: Tracker) -> bool:
    """The form runs again after the rules answered a question: the message was read then."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "action_execution_rejected" and event.get("name") == FORM:
            return True
    return False


class ActionStartConsultationRequest(Action):
    """Says what will happen (no phone number, address or hours are invented), and
    clears any details left from an earlier, unfinished request."""

    def name(self) -> str:
        return "action_start_consultation_request"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_contact_clinic")
        return [SlotSet(slot, None) for slot in FORM_SLOTS if tracker.get_slot(slot) is not None]


class ValidateConsultationForm(FormValidationAction):
    """Reads each message whole (``read_reply``), then checks each value for its slot."""

    def name(self) -> str:
        return "validate_consultation_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reply = Reply() if already_read(tracker) else read_reply(tracker)
        for response, values in reply.say:
            dispatcher.utter_message(response=response, **values)
        tracker.add_slots([SlotSet(slot, value) for slot, value in reply.slots.items()])
        events = await self._extract_validation_events(dispatcher, tracker, domain)
        if reply.question and reply.slots:
            # Details and a question in one message: keep the details, and let the rules
            # answer the question before the form asks for what is missing.
            events.append(ActionExecutionRejected(self.form_name()))
        return events

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        # The visitor left: nothing more to ask, nothing is sent.
        if tracker.get_slot(CONFIRMED) is False:
            return [CONFIRMED]
        # Without consent there is nothing to confirm: the form ends and nothing is stored.
        if tracker.get_slot(CONSENT) is False:
            return [slot for slot in domain_slots if slot != CONFIRMED]
        return domain_slots

    @staticmethod
    def _checked(slot: str, check: Callable[[Any], Any], value: Any,
                 dispatcher: CollectingDispatcher) -> dict[str, Any]:
        """The slot set to ``check(value)``; or cleared, with the re-ask saying what is wrong."""
        try:
            return {slot: check(value)}
        except details.InvalidDetail as problem:
            dispatcher.utter_message(response=INVALID.get((problem.field, problem.problem), "utter_invalid_too_long"))
            return {slot: None}

    @replies_only
    def validate_visitor_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        if not detail_patterns.plausible_name(str(value)):
            dispatcher.utter_message(response="utter_invalid_name")
            return {NAME: None}
        return self._checked(NAME, details.clean_name, value, dispatcher)

    @replies_only
    def validate_visitor_contact(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        return self._checked(CONTACT, lambda v: str(details.parse_contact(v)), value, dispatcher)

    @replies_only
    def validate_preferred_time(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        if not detail_patterns.looks_like_time(str(value)):
            dispatcher.utter_message(response="utter_invalid_time")
            return {TIME: None}
        return self._checked(TIME, details.clean_preferred_time, value, dispatcher)

    @replies_only
    def validate_concern(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: DomainDict) -> dict[str, Any]:
        if value is True:  # "yes" to the proposed topic
            proposal = proposed_concern(tracker)
            if proposal:
                return {CONCERN: proposal}
            dispatcher.utter_message(response="utter_concern_type_it")
            return {CONCERN: None}
        if value == "":
            return {CONCERN: ""}  # skipped: filled, but empty
        if str(value).startswith("/") or "@" in str(value) or detail_patterns.is_question(str(value)):
            dispatcher.utter_message(response="utter_concern_type_it")
            return {CONCERN: None}
        return self._checked(CONCERN, lambda v: details.clean_concern(v) or "", value, dispatcher)

    @replies_only
    def validate_storage_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        if isinstance(value, bool):
            return {CONSENT: value}
        dispatcher.utter_message(response="utter_consent_yes_or_no")
        return {CONSENT: None}

    @replies_only
    def validate_request_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> dict[str, Any]:
        if isinstance(value, bool):
            return {CONFIRMED: value}
        dispatcher.utter_message(response="utter_confirm_hint")
        return {CONFIRMED: None}


class ActionAskConcern(Action):
    """Asks what the request is about, proposing the topic of the conversation so far."""

    def name(self) -> str:
        return "action_ask_concern"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        proposal = proposed_concern(tracker)
        if proposal:
            dispatcher.utter_message(response="utter_ask_concern_proposed", concern=proposal)
        else:
            dispatcher.utter_message(response="utter_ask_concern")
        return []


class ActionAskStorageConsent(Action):
    """Asks for explicit consent, saying how long the details are kept (leads.yml)."""

    def name(self) -> str:
        return "action_ask_storage_consent"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_ask_storage_consent", retention_days=SETTINGS.retention_days)
        return []


class ActionAskRequestConfirmed(Action):
    """Shows the request and asks to send it, change a detail, or cancel."""

    def name(self) -> str:
        return "action_ask_request_confirmed"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(
            response="utter_ask_request_confirmed",
            contact=shown_contact(tracker.get_slot(CONTACT)),
            concern=tracker.get_slot(CONCERN) or "not given",
        )
        return []


class ActionAnswerFormQuestion(Action):
    """ "Why do you need my email?", "who will see this?": a short, true answer (the
    retention period from leads.yml); during the form, the form then asks again."""

    def name(self) -> str:
        return "action_answer_form_question"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent, _ = intent_of(tracker)
        dispatcher.utter_message(response=FORM_QUESTIONS.get(intent or "", "utter_details_privacy"),
                                 retention_days=SETTINGS.retention_days)
        return []


class ActionSubmitConsultationRequest(Action):
    """The form is done: with consent and a "send it", the request is stored for the
    clinic's team; otherwise nothing is, and the reply says why (no consent, or the visitor
    left). Either way the details are cleared from the slots."""

    def name(self) -> str:
        return "action_submit_consultation_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot(CONSENT) is False:
            dispatcher.utter_message(response="utter_request_not_stored", retention_days=SETTINGS.retention_days)
            return forget_details()
        if tracker.get_slot(CONFIRMED) is not True:
            dispatcher.utter_message(response="utter_request_cancelled", retention_days=SETTINGS.retention_days)
            if detail_patterns.GOODBYE.search(str(tracker.latest_message.get("text") or "")) \
                    or intent_of(tracker)[0] == "goodbye":
                dispatcher.utter_message(response="utter_goodbye")
            return forget_details()
        try:
            request = details.new_request(
                tracker.get_slot(NAME), tracker.get_slot(CONTACT),
                tracker.get_slot(TIME), tracker.get_slot(CONCERN), conversation_id=tracker.sender_id,
            )
            # In a thread: a slow database must not hold up other visitors.
            saved = await asyncio.to_thread(intake.store_request, SETTINGS, request)
        except Exception as error:  # noqa: BLE001 - the visitor gets an honest answer, never a crash
            # The kind of error only: database errors can quote the values they failed to store.
            logger.error("Could not store a consultation request (%s)", type(error).__name__)
            dispatcher.utter_message(response="utter_request_failed")
            return forget_details()
        # The purge and the notification (a webhook or SMTP server may take seconds) run
        # after the visitor has the answer: Rasa gives an action ACTION_TIMEOUT seconds,
        # and a timeout would say "try again" about a request that is already stored.
        asyncio.get_running_loop().run_in_executor(None, intake.after_filing, SETTINGS, saved)
        dispatcher.utter_message(response="utter_request_sent", reference=saved.id, contact=str(saved.contact))
        return forget_details()
