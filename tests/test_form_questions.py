"""Questions about the consultation request outside the form (hooks/form_questions.py), on
messages and trackers as Rasa's pipeline hands them over."""
from rasa.shared.core.events import ActionExecuted, ActiveLoop, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from hooks.form_questions import FormQuestionsInContext

COMPONENT = FormQuestionsInContext({**FormQuestionsInContext.get_default_config(),
                                    "intents": ["why_details", "details_privacy", "who_sees_details",
                                                "what_happens_next"]})


def read(text, ranking, form=None):
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.slots import TextSlot

    # After a fact (the last topic set): where a short question usually continues it.
    events = [UserUttered("how soon do results show", {"name": "ask_results_time", "confidence": 0.9}),
              SlotSet("last_topic", "ask_results_time")]
    if form:
        events.append(ActiveLoop(form))
    slot = TextSlot("last_topic", mappings=[{"type": "custom"}], influence_conversation=False)
    tracker = DialogueStateTracker.from_events("visitor", events, slots=[slot])
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


def test_a_sure_reading_stands_and_so_does_one_right_after_the_request():
    # "who reads these" at 0.94: sure, it stands without the request's words.
    ranking = [{"name": "who_sees_details", "confidence": 0.94}, {"name": "out_of_scope", "confidence": 0.03}]
    assert read("who reads these", ranking).get("intent")["name"] == "who_sees_details"
    # After the request was sent, "when will they get back to me?" is about it.
    component = FormQuestionsInContext({**FormQuestionsInContext.get_default_config(), "intents": ["what_happens_next"],
                                        "request_actions": ["action_submit_consultation_request"]})
    events = [UserUttered("send it", {"name": "affirm", "confidence": 0.9}),
              ActionExecuted("action_submit_consultation_request"), ActionExecuted("action_listen")]
    tracker = DialogueStateTracker.from_events("visitor", events)
    unsure = [{"name": "what_happens_next", "confidence": 0.5}, {"name": "ask_results_time", "confidence": 0.2}]
    message = Message(data={"text": "when will they get back to me?", "intent": dict(unsure[0]),
                            "intent_ranking": unsure})
    assert component.process([message], tracker=tracker)[0].get("intent")["name"] == "what_happens_next"


def test_a_sure_reading_of_a_business_question_is_no_question_about_the_request():
    # "do I get a refund if I see no improvement?" read as "what happens next" at 1.00.
    component = FormQuestionsInContext({**FormQuestionsInContext.get_default_config(), "intents": ["what_happens_next"],
                                        "not_about_the_request": ["clinic_business"]})
    ranking = [{"name": "what_happens_next", "confidence": 1.0}, {"name": "ask_not_covered", "confidence": 0.0}]
    message = Message(data={"text": "and if i see no improvement do i get a refund", "intent": dict(ranking[0]),
                            "intent_ranking": ranking, "entities": [{"entity": "clinic_business", "value": "refund"}]})
    assert component.process([message], tracker=None)[0].get("intent")["name"] == "ask_not_covered"


def test_a_request_to_be_contacted_is_checked_only_after_a_fact():
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.slots import TextSlot

    component = FormQuestionsInContext({**FormQuestionsInContext.get_default_config(), "intents": ["contact_clinic"],
                                        "after_a_fact_only": ["contact_clinic"]})
    ranking = [{"name": "contact_clinic", "confidence": 0.4}, {"name": "ask_body_areas", "confidence": 0.3}]
    slot = TextSlot("last_topic", mappings=[{"type": "custom"}], influence_conversation=False)

    def read_after(events, text):
        tracker = DialogueStateTracker.from_events("visitor", events, slots=[slot])
        entities = [{"entity": "body_area", "value": "back"}] if "back" in text else []
        message = Message(data={"text": text, "intent": dict(ranking[0]), "intent_ranking": ranking,
                                "entities": entities})
        return component.process([message], tracker=tracker)[0].get("intent")["name"]

    after_a_fact = [UserUttered("which areas can you treat"), SlotSet("last_topic", "ask_body_areas")]
    assert read_after(after_a_fact, "my back? ive acne scarring there") == "ask_body_areas"
    assert read_after(after_a_fact, "can someone call me about my back") == "contact_clinic"
    assert read_after(after_a_fact, "whats the adress") == "contact_clinic"
    assert read_after([], "cn sum1 cal me") == "contact_clinic"


def test_a_first_question_about_the_request_in_words_of_its_own_stands():
    # Neither after a fact nor naming a skin concern: the classifier's reading stands.
    ranking = [{"name": "why_details", "confidence": 0.5}, {"name": "ask_cost", "confidence": 0.2}]
    message = Message(data={"text": "is it compulsory to give my mobile", "intent": dict(ranking[0]),
                            "intent_ranking": ranking, "entities": []})
    tracker = DialogueStateTracker.from_events("visitor", [])
    assert COMPONENT.process([message], tracker=tracker)[0].get("intent")["name"] == "why_details"
    # Naming a skin concern, it is about the treatment: "i get keloid scars, is this safe for me".
    ranking = [{"name": "details_privacy", "confidence": 0.35}, {"name": "ask_not_covered", "confidence": 0.29}]
    message = Message(data={"text": "i get keloid scars, is this safe for me", "intent": dict(ranking[0]),
                            "intent_ranking": ranking,
                            "entities": [{"entity": "skin_condition", "value": "keloid scars"}]})
    assert COMPONENT.process([message], tracker=tracker)[0].get("intent")["name"] == "ask_not_covered"


def test_keep_speaks_of_the_request_only_with_what_is_kept():
    from hooks.form_questions import REQUEST_WORDS

    assert REQUEST_WORDS.search("do you keep my details") and REQUEST_WORDS.search("how long are they kept")
    assert not REQUEST_WORDS.search("and do they keep getting better after that?")


def test_a_correction_asked_outside_the_form_of_no_detail_is_a_question_the_documents_do_not_answer():
    component = FormQuestionsInContext(FormQuestionsInContext.get_default_config())
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.slots import TextSlot

    slot = TextSlot("last_topic", mappings=[{"type": "custom"}], influence_conversation=False)

    def reading(text, form=None):
        events = [UserUttered("whats the package", {"name": "ask_cost", "confidence": 0.9}),
                  SlotSet("last_topic", "ask_cost")] + ([ActiveLoop(form)] if form else [])
        tracker = DialogueStateTracker.from_events("visitor", events, slots=[slot])
        ranking = [{"name": "change_detail", "confidence": 0.73}, {"name": "ask_not_covered", "confidence": 0.04}]
        message = Message(data={"text": text, "intent": dict(ranking[0]), "intent_ranking": ranking})
        return component.process([message], tracker=tracker)[0].get("intent")["name"]

    assert reading("is there a time limit to use them") == "ask_not_covered"
    # A correction in words, one that speaks of a detail, or one during the form, stands.
    assert reading("change the time to mornings") == "change_detail"
    assert reading("can i change my email?") == "change_detail"
    assert reading("is there a time limit to use them", form="consultation_form") == "change_detail"
    assert reading("can i change my mobile?") == "change_detail"
    assert reading("i made a typo, can i fix it?") == "change_detail"
