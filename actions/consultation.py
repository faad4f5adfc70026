"""The consultation request: a Rasa form takes a visitor's details for the clinic's team.

Thin actions. The checks on the details and the storage are in the ``leads`` package;
every text is a response in domain.yml (``utter_ask_*``, ``utter_invalid_*``,
``utter_request_*``), filled in here; the flow is in data/rules_consultation.yml.

Personal data is never logged: log lines name request ids and error kinds only.
"""
import asyncio
import functools
import logging
import re
from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT

from actions import registry, vocabulary
from leads import details, intake, settings

DomainDict = dict[str, Any]
logger = logging.getLogger(__name__)

FORM = "consultation_form"
FAQS = registry.load()
DETAILS = ["visitor_name", "visitor_contact", "preferred_time", "concern"]
FORM_SLOTS = DETAILS + ["storage_consent", "request_confirmed"]
# A reply is a yes or a no only when NLU is sure: typed "yes"/"no" score 0.8-1.0 (buttons 1.0),
# while names can lean that way with little confidence ("Nora Fitz": deny, 0.37).
YES_NO = {"affirm": True, "deny": False}
YES_NO_CONFIDENCE = 0.6
NOT_A_NAME = {"affirm", "deny", "greet", "goodbye", "thanks"}

# Follows leads.yml (the console's Settings page) without a restart; a broken file stops the start.
SETTINGS = settings.live()

# "change my email": which detail the visitor means, by the words they use.
DETAIL_WORDS = {
    "visitor_name": ["name", "spelled", "spelt"],
    "visitor_contact": ["email", "e-mail", "mail", "phone", "number", "mobile", "contact", "address"],
    "preferred_time": ["time", "when", "day", "morning", "afternoon", "evening"],
    "concern": ["concern", "treatment", "about", "topic", "reason"],
}
# How the visitor reads each detail's name ("OK, let's change your email or phone number").
DETAIL_LABELS = {
    "visitor_name": "name", "visitor_contact": "email or phone number",
    "preferred_time": "preferred time", "concern": "concern",
}
SKIP_WORDS = {"skip", "skip it", "skip this", "skip that", "no", "none", "nothing", "n/a", "na", "pass", "no thanks"}
# Which problem found by ``leads.details`` gets which re-ask.
INVALID = {
    ("name", "missing"): "utter_invalid_name",
    ("name", "not_a_name"): "utter_invalid_name",
    ("contact", "missing"): "utter_invalid_contact",
    ("contact", "email"): "utter_invalid_email",
    ("contact", "phone"): "utter_invalid_phone",
}


