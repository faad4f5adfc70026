"""The follow-up reader (hooks/follow_ups.py): trained here on a few examples, handed a real
Rasa tracker as Rasa's processor hands it over."""
import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.events import ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from hooks.follow_ups import FollowUpContext, conversations_file

# The rules alone: no labelled conversations, so no learned context model (tested below and in
# tests/test_context_model.py).
RULES_ONLY = {**FollowUpContext.get_default_config(), "conversations": "no-such-file.yml"}

EXAMPLES = {
    "ask_serum": ["what serum do you use", "what do you put on after the needling", "which serum is applied after",
                  "what product goes on my skin after", "who makes the serum you use", "what brand is the serum",
                  "what goes on after the needling", "the serum you put on after, what is it"],
    "ask_practitioner": ["who does the treatment", "who will be doing it", "is it a doctor who does it",
                         "who performs the procedure", "who carries out the needling", "will a nurse do it"],
    "ask_cost": ["how much is it", "what does it cost", "price for one session", "how much for the package",
                 "what do you charge", "how much is a course"],
    "out_of_scope": ["how much is a pint of milk", "who won the match", "what time is it", "who makes iphones",
                     "how do i boil an egg", "what is the capital of france"],
}


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    # Six examples a topic: the previous question needs its full weight to tip "and what is in it?".
    config = {**RULES_ONLY, "context_weight": 1.0}
    component = FollowUpContext(config, storage, Resource("follow_ups"))
    component.train(TrainingData([Message(data={"text": text, "intent": intent})
                                  for intent, texts in EXAMPLES.items() for text in texts]))
    return component


def conversation(previous="what do you put on after the needling", topic="ask_serum", form=None):
    events = [UserUttered(previous, {"name": topic, "confidence": 0.9})]
    if topic:
        events.append(SlotSet("last_topic", topic))
    if form:
        events.append(ActiveLoop(form))
    return DialogueStateTracker.from_events("visitor", events, slots=[_slot("last_topic")])


def _slot(name):
    from rasa.shared.core.slots import TextSlot

    return TextSlot(name, mappings=[{"type": "custom"}], influence_conversation=False)


def read(reader, text, intent, confidence=0.6, tracker=None, entities=()):
    message = Message(data={"text": text, "intent": {"name": intent, "confidence": confidence},
                            "intent_ranking": [{"name": intent, "confidence": confidence}],
                            "entities": [{"entity": e, "value": v} for e, v in entities]})
    return reader.process([message], tracker=tracker)[0].get("intent")["name"]


def test_a_short_question_leaning_on_the_last_one_is_read_with_it(reader):
    assert read(reader, "and what is in it?", "ask_cost", tracker=conversation()) == "ask_serum"


def test_what_it_becomes_depends_on_the_question_before(reader):
    tracker = conversation("how much for the package", "ask_cost")
    assert read(reader, "and what is in it?", "ask_cost", tracker=tracker) == "ask_cost"


def test_the_same_question_stands_without_a_previous_answer(reader):
    assert read(reader, "and what is in it?", "ask_cost", tracker=conversation(topic=None)) == "ask_cost"
    assert read(reader, "and what is in it?", "ask_cost", tracker=None) == "ask_cost"


def test_nothing_changes_while_a_form_runs(reader):
    tracker = conversation(form="consultation_form")
    assert read(reader, "and what is in it?", "ask_cost", tracker=tracker) == "ask_cost"


def test_a_confident_reading_stands(reader):
    assert read(reader, "and what is in it?", "ask_cost", confidence=0.95,
                tracker=conversation()) == "ask_cost"


def test_a_question_of_its_own_stands(reader):
    # The same words in a long message: a question that carries its own context.
    assert read(reader, "and what is in it, could you tell me what exactly will be used on my skin on the day",
                "ask_cost", tracker=conversation()) == "ask_cost"


