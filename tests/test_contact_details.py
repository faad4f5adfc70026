"""The contact-details reading (hooks/contact_details.py) on messages as Rasa's pipeline hands them over."""
import pytest
from rasa.shared.nlu.training_data.message import Message

from hooks.contact_details import ContactDetailsIntent

CONFIG = {**ContactDetailsIntent.get_default_config(), "keep": ["affirm"],
          "asked_only": ["inform"], "questions": ["why_details"]}


def read(text, intent):
    message = Message(data={"text": text, "intent": {"name": intent, "confidence": 0.9},
                            "intent_ranking": [{"name": intent, "confidence": 0.9}]})
    return ContactDetailsIntent(CONFIG).process([message])[0].get("intent")["name"]


def test_a_question_with_contact_details_asks_to_be_contacted():
    assert read("how much is it? I'm Day Okafor, 087 808 1234", "ask_cost") == "contact_clinic"


@pytest.mark.parametrize("text", ["why do you need my email? it's ann@example.com",
                                  "ann@example.com - what will you do with it",
                                  "What's that for. ann@example.com"])
def test_a_question_about_the_form_with_details_stands(text):
    assert read(text, "why_details") == "why_details"


def test_details_stated_are_a_request_whatever_the_classifier_read():
    text = "I'd like a consultation for my acne scars - my name's Deirdre O'Shea and my email's d.oshea@example.com"
    assert read(text, "why_details") == "contact_clinic"


def test_kept_intents_and_details_alone_stand():
    assert read("yes, 087 123 4567", "affirm") == "affirm"
    assert read("087 123 4567", "inform") == "inform"
    assert read("please call me, I'm Sarah, 086 555 1234", "inform") == "contact_clinic"
    # Wanting to discuss something, with details, asks the clinic's team to get in touch.
    assert read("Hello. I'm Fatima Al-Hassan. I would like to discuss hyperpigmentation. Phone: 07911 123456.",
                "inform") == "contact_clinic"
    assert read("how much is it?", "ask_cost") == "ask_cost"


def test_a_reaction_with_details_gets_the_safety_reply_first():
    assert read("my face is swollen and bleeding, call me on 087 123 4567", "report_adverse_reaction") \
        == "report_adverse_reaction"


def test_a_request_with_details_read_as_a_reaction_is_a_request():
    text = ("could someone at the clinic get in touch with me? Aoife Walsh, aoife.w@example.com, after 5, "
            "about fine lines")
    assert read(text, "report_adverse_reaction") == "contact_clinic"


@pytest.mark.parametrize("text", [
    "I've wanted this for ages, I have acne scarring on my cheeks and chin. I'm Bea Lyons, 087 901 4456, after 5",
    "the dark circles under my eyes bother me - Tom Ward, tom.w@example.com, mornings",
])
def test_a_concern_the_clinic_treats_is_no_reaction(text):
    assert read(text, "report_adverse_reaction") == "contact_clinic"


def test_a_reaction_on_a_treated_concern_still_gets_the_safety_reply():
    assert read("my acne scars are red and swollen since Tuesday, call me on 087 123 4567",
                "report_adverse_reaction") == "report_adverse_reaction"


def test_a_request_to_be_contacted_signed_with_a_name_is_one():
    text = ("my skin has been a mess since my twenties with scarring from acne, could I please arrange for someone "
            "to call me? My name is Brigid O'Leary-Hayes")
    assert read(text, "out_of_scope") == "contact_clinic"
    # A name without a request, or a request without a name, is no detail given.
    assert read("my name is Brigid, how much is it?", "ask_cost") == "ask_cost"
    assert read("could someone call me about the price", "ask_cost") == "ask_cost"


def test_a_request_read_unsure_is_made_sure_when_the_message_gives_details():
    unsure = {"name": "contact_clinic", "confidence": 0.12}
    message = Message(data={"text": "I would like the clinic to call me back on 086 123 9999", "intent": unsure,
                            "intent_ranking": [unsure]})
    reading = ContactDetailsIntent(CONFIG).process([message])[0].get("intent")
    assert reading == {"name": "contact_clinic", "confidence": 1.0}


