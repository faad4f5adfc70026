"""Questions about the consultation request outside the form (hooks/form_questions.py), on
messages and trackers as Rasa's pipeline hands them over."""
from rasa.shared.core.events import ActiveLoop, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from hooks.form_questions import FormQuestionsInContext

COMPONENT = FormQuestionsInContext({"intents": ["why_details", "details_privacy", "who_sees_details",
                                                "what_happens_next"]})


def read(text, ranking, form=None):
    events = [UserUttered("can someone call me", {"name": "contact_clinic", "confidence": 0.9})]
    if form:
        events.append(ActiveLoop(form))
    tracker = DialogueStateTracker.from_events("visitor", events)
    message = Message(data={"text": text, "intent": dict(ranking[0]), "intent_ranking": ranking})
    return COMPONENT.process([message], tracker=tracker)[0]


def test_a_question_about_the_treatment_read_as_one_about_the_request_takes_the_next_reading():
    ranking = [{"name": "what_happens_next", "confidence": 0.57}, {"name": "ask_session_duration", "confidence": 0.14},
               {"name": "details_privacy", "confidence": 0.1}, {"name": "out_of_scope", "confidence": 0.1}]
    message = read("how long do they last?", ranking)
    # Its own confidence: FallbackClassifier, later, asks "did you mean…".
    assert message.get("intent") == {"name": "ask_session_duration", "confidence": 0.14}
    assert [r["name"] for r in message.get("intent_ranking")] == ["ask_session_duration", "out_of_scope"]


def test_a_question_that_speaks_of_the_request_stands():
    for text, intent in (("why do you need my details", "why_details"), ("who will see this", "who_sees_details"),
                         ("is this confidential", "details_privacy"), ("what happens after i send it",
                                                                       "what_happens_next")):
        ranking = [{"name": intent, "confidence": 0.6}, {"name": "ask_cost", "confidence": 0.2}]
        assert read(text, ranking).get("intent")["name"] == intent, text


def test_during_the_form_every_reading_stands():
    # "why?" at the email question asks why the email is needed.
    ranking = [{"name": "why_details", "confidence": 0.6}, {"name": "follow_up", "confidence": 0.3}]
    assert read("why?", ranking, form="consultation_form").get("intent")["name"] == "why_details"
    assert read("why?", ranking).get("intent")["name"] == "follow_up"