def test_readings_about_something_else_are_never_replaced(reader):
    for intent in ("ask_other_treatment", "report_adverse_reaction", "ask_not_covered", "greet", "cancel"):
        assert read(reader, "and what is in it?", intent, tracker=conversation()) == intent


def test_an_everyday_question_with_a_word_foreign_to_the_domain_stays_out_of_scope(reader):
    tracker = conversation("how much is it", "ask_cost")
    assert read(reader, "and how much is a pint of milk", "out_of_scope", tracker=tracker) == "out_of_scope"


@pytest.mark.parametrize("text", ["so no cutting or stitches or anything?", "is itchiness one of them",
                                  "what about the opposite, white patches", "so it'd suit my husband too?"])
def test_words_of_its_own_said_of_the_last_answer_lean_on_it(reader, text):
    message = Message(data={"text": text, "intent": {"name": "out_of_scope", "confidence": 0.8}})
    assert reader.leans_on_context(message)


def test_an_everyday_question_of_its_own_does_not_lean_on_the_last_answer(reader):
    message = Message(data={"text": "how much is a pint of milk",
                            "intent": {"name": "out_of_scope", "confidence": 0.8}})
    assert not reader.leans_on_context(message)


def test_a_bare_number_after_a_price_is_a_follow_up_not_a_detail(reader):
    tracker = conversation("2 then", "ask_cost")
    assert read(reader, "4?", "inform", tracker=tracker) == "follow_up"
    assert read(reader, "Anna Byrne", "inform", tracker=tracker) == "inform"


def test_a_follow_up_naming_an_entity_is_left_to_the_answer_action(reader):
    tracker = conversation("how much is it", "ask_cost")
    assert read(reader, "and for 3?", "follow_up", tracker=tracker, entities=[("number", "3")]) == "follow_up"


def test_it_survives_saving_and_loading(reader, tmp_path):
    loaded = FollowUpContext.load(reader.config, reader.model_storage, reader.resource, None)
    assert read(loaded, "and what is in it?", "ask_cost", tracker=conversation()) == "ask_serum"


def test_a_fragment_naming_a_concern_or_area_is_a_sure_follow_up(reader):
    # Unsure readings would end in "did you mean…?"; the answer action pairs the concern with
    # the last topic, or the topic that takes it.
    tracker = conversation("what can it treat", "ask_cost")
    assert read(reader, "pigmentation?", "ask_conditions", confidence=0.25, tracker=tracker,
                entities=[("skin_condition", "pigmentation")]) == "follow_up"
    message = Message(data={"text": "and my neck?", "intent": {"name": "follow_up", "confidence": 0.4},
                            "entities": [{"entity": "body_area", "value": "neck"}]})
    assert reader.process([message], tracker=tracker)[0].get("intent") == {"name": "follow_up", "confidence": 1.0}


def test_a_longer_question_naming_a_concern_keeps_its_reading(reader):
    tracker = conversation("what can it treat", "ask_cost")
    assert read(reader, "how many sessions for pigmentation on my face", "ask_sessions", confidence=0.8,
                tracker=tracker, entities=[("skin_condition", "pigmentation")]) == "ask_sessions"


def test_a_fragment_read_as_a_detail_for_the_form_is_a_follow_up_when_it_names_a_concern(reader):
    tracker = conversation("what can it treat", "ask_cost")
    assert read(reader, "pigmentation?", "inform", confidence=0.4, tracker=tracker,
                entities=[("skin_condition", "pigmentation")]) == "follow_up"


def test_a_follow_up_whose_own_words_ask_another_aspect_changes_the_topic(reader):
    # After the serum, "and how much is it?" asks the price: its own words are sure of that,
    # whatever the previous question's words add.
    tracker = conversation()
    assert read(reader, "and how much is it?", "follow_up", confidence=0.95, tracker=tracker) == "ask_cost"


def test_a_follow_up_with_no_aspect_of_its_own_takes_the_last_topic(reader):
    # "who makes it?" alone could be the practitioner or an everyday question; after the serum
    # the context decides, at the follow-up's lower bar.
    assert read(reader, "who makes it?", "follow_up", confidence=0.95, tracker=conversation()) == "ask_serum"