def test_an_unsure_reading_of_a_request_to_be_contacted_is_one():
    text = "my sister had it done and her skin looks amazing. Could someone call me about my acne scars?"
    message = Message(data={"text": text, "intent": {"name": "ask_conditions", "confidence": 0.2},
                            "intent_ranking": [{"name": "ask_conditions", "confidence": 0.2}]})
    assert ContactDetailsIntent(CONFIG).process([message])[0].get("intent")["name"] == "contact_clinic"
    # Sure of something else, it stands: "can you call me about the price, how much is it?" asks the price.
    assert read("could someone call me back, how much is it?", "ask_cost") == "ask_cost"


@pytest.mark.parametrize("text, intent", [
    ("hiya i was wondering cud i get a consutlation for acne scars, had them since i was a teen", "out_of_scope"),
    ("hi there sorry to bother ye, my sister had this done at yours and swears by it so id like to come in for a "
     "consultation aswell. Im Deirdre", "report_adverse_reaction"),
    ("Hi there, I'm getting married in September and my makeup artist recommended micro needling. Could I book a "
     "consultation?", "report_adverse_reaction"),
    ("hiya id love a call about old scars on my forearms", "out_of_scope"),
])
def test_a_consultation_asked_for_in_so_many_words_is_a_request_however_sure_the_classifier(text, intent):
    assert read(text, intent) == "contact_clinic"


@pytest.mark.parametrize("text, intent", [
    ("how much is a consultation?", "ask_cost"),
    ("can i book a consultation and how much is it?", "ask_cost"),
    ("do i need a consultation before my first session", "ask_procedure"),
    ("i had one yesterday and my face is swollen, can i get an appointment", "report_adverse_reaction"),
    # A review's probes: a question beside the request, a refusal, another treatment, a reaction.
    ("i'd like a consultation, I'm on roaccutane is that a problem", "out_of_scope"),
    ("i'd like a consultation but first how many sessions will i need", "out_of_scope"),
    ("Will I need a consultation before treatment", "out_of_scope"),
    ("would like to know if i need a consultation first", "out_of_scope"),
    ("i dont need a call, just tell me the cost", "out_of_scope"),
    ("i don't want a consultation just wanted to know the price", "out_of_scope"),
    ("I need an appointment for my skin after microneedling yesterday", "report_adverse_reaction"),
    ("i'd like a consultation about my scars", "ask_scarring"),  # an FAQ read surely stands
])
def test_a_question_or_a_reaction_beside_the_request_stands(text, intent):
    assert read(text, intent) == intent


def test_another_treatment_named_with_the_request_stands():
    message = Message(data={"text": "I want a consultation about botox for my forehead",
                            "intent": {"name": "out_of_scope", "confidence": 0.9},
                            "entities": [{"entity": "treatment", "value": "botox"}]})
    assert ContactDetailsIntent(CONFIG).process([message])[0].get("intent")["name"] == "out_of_scope"


def test_a_request_the_classifier_had_a_close_second_is_one():
    message = Message(data={"text": "hi could I arrange a consult",
                            "intent": {"name": "ask_suitability", "confidence": 0.45},
                            "intent_ranking": [{"name": "ask_suitability", "confidence": 0.45},
                                               {"name": "contact_clinic", "confidence": 0.44}]})
    assert ContactDetailsIntent(CONFIG).process([message])[0].get("intent")["name"] == "contact_clinic"


def test_a_phone_number_or_a_hotmail_address_is_no_reaction():
    text = "hi im Agnieszka, i want consultation for stretch marks on hips, my number +353 87 654 3321, ag@hotmail.com"
    assert read(text, "report_adverse_reaction") == "contact_clinic"


def test_sick_of_them_is_no_reaction():
    text = "i have these acne scars since school and im sick of them lol, can yous ring me?? its Dean 086 773 2019"
    assert read(text, "report_adverse_reaction") == "contact_clinic"
