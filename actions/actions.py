"""Custom actions: thin. Read the tracker, ask the answers/facts modules, dispatch.

Every FAQ intent has one small class here (named after its job, e.g.
``ActionAnswerCost``), mapped to its intent by a rule in ``data/rules_faq.yml``.
"""
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import answers, vocabulary

DomainDict = Dict[Text, Any]


class AnswerFromFacts(Action, ABC):
    """Answers one FAQ intent with the reply composed in ``actions.answers``."""

    @property
    @abstractmethod
    def intent(self) -> Text:
        """The FAQ intent this action answers (a key of ``answers.TOPICS``)."""

    def name(self) -> Text:
        return "action_answer_" + self.intent[len("ask_"):]

    def compose(self, tracker: Tracker) -> Text:
        return answers.TOPICS[self.intent].answer()

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        dispatcher.utter_message(text=self.compose(tracker))
        return []


def latest_entity(tracker: Tracker, entity: Text) -> Optional[Text]:
    return next(tracker.get_latest_entity_values(entity), None)


class ActionAnswerCost(AnswerFromFacts):
    intent = "ask_cost"

    def compose(self, tracker: Tracker) -> Text:
        # "how much for 3 treatments?": the first number that parses as a count.
        counts = (vocabulary.parse_number(v) for v in tracker.get_latest_entity_values("number"))
        return answers.cost(next((c for c in counts if c is not None), None))


class ActionAnswerConditions(AnswerFromFacts):
    intent = "ask_conditions"

    def compose(self, tracker: Tracker) -> Text:
        return answers.conditions(latest_entity(tracker, "skin_condition"))


class ActionAnswerBodyAreas(AnswerFromFacts):
    intent = "ask_body_areas"

    def compose(self, tracker: Tracker) -> Text:
        return answers.body_areas(latest_entity(tracker, "body_area"))


class ActionAnswerMedicalUnanswered(AnswerFromFacts):
    """Questions the documents don't answer: say so. The rule then offers a consultation
    (utter_offer_consultation), except during the consultation form."""

    intent = "ask_medical_unanswered"


class ActionAnswerPain(AnswerFromFacts):
    intent = "ask_pain"


class ActionAnswerDowntime(AnswerFromFacts):
    intent = "ask_downtime"


class ActionAnswerSessions(AnswerFromFacts):
    intent = "ask_sessions"


class ActionAnswerScarring(AnswerFromFacts):
    intent = "ask_scarring"


class ActionAnswerStampVsRoller(AnswerFromFacts):
    intent = "ask_stamp_vs_roller"


class ActionAnswerWhatIs(AnswerFromFacts):
    intent = "ask_what_is"


class ActionAnswerHowItWorks(AnswerFromFacts):
    intent = "ask_how_it_works"


class ActionAnswerSessionDuration(AnswerFromFacts):
    intent = "ask_session_duration"


class ActionAnswerProcedure(AnswerFromFacts):
    intent = "ask_procedure"


class ActionAnswerResultsTime(AnswerFromFacts):
    intent = "ask_results_time"


class ActionAnswerAftercare(AnswerFromFacts):
    intent = "ask_aftercare"


class ActionAnswerSideEffects(AnswerFromFacts):
    intent = "ask_side_effects"


class ActionAnswerMakeup(AnswerFromFacts):
    intent = "ask_makeup"


class ActionAnswerVsOtherTreatments(AnswerFromFacts):
    intent = "ask_vs_other_treatments"


class ActionAnswerSuitability(AnswerFromFacts):
    intent = "ask_suitability"


class ActionAnswerDeviceHygiene(AnswerFromFacts):
    intent = "ask_device_hygiene"


class ActionAnswerSerum(AnswerFromFacts):
    intent = "ask_serum"


class ActionAnswerPractitioner(AnswerFromFacts):
    intent = "ask_practitioner"


# Topics that can be suggested in "Did you mean…?" besides the FAQ answers.
EXTRA_SUGGESTIONS = {"contact_clinic": "Contact the clinic"}
MAX_SUGGESTIONS = 3


class ActionDefaultAskAffirmation(Action):
    """First stage of the two-stage fallback: "Did you mean: Cost / Sessions / Something else".

    Replaces Rasa's default, which offers a single intent by its raw name. Buttons
    send the intent itself, so a click answers at once; "Something else" sends
    ``/out_of_scope``, which Rasa's fallback loop treats as "no": it asks the
    visitor to rephrase, and gives up honestly after a second miss.
    """

    def name(self) -> Text:
        return "action_default_ask_affirmation"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        titles = {intent: topic.title for intent, topic in answers.TOPICS.items()}
        titles.update(EXTRA_SUGGESTIONS)
        ranking = tracker.latest_message.get("intent_ranking") or []
        likely = [r["name"] for r in ranking if r.get("name") in titles][:MAX_SUGGESTIONS]
        buttons = [{"title": titles[intent], "payload": f"/{intent}"} for intent in likely]
        buttons.append({"title": "Something else", "payload": "/out_of_scope"})
        dispatcher.utter_message(text="Sorry, I'm not sure I understood. Did you mean:", buttons=buttons)
        return []