def test_after_a_comparison_a_follow_up_naming_one_treatment_asks_for_the_comparison(reader):
    tracker = conversation("how does it compare to laser", "ask_vs_other_treatments")
    ipl = [("treatment", "IPL")]
    assert read(reader, "and IPL?", "ask_other_treatment", 1.0, tracker, ipl) == "ask_vs_other_treatments"
    assert read(reader, "what about IPL specifically", "ask_other_treatment", 1.0, tracker, ipl) \
        == "ask_vs_other_treatments"
    # Asked after another topic, or as a question of its own, it is about that treatment.
    assert read(reader, "and IPL?", "ask_other_treatment", 1.0, conversation(), ipl) == "ask_other_treatment"
    assert read(reader, "how much does a course of IPL cost at your clinic", "ask_other_treatment", 1.0, tracker,
                ipl) == "ask_other_treatment"


@pytest.fixture(scope="module")
def device_reader(tmp_path_factory):
    """Topics where a device's name is the subject: hygiene, and the stamp/roller question."""
    examples = {
        "ask_device_hygiene": ["are the needles sterile", "are the rollers single use", "is the roller new each time",
                               "do you reuse the needles", "how do you clean the roller", "is it a fresh roller"],
        "ask_stamp_vs_roller": ["what is the stamp", "stamp or roller", "whats the difference between the stamp "
                                "and the roller", "which is better the stamp or the roller", "what does the stamp do",
                                "do you use a stamp or a roller"],
        "out_of_scope": ["how much is a pint of milk", "who won the match", "what time is it", "who makes iphones",
                         "how do i boil an egg", "what is the capital of france"],
    }
    storage = LocalModelStorage(tmp_path_factory.mktemp("devices"))
    component = FollowUpContext(RULES_ONLY, storage, Resource("devices"))
    component.train(TrainingData([Message(data={"text": text, "intent": intent})
                                  for intent, texts in examples.items() for text in texts]))
    return component


def test_a_follow_up_naming_the_other_device_asks_the_same_of_it(device_reader):
    # "the stamp" names a subject here, not the stamp-or-roller question.
    tracker = conversation("are the rollers single use", "ask_device_hygiene")
    assert read(device_reader, "what about the stamp, same thing?", "follow_up", 0.9, tracker) == "follow_up"
    device_reader.subject_topics = set()
    try:
        assert read(device_reader, "what about the stamp, same thing?", "follow_up", 0.9, tracker) \
            == "ask_stamp_vs_roller"
    finally:
        device_reader.subject_topics = set(FollowUpContext.get_default_config()["subject_topics"])


def test_after_a_comparison_a_question_about_the_other_treatment_itself_stands(reader):
    tracker = conversation("how does it compare to laser", "ask_vs_other_treatments")
    botox = [("treatment", "botox")]
    for text in ["does botox hurt?", "how much does botox cost then", "can i get botox the same day"]:
        assert read(reader, text, "ask_other_treatment", 1.0, tracker, botox) == "ask_other_treatment", text


def test_a_follow_up_the_classifier_read_right_keeps_its_reading(reader):
    # "and how much is it?" read as the price by the classifier: the context doesn't undo it.
    tracker = conversation()
    assert read(reader, "and how much is it?", "ask_cost", confidence=0.8, tracker=tracker) == "ask_cost"


def test_asking_which_device_after_another_topic_is_that_question(device_reader):
    tracker = conversation("are the rollers single use", "ask_device_hygiene")
    assert read(device_reader, "and which is better, stamp or roller?", "ask_stamp_vs_roller", 0.85, tracker) \
        == "ask_stamp_vs_roller"


def test_a_fragment_naming_an_area_read_as_a_yes_is_a_follow_up(reader):
    tracker = conversation("what body areas can you do", "ask_body_areas")
    assert read(reader, "under my eyes?", "affirm", 0.28, tracker, [("body_area", "eyes")]) == "follow_up"
    assert read(reader, "yes please", "affirm", 0.9, tracker) == "affirm"