def intent_of(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def confident_intent(tracker: Tracker) -> str | None:
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name") if (intent.get("confidence") or 0.0) >= YES_NO_CONFIDENCE else None


def yes_or_no(tracker: Tracker) -> bool | None:
    """True for a clear yes, False for a clear no, None for anything else."""
    intent = confident_intent(tracker)
    return YES_NO.get(intent) if intent else None


def forget_details() -> list[EventType]:
    """Clears the form's slots: details live in slots only while the form needs them."""
    return [SlotSet(slot, None) for slot in FORM_SLOTS + [REQUESTED_SLOT]]


def which_detail(text: str) -> str | None:
    """The detail named first in "change my email" (None if none is named). Whole words
    only: "misspelled my email" names the email, not the name ("spelled")."""
    words = re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", str(text).lower())
    for word in words:
        for slot, candidates in DETAIL_WORDS.items():
            if word in candidates or word.rstrip("s") in candidates:
                return slot
    return None


def proposed_concern(tracker: Tracker) -> str | None:
    """What the visitor asked about before asking to be contacted: a skin concern they
    named, else the topic of their latest question (the FAQ registry)."""
    events = tracker.events
    started = max((i for i, e in enumerate(events) if e.get("event") == "active_loop" and e.get("name") == FORM),
                  default=len(events))
    asked = [e for e in events[:started] if e.get("event") == "user"]
    for event in reversed(asked):
        for entity in (event.get("parse_data") or {}).get("entities") or []:
            if entity.get("entity") == "skin_condition":
                return vocabulary.condition_key(entity.get("value")) or entity.get("value")
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


class ActionStartConsultationRequest(Action):
    """Says what will happen (no phone number, address or hours are invented), and
    clears any details left from an earlier, unfinished request."""

    def name(self) -> str:
        return "action_start_consultation_request"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_contact_clinic")
        return [SlotSet(slot, None) for slot in FORM_SLOTS if tracker.get_slot(slot) is not None]


class ValidateConsultationForm(FormValidationAction):
    """Checks each reply; a reply that can't be used is re-asked with what is wrong."""

    def name(self) -> str:
        return "validate_consultation_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        # Without consent there is nothing to confirm: the form ends and nothing is stored.
        if tracker.get_slot("storage_consent") is False:
            return [slot for slot in domain_slots if slot != "request_confirmed"]
        return domain_slots

    async def extract_visitor_contact(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> dict[str, Any]:
        # An email address or a phone number is an answer whatever NLU made of it
        # (to the classifier, "+44 20 7946 0000" can look like a question about prices).
        text = tracker.latest_message.get("text") or ""
        if (tracker.get_slot(REQUESTED_SLOT) == "visitor_contact" and details.looks_like_contact(text)
                and intent_of(tracker) not in ("cancel", "change_detail")):
            return {"visitor_contact": text}
        return {}

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
        # "yes", "hi", "thanks" or a button's payload is not a name.
        if confident_intent(tracker) in NOT_A_NAME or str(value).startswith("/"):
            dispatcher.utter_message(response="utter_invalid_name")
            return {"visitor_name": None}
        return self._checked("visitor_name", details.clean_name, value, dispatcher)

    @replies_only
    def validate_visitor_contact(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        return self._checked("visitor_contact", lambda v: str(details.parse_contact(v)), value, dispatcher)

    @replies_only
    def validate_preferred_time(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        return self._checked("preferred_time", details.clean_preferred_time, value, dispatcher)

    @replies_only
    def validate_concern(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: DomainDict) -> dict[str, Any]:
        answer = yes_or_no(tracker)
        if answer is False or " ".join(str(value).lower().split()).strip(".!") in SKIP_WORDS:
            return {"concern": ""}  # skipped: filled, but empty
        if answer is True:
            proposal = proposed_concern(tracker)
            if proposal:
                return {"concern": proposal}
            dispatcher.utter_message(response="utter_concern_type_it")
            return {"concern": None}
        return self._checked("concern", lambda v: details.clean_concern(v) or "", value, dispatcher)

    @replies_only
    def validate_storage_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        answer = yes_or_no(tracker)
        if answer is None:
            dispatcher.utter_message(response="utter_consent_yes_or_no")
        return {"storage_consent": answer}

    @replies_only
    def validate_request_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> dict[str, Any]:
        if yes_or_no(tracker) is True:
            return {"request_confirmed": True}
        dispatcher.utter_message(response="utter_confirm_hint")
        return {"request_confirmed": None}


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
            contact=shown_contact(tracker.get_slot("visitor_contact")),
            concern=tracker.get_slot("concern") or "not given",
        )
        return []


class ActionChangeConsultationDetail(Action):
    """"Change my email": forgets that detail, so the form asks for it again."""

    def name(self) -> str:
        return "action_change_consultation_detail"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        detail = which_detail(tracker.latest_message.get("text") or "")
        if detail is None:
            dispatcher.utter_message(response="utter_which_detail")
            return []
        dispatcher.utter_message(response="utter_change_detail", detail=DETAIL_LABELS[detail])
        return [SlotSet(detail, None), SlotSet("request_confirmed", None)]


class ActionCancelConsultationRequest(Action):
    """"Stop": confirms that nothing was stored, and forgets the details."""

    def name(self) -> str:
        return "action_cancel_consultation_request"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_request_cancelled", retention_days=SETTINGS.retention_days)
        return forget_details()


class ActionSubmitConsultationRequest(Action):
    """The form is done: with consent, the request is stored for the clinic's team;
    without it, nothing is. Either way the details are cleared from the slots."""

    def name(self) -> str:
        return "action_submit_consultation_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("storage_consent") is not True or tracker.get_slot("request_confirmed") is not True:
            dispatcher.utter_message(response="utter_request_not_stored", retention_days=SETTINGS.retention_days)
            return forget_details()
        try:
            request = details.new_request(
                tracker.get_slot("visitor_name"), tracker.get_slot("visitor_contact"),
                tracker.get_slot("preferred_time"), tracker.get_slot("concern"), conversation_id=tracker.sender_id,
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