def test_a_continuing_question_naming_a_concern_in_words_the_domain_lacks_is_a_follow_up(reader):
    # "what about old chickenpox scars from when i was a kid": out_of_scope to the classifier
    # (its words are not the domain's), but it names a concern and continues the last question.
    tracker = conversation("does it help with scars", "ask_cost")
    assert read(reader, "what about old chickenpox scars from when i was a kid", "out_of_scope", confidence=0.98,
                tracker=tracker, entities=[("skin_condition", "scars")]) == "follow_up"
    # A question of its own that happens to name an area stays everyday ("my cat … her neck").
    assert read(reader, "my cat keeps scratching her neck, could it be fleas", "out_of_scope", confidence=0.98,
                tracker=tracker, entities=[("body_area", "neck")]) == "out_of_scope"
    # A sure reading of an FAQ that continues with a concern keeps its reading.
    assert read(reader, "and how much for pigmentation on my face", "ask_cost", confidence=0.8,
                tracker=tracker, entities=[("skin_condition", "pigmentation")]) == "ask_cost"


def test_a_follow_up_about_an_everyday_thing_is_everyday(reader):
    # Shaped like a follow-up ("what about …"), but its own words are sure of an everyday subject.
    tracker = conversation("how much is it", "ask_cost")
    assert read(reader, "what about a pint of milk", "follow_up", confidence=0.83, tracker=tracker) == "out_of_scope"
    assert read(reader, "and the package?", "follow_up", confidence=0.83, tracker=tracker) in ("follow_up", "ask_cost")


def test_a_reading_nlu_is_too_unsure_of_takes_the_reading_with_context_at_the_lower_bar():
    # Below FallbackClassifier's threshold the alternative is "did you mean…?".
    config = {**RULES_ONLY, "context_weight": 1.0, "min_confidence": 0.99,
              "follow_up_min_confidence": 0.3}
    component = FollowUpContext(config, None, None)
    component.topics, component.features, component.domain_words = "model", None, None
    component.in_context = lambda text, previous: (("out_of_scope", 0.5), ("ask_serum", 0.6))
    message = Message(data={"text": "for how many days?", "intent": {"name": "ask_cost", "confidence": 0.27}})
    assert component.reading(message, "what do you put on after the needling", "ask_serum") == "ask_serum"
    sure = Message(data={"text": "for how many days?", "intent": {"name": "ask_cost", "confidence": 0.5}})
    assert component.reading(sure, "what do you put on after the needling", "ask_serum") is None


def test_a_short_question_right_after_a_reported_reaction_asks_about_it(reader):
    events = [UserUttered("my face is covered in little blisters now", {"name": "report_adverse_reaction",
                                                                        "confidence": 0.99})]
    tracker = DialogueStateTracker.from_events("visitor", events, slots=[_slot("last_topic")])
    assert read(reader, "what should i do??", "out_of_scope", confidence=1.0, tracker=tracker) \
        == "report_adverse_reaction"
    # A question of its own, or the same words after another answer, stand.
    assert read(reader, "how much is it for one session on the face please", "ask_cost", tracker=tracker) == "ask_cost"
    assert read(reader, "what should i do??", "out_of_scope", confidence=1.0, tracker=conversation()) \
        != "report_adverse_reaction"


def test_a_bare_follow_up_after_a_message_no_fact_answered_is_read_with_it(reader):
    # "what is that?" after "hi, i saw ye do CIT": no topic yet, but the message before names one.
    tracker = conversation("what do you put on after the needling", topic=None)
    assert read(reader, "and what is in it?", "follow_up", 0.9, tracker=tracker) == "ask_serum"
    # Not after another treatment, nor during a form.
    other = DialogueStateTracker.from_events("visitor", [UserUttered("what do you put on after botox",
                                                                     {"name": "ask_other_treatment"})],
                                             slots=[_slot("last_topic")])
    assert read(reader, "and what is in it?", "follow_up", 0.9, tracker=other) == "follow_up"
    assert read(reader, "and what is in it?", "follow_up", 0.9,
                tracker=conversation(topic=None, form="consultation_form")) == "follow_up"




def test_a_reading_the_classifier_had_second_and_the_context_agree_on_is_taken():
    # "so i wont feel anything at all??": out_of_scope 0.38 and pain 0.33 alone; pain 0.55 with context.
    component = FollowUpContext(RULES_ONLY, None, None)
    component.topics, component.features, component.domain_words = "model", None, None
    component.in_context = lambda text, previous: (("out_of_scope", 0.88), ("ask_pain", 0.55))
    ranking = [{"name": "out_of_scope", "confidence": 0.38}, {"name": "ask_pain", "confidence": 0.33}]

    def reading(text, second=ranking[1]):
        message = Message(data={"text": text, "intent": ranking[0], "intent_ranking": [ranking[0], second]})
        return component.reading(message, "what do you use to numb it", "ask_procedure")

    assert reading("so i wont feel anything at all??") == "ask_pain"
    # Not when the classifier hardly read it, nor in a message that doesn't go on from the last.
    assert reading("so i wont feel anything at all??", {"name": "ask_pain", "confidence": 0.1}) is None
    assert reading("i wont feel anything at all??") is None


def test_asking_whether_a_reported_reaction_is_normal_asks_about_it(reader):
    # Right after a reported reaction, whatever the reading: the safety reply again.
    events = [UserUttered("got it done today and my face is still bleeding", {"name": "report_adverse_reaction",
                                                                              "confidence": 0.99})]
    after_a_reaction = DialogueStateTracker.from_events("visitor", events, slots=[_slot("last_topic")])
    assert read(reader, "is that meant to happen? what do i do", "ask_procedure", confidence=0.76,
                tracker=after_a_reaction) == "report_adverse_reaction"
    # After a fact there is no reaction to ask about: no safety reply. (Nor does the phrase alone
    # make it a follow-up of the fact: that gave held-out everyday questions after a fact a fact,
    # docs/architecture.md, the sixth round.)
    assert read(reader, "is that meant to happen? what do i do", "ask_procedure", confidence=0.76,
                tracker=conversation()) != "report_adverse_reaction"


def test_a_product_named_right_after_a_reaction_asks_about_the_reaction(reader):
    # "sudocrem, can i put it on?": the subject check read another treatment; the classifier aftercare.
    events = [UserUttered("my face is really swollen and hot since yesterday", {"name": "report_adverse_reaction",
                                                                                 "confidence": 0.99})]
    tracker = DialogueStateTracker.from_events("visitor", events, slots=[_slot("last_topic")])

    def after_the_reaction(classifier_read):
        message = Message(data={"text": "sudocrem, can i put it on?",
                                "intent": {"name": "ask_other_treatment", "confidence": 1.0},
                                "intent_ranking": [{"name": "ask_other_treatment", "confidence": 1.0},
                                                   {"name": classifier_read, "confidence": 0.7}],
                                "entities": []})
        return reader.process([message], tracker=tracker)[0].get("intent")["name"]

    assert after_the_reaction("ask_aftercare") == "report_adverse_reaction"
    assert after_the_reaction("ask_cost") == "ask_other_treatment"  # "how much is botox?" is its own


def test_a_new_question_right_after_a_reaction_is_its_own(reader):
    events = [UserUttered("my face is covered in little blisters now", {"name": "report_adverse_reaction",
                                                                        "confidence": 0.99})]
    tracker = DialogueStateTracker.from_events("visitor", events, slots=[_slot("last_topic")])
    assert read(reader, "is it ok to have another session next week?", "ask_sessions", tracker=tracker) \
        != "report_adverse_reaction"


# --- the learned context model (hooks/context_model.py), trained from labelled conversations ---

# The same four sub-questions ask about the serum after the serum, about the price after the price.
SUB_QUESTIONS = ["who makes it?", "is it safe?", "where does it come from", "is it natural?"]
CONVERSATIONS = "conversations:\n" + "".join(
    f'- turns: ["{before}", "{after}"]\n  intent: {intent}\n'
    for intent, questions in (("ask_serum", EXAMPLES["ask_serum"][:4]), ("ask_cost", EXAMPLES["ask_cost"][:4]))
    for before, after in zip(questions, SUB_QUESTIONS, strict=True))


@pytest.fixture(scope="module")
def learned_reader(tmp_path_factory):
    """A reader with a context model learned from eight conversations: the same four sub-questions
    ask about the serum after the serum and about the price after the price."""
    folder = tmp_path_factory.mktemp("learned")
    (folder / "conversations.yml").write_text(CONVERSATIONS, encoding="utf-8")
    # Words only: the fast lane has no sentence encoder (test_a_model_that_reads_meaning_… has one).
    config = {**FollowUpContext.get_default_config(), "conversations": str(folder / "conversations.yml"),
              "own_questions_per_intent": 6, "sentence_encoder": ""}
    component = FollowUpContext(config, LocalModelStorage(tmp_path_factory.mktemp("model")), Resource("learned"))
    component.train(TrainingData([Message(data={"text": text, "intent": intent})
                                  for intent, texts in EXAMPLES.items() for text in texts]))
    return component


def learned(reader, text, intent, previous):
    message = Message(data={"text": text, "intent": {"name": intent, "confidence": 0.6}})
    return reader.learned_reading(message, previous)


def test_the_learned_reading_of_a_sub_question_follows_the_conversation(learned_reader):
    assert learned(learned_reader, "is it safe?", "follow_up", "how much is it") == "ask_cost"
    assert learned(learned_reader, "is it safe?", "follow_up", "what do you put on after the needling") == "ask_serum"
    assert read(learned_reader, "is it safe?", "follow_up", tracker=conversation("how much is it", "ask_cost")) \
        == "ask_cost"


class SureOf:
    """A context model sure of one reading, whatever the conversation: for the rules around it."""

    def __init__(self, intent, confidence=0.97):
        self.intent, self.confidence = intent, confidence

    def read(self, message, previous, earlier=""):
        return self.intent, self.confidence


def test_a_not_covered_reading_replaces_an_faq_only_in_a_message_that_leans_on_the_last(learned_reader):
    import copy

    reader = copy.copy(learned_reader)
    reader.context_model = SureOf("ask_not_covered")
    comparison = "is dermaroller better than a chemical peel"
    assert learned(reader, "dermaroller for acne scars price?", "ask_cost", comparison) is None
    assert learned(reader, "and is that covered by insurance?", "ask_cost", "how much is it") == "ask_not_covered"
    assert learned(reader, "can i claim it back", "follow_up", "how much is it") == "ask_not_covered"
    reader.context_model = SureOf("report_adverse_reaction")  # safety first: no lean needed
    assert learned(reader, "the pain is getting worse not better, throbbing now", "ask_pain",
                   "I had it done at your clinic last week") == "report_adverse_reaction"


def test_an_everyday_reading_in_the_domains_words_is_replaced_only_when_the_context_is_very_sure(learned_reader):
    import copy

    reader = copy.copy(learned_reader)
    reader.context_model = SureOf("ask_cost", 0.97)
    # "what if i add a third" after the price of two: no word the domain lacks, the context sure.
    assert learned(reader, "you charge for the package", "out_of_scope", "how much is it") == "ask_cost"
    assert learned(reader, "how much is a pint of milk", "out_of_scope", "how much is it") is None
    reader.context_model = SureOf("ask_cost", 0.85)
    assert learned(reader, "you charge for the package", "out_of_scope", "how much is it") is None


def test_a_question_of_its_own_keeps_its_reading_after_another(learned_reader):
    assert learned(learned_reader, "what does it cost", "ask_cost", "what serum do you use") == "ask_cost"


def test_the_learned_model_never_replaces_a_detail_typed_for_the_form(learned_reader):
    assert read(learned_reader, "is it safe?", "inform", tracker=conversation()) == "inform"


def test_the_learned_model_leaves_an_everyday_question_that_does_not_lean_on_the_last_one(learned_reader):
    assert read(learned_reader, "how do i boil an egg", "out_of_scope", tracker=conversation()) == "out_of_scope"


def test_the_learned_model_survives_saving_and_loading(learned_reader):
    loaded = FollowUpContext.load(learned_reader.config, learned_reader.model_storage, learned_reader.resource, None)
    assert loaded.context_model is not None
    assert learned(loaded, "who makes it?", "follow_up", "how much is it") == "ask_cost"


@pytest.mark.model
def test_a_model_that_reads_meaning_is_saved_without_the_encoder_and_reads_the_same_loaded(tmp_path):
    from hooks.sentence_encoder import ENCODER_DIR, FILES

    if not (ENCODER_DIR / "model.safetensors").is_file():
        pytest.fail("models/sentence-encoder is missing: `make train` fetches it", pytrace=False)
    encoder = tmp_path / "encoder"  # the encoder's files, with a file of its own for what training encodes
    encoder.mkdir()
    for name in FILES:
        (encoder / name).symlink_to(ENCODER_DIR / name)
    (tmp_path / "conversations.yml").write_text(CONVERSATIONS, encoding="utf-8")
    config = {**FollowUpContext.get_default_config(), "conversations": str(tmp_path / "conversations.yml"),
              "own_questions_per_intent": 6, "sentence_encoder": str(encoder)}
    (tmp_path / "model").mkdir()
    storage = LocalModelStorage(tmp_path / "model")
    component = FollowUpContext(config, storage, Resource("meaning"))
    component.train(TrainingData([Message(data={"text": text, "intent": intent})
                                  for intent, texts in EXAMPLES.items() for text in texts]))
    assert component.context_model.reads_meaning
    assert (encoder / "meanings-seen-in-training.npz").is_file()
    saved = sum(path.stat().st_size for path in (tmp_path / "model").rglob("*") if path.is_file())
    assert saved < 5_000_000  # the encoder's 90 MB of weights are not in the trained model
    loaded = FollowUpContext.load(config, storage, Resource("meaning"), None)
    assert loaded.context_model.encoder is not None
    for text, previous in (("is it safe?", "how much is it"), ("who makes it?", "what serum do you use")):
        assert loaded.context_model.read(text, previous) == pytest.approx(component.context_model.read(text, previous))


def test_a_change_to_the_conversations_retrains_the_component(tmp_path):
    """Rasa's cache restores a component whose fingerprint is unchanged: the conversations are
    part of it."""
    path = tmp_path / "conversations.yml"
    path.write_text(CONVERSATIONS, encoding="utf-8")
    config = {**FollowUpContext.get_default_config(), "conversations": str(path)}
    before = FollowUpContext.fingerprint_addon(config)
    path.write_text(CONVERSATIONS + "- turns: [\"cost?\", \"and 2?\"]\n  intent: ask_cost\n", encoding="utf-8")
    assert FollowUpContext.fingerprint_addon(config) != before


def test_the_conversations_are_the_projects_wherever_rasa_runs_from(tmp_path, monkeypatch):
    """A relative path is the project's: from another folder, training would otherwise find no
    conversations and silently train no context model."""
    at_the_root = FollowUpContext.fingerprint_addon(FollowUpContext.get_default_config())
    monkeypatch.chdir(tmp_path)
    assert FollowUpContext.fingerprint_addon(FollowUpContext.get_default_config()) == at_the_root
    assert conversations_file(FollowUpContext.get_default_config()).exists()


def test_a_model_trained_before_the_context_model_still_loads(reader, tmp_path):
    from hooks.readings import save_trained

    save_trained(reader.model_storage, Resource("older"), FollowUpContext.MODEL_FILE,
                 (reader.features, reader.topics, reader.domain_words))
    older = FollowUpContext.load(reader.config, reader.model_storage, Resource("older"), None)
    assert older.context_model is None
    assert read(older, "and what is in it?", "ask_cost", tracker=conversation()) == "ask_serum"


def test_after_a_message_no_fact_answered_the_learned_model_reads_with_it(learned_reader):
    events = [UserUttered("hi", {"name": "greet", "confidence": 0.99}),
              UserUttered("how much is it", {"name": "ask_cost", "confidence": 0.9})]
    tracker = DialogueStateTracker.from_events("visitor", events, slots=[_slot("last_topic")])
    assert learned_reader.earlier_message(tracker) == "hi"
    assert read(learned_reader, "is it safe?", "follow_up", tracker=tracker) == "ask_cost"


def test_the_question_after_a_lead_in_is_split_off():
    from hooks.follow_ups import question_after_a_lead_in

    assert question_after_a_lead_in("I'm interested in the dermaroller for my stretch marks. Does it hurt?") \
        == "Does it hurt?"
    assert question_after_a_lead_in("derma stamp for pock marks, is it sore?") == "is it sore?"
    # One sentence, a question first, or no question at the end: nothing to split off.
    assert question_after_a_lead_in("how much is it for acne scars?") is None
    assert question_after_a_lead_in("Does it hurt? I'm scared of needles.") is None
    assert question_after_a_lead_in("I have acne scars. I'd like it done.") is None


@pytest.fixture()
def lead_in_reader(reader, monkeypatch):
    # Six examples a topic make a small topic model: its surest readings are about 0.6.
    monkeypatch.setattr(reader, "lead_in_min_confidence", 0.5)
    return reader


def test_a_question_after_a_lead_in_is_read_apart_from_it(lead_in_reader):
    reader = lead_in_reader
    # The classifier read the lead-in ("what do you use"); the question asks the price.
    text = "I saw the serum you use on instagram. What do you charge?"
    assert read(reader, text, "ask_serum", confidence=0.7) == "ask_cost"
    # A request to be contacted stands when the question asks for it, and readings that are
    # about something else (a reaction, another treatment, what the documents don't say) stand.
    assert read(reader, "I have a few questions about the serum. Could someone call me?", "contact_clinic") \
        == "contact_clinic"
    assert read(reader, "I saw the serum you use on instagram. What do you charge?", "contact_clinic") == "ask_cost"
    # Over a request, only a question that names a price: "is that possible?" reads as anything.
    assert read(reader, "I'd like someone to contact me about the serum. Is that possible?", "contact_clinic") \
        == "contact_clinic"
    for intent in ("report_adverse_reaction", "ask_other_treatment", "ask_not_covered", "out_of_scope"):
        assert read(reader, text, intent) == intent
    # Not during a form: the form reads its own replies.
    assert read(reader, text, "ask_serum", tracker=conversation(form="consultation_form")) == "ask_serum"


def test_a_follow_up_of_things_the_domain_never_names_is_everyday(learned_reader):
    """"and the bus?" after the price: the last topic again would be the price of the bus."""
    after_the_price = conversation("how much is it", "ask_cost")
    assert read(learned_reader, "and the bus?", "follow_up", 0.99, tracker=after_the_price) == "out_of_scope"
    assert read(learned_reader, "what about heathrow", "follow_up", 0.99, tracker=after_the_price) == "out_of_scope"
    # Words the domain uses, or an area, concern or count, keep it a follow-up.
    assert read(learned_reader, "and the package?", "follow_up", 0.99, tracker=after_the_price) != "out_of_scope"
    assert read(learned_reader, "and the neck?", "follow_up", 0.99, tracker=after_the_price,
                entities=[("body_area", "neck")]) == "follow_up"
    assert read(learned_reader, "and what about a dermapen?", "follow_up", 0.99, tracker=after_the_price) \
        != "out_of_scope"
