"""The subject check (hooks/scope.py) on messages as Rasa's pipeline hands them over."""
from rasa.shared.nlu.training_data.message import Message

from hooks.scope import DomainWords, ScopeCheck, TreatmentNames

CONFIG = {**ScopeCheck.get_default_config(), "keep": ["ask_vs_other_treatments", "greet"],
          "not_questions": ["greet", "goodbye"]}


class Relevance:
    """A stand-in for the trained relevance model: a fixed probability."""

    def __init__(self, p):
        self.p = p

    def predict_proba(self, texts):
        return [[1 - self.p, self.p] for _ in texts]


def check(text, intent, entities=(), relevance=0.9, ranking=None):
    words = DomainWords(["how much is it", "does it hurt", "is there any downtime", "what about my eyelids"])
    names = TreatmentNames(["sclerotherapy", "microdermabrasion", "eyelid surgery", "botox", "peel"])
    component = ScopeCheck(CONFIG, None, None, Relevance(relevance), words, names)
    message = Message(data={"text": text, "intent": {"name": intent, "confidence": 0.8},
                            "intent_ranking": ranking or [{"name": intent, "confidence": 0.8}],
                            "entities": [{"entity": e, "value": v} for e, v in entities]})
    return component.process([message])[0].get("intent")["name"]


def test_one_typo_is_one_letter_added_dropped_changed_or_two_next_to_each_other_swapped():
    words = DomainWords(["does it help acne", "is the acid strong", "how long will i be red"])
    assert all(words.known(w) for w in ("acen", "acnee", "aicd", "stong", "strnog"))
    # Two words sharing a letter left out can be two typos apart: "caci" is not "acid".
    assert not words.known("caci")
    assert not words.known("gnol")
    # A long word may have a letter moved, as visitors type: "micronedleing", "strecht".
    long_words = DomainWords(["how much is microneedling", "does it help stretch marks"])
    assert long_words.known("micronedleing") and long_words.known("strecht")
    # So "caci facial" is a kind of treatment named by a word the domain lacks.
    scoped = DomainWords(["how much is it", "is the acid strong", "can you do my facial area"])
    component = ScopeCheck(CONFIG, None, None, Relevance(0.9), scoped, TreatmentNames([]))
    message = Message(data={"text": "caci facial course of 10 cost", "intent": {"name": "ask_cost", "confidence": 0.8},
                            "intent_ranking": [{"name": "ask_cost", "confidence": 0.8}],
                            "entities": [{"entity": "number", "value": "10"}]})
    assert component.process([message])[0].get("intent")["name"] == "ask_other_treatment"


def test_another_treatment_named_changes_the_intent():
    assert check("how much is botox?", "ask_cost", [("treatment", "botox")]) == "ask_other_treatment"


def test_micro_needling_named_keeps_the_intent():
    assert check("is microneedling or botox cheaper", "ask_cost",
                 [("treatment", "microneedling"), ("treatment", "botox")]) == "ask_cost"


def test_a_comparison_with_one_other_treatment_stands_with_two_it_does_not():
    assert check("is it better than laser", "ask_vs_other_treatments", [("treatment", "laser")]) \
        == "ask_vs_other_treatments"
    assert check("fraxel vs co2?", "ask_vs_other_treatments", [("treatment", "fraxel"), ("treatment", "co2")]) \
        == "ask_other_treatment"


def test_an_everyday_question_with_low_relevance_is_out_of_scope():
    assert check("how much does it cost to paint a room", "ask_cost", relevance=0.1) == "out_of_scope"


def test_a_foreign_word_makes_the_check_stricter():
    assert check("when are gcse results out", "ask_results_time", relevance=0.6) == "out_of_scope"
    assert check("how much is it", "ask_cost", relevance=0.6) == "ask_cost"


def test_an_anchor_keeps_the_domain_whatever_the_relevance():
    assert check("paint my legs", "ask_body_areas", [("body_area", "legs")], relevance=0.0) == "ask_body_areas"


def test_other_treatment_without_a_named_treatment_falls_back_to_the_aspect():
    ranking = [{"name": "ask_other_treatment", "confidence": 0.4}, {"name": "ask_downtime", "confidence": 0.3}]
    assert check("is there any downtime", "ask_other_treatment", ranking=ranking) == "ask_downtime"
    assert check("is there any downtime with hydrafacials", "ask_other_treatment", ranking=ranking) \
        == "ask_other_treatment"


def test_kept_intents_stand():
    assert check("hi botox", "greet", [("treatment", "botox")], relevance=0.0) == "greet"


def test_a_misspelt_name_of_another_treatment_is_recognised():
    assert check("how much is sclerotherpy", "ask_cost") == "ask_other_treatment"
    assert check("does microdermabraison hurt", "ask_pain") == "ask_other_treatment"


def test_only_one_word_names_of_six_letters_or_more_are_matched_with_a_typo():
    # "botax" is one typo from "botox", but five letters: the list spells out such variants.
    # A word the domain uses is never taken for a treatment ("eyelids" is not "eyelid surgery").
    assert check("how much is botax", "ask_cost") == "ask_cost"
    assert check("what about my eyelids, does it hurt", "ask_pain") == "ask_pain"


def test_a_typo_near_a_domain_word_is_a_treatment_only_when_that_word_is_the_treatment():
    # The comparison examples name microdermabrasion, so the domain uses the word: its typo is
    # still the treatment. "eyelidss" is one typo from the domain's "eyelids" and from no name.
    words = DomainWords(["is it better than microdermabrasion", "what about my eyelids"])
    names = TreatmentNames(["microdermabrasion", "eyelidsurgery"])
    assert names.misspelt_in("how much is microdermabraison", words) == ["microdermabraison"]
    assert names.misspelt_in("is it better than microdermabrasion", words) == []
    assert names.misspelt_in("what about my eyelidss", words) == []


def test_a_typo_near_a_domain_word_and_a_name_is_not_taken_for_the_name():
    # "faciall" is one typo from the domain's "facial" and from a listed "facials": the domain wins.
    words = DomainWords(["can you do my facial area"])
    names = TreatmentNames(["facials"])
    assert names.near("faciall") == {"facials"}
    assert names.misspelt_in("does it work on the faciall area", words) == []


def test_a_question_about_the_clinics_business_is_not_covered_not_everyday():
    # The documents don't say whether the clinic takes card: "not covered", with the offer of
    # the clinic's team, rather than "I can only help with micro-needling".
    business = [("clinic_business", "card")]
    assert check("do you take card?", "out_of_scope", business, relevance=0.8) == "ask_not_covered"
    assert check("klarna?", "out_of_scope", [("clinic_business", "klarna")], relevance=0.5) == "ask_not_covered"
    # An FAQ's reading that the subject check finds unlike the clinic's questions, likewise.
    assert check("do you take card?", "ask_cost", business, relevance=0.2) == "ask_not_covered"


def test_an_everyday_question_with_a_business_word_stays_everyday():
    # Not spoken to the clinic, and naming something foreign to it.
    assert check("what time does tesco open on saturday", "out_of_scope", [("clinic_business", "saturday")],
                 relevance=0.1) == "out_of_scope"
    assert check("how do i cancel my credit card", "out_of_scope", [("clinic_business", "card")],
                 relevance=0.1) == "out_of_scope"


def test_a_business_question_read_as_small_talk_is_not_covered():
    config = {**CONFIG, "business_over": ["goodbye"]}
    component = ScopeCheck(config, None, None, Relevance(0.9), DomainWords(["how much is it"]), TreatmentNames([]))
    message = Message(data={"text": "do you take card?", "intent": {"name": "goodbye", "confidence": 0.5},
                            "intent_ranking": [], "entities": [{"entity": "clinic_business", "value": "card"}]})
    assert component.process([message])[0].get("intent")["name"] == "ask_not_covered"
    message = Message(data={"text": "ok bye", "intent": {"name": "goodbye", "confidence": 0.9},
                            "intent_ranking": [], "entities": []})
    assert component.process([message])[0].get("intent")["name"] == "goodbye"


def test_a_business_word_in_a_question_unlike_the_clinics_stays_everyday():
    # "when will my tax refund arrive": a business word, nothing foreign, but it reads nothing
    # like a question to the clinic.
    assert check("when will my tax refund arrive", "out_of_scope", [("clinic_business", "refund")],
                 relevance=0.01) == "out_of_scope"
    assert check("can you give me a refund", "out_of_scope", [("clinic_business", "refund")],
                 relevance=0.46) == "ask_not_covered"


def test_a_reaction_nearly_tied_with_everyday_is_answered_as_a_reaction():
    ranking = [{"name": "out_of_scope", "confidence": 0.43}, {"name": "report_adverse_reaction", "confidence": 0.42}]
    text = "skin is oozing and crusting a week after, what do i do"
    assert check(text, "out_of_scope", relevance=0.93, ranking=ranking) == "report_adverse_reaction"
    # Unlike the clinic's questions ("my knee is swollen after football"), or a distant runner-up: everyday.
    assert check("my knee is swollen after football", "out_of_scope", relevance=0.22, ranking=ranking) \
        == "out_of_scope"
    distant = [{"name": "out_of_scope", "confidence": 0.8}, {"name": "report_adverse_reaction", "confidence": 0.1}]
    assert check(text, "out_of_scope", relevance=0.93, ranking=distant) == "out_of_scope"


def test_a_typo_near_several_domain_words_is_a_treatment_only_if_all_of_them_are_names():
    # "layers" is one typo from the listed "lasers", which the comparison examples use, and from
    # the domain's own "layer": a question about layers of skin, not about lasers.
    words = DomainWords(["is it better than lasers", "which layer of skin does it reach"])
    names = TreatmentNames(["lasers"])
    assert names.misspelt_in("how many layers of skin does it go through", words) == []
    assert names.misspelt_in("is it better than lazers", words) == ["lazers"]


def test_small_talk_with_a_business_word_that_asks_nothing_stands():
    config = {**CONFIG, "business_over": ["goodbye"]}
    component = ScopeCheck(config, None, None, Relevance(0.9), DomainWords(["how much is it"]), TreatmentNames([]))
    message = Message(data={"text": "bye, see you saturday", "intent": {"name": "goodbye", "confidence": 0.9},
                            "intent_ranking": [], "entities": [{"entity": "clinic_business", "value": "saturday"}]})
    assert component.process([message])[0].get("intent")["name"] == "goodbye"


def test_a_reaction_without_a_word_of_one_gives_way_to_the_next_reading():
    # "is there parking nearby" read as a reaction at 0.39: no word of a reaction (every reaction
    # example has one), so the classifier's next reading is taken, with its own confidence.
    component = ScopeCheck(CONFIG, None, None, Relevance(0.9), DomainWords(["how much is it"]), TreatmentNames([]))
    ranking = [{"name": "report_adverse_reaction", "confidence": 0.39}, {"name": "follow_up", "confidence": 0.32}]
    message = Message(data={"text": "had my first one 3 weeks ago and see nothing yet",
                            "intent": dict(ranking[0]), "intent_ranking": ranking, "entities": []})
    assert component.process([message])[0].get("intent") == {"name": "follow_up", "confidence": 0.32}
    message = Message(data={"text": "my face is swollen since yesterday", "intent": dict(ranking[0]),
                            "intent_ranking": ranking, "entities": []})
    assert component.process([message])[0].get("intent")["name"] == "report_adverse_reaction"
    # A reading NLU is sure of stands without a listed word: "my eyes are closing up" (0.96).
    sure = [{"name": "report_adverse_reaction", "confidence": 0.96}, {"name": "follow_up", "confidence": 0.02}]
    message = Message(data={"text": "the roller left tiny specks all over my cheeks", "intent": dict(sure[0]),
                            "intent_ranking": sure, "entities": []})
    assert component.process([message])[0].get("intent")["name"] == "report_adverse_reaction"


def test_a_business_question_nlu_is_unsure_of_is_not_covered():
    # "do i get a refund if it doesn't work": no reading NLU is sure of (it would ask "did you
    # mean…"), and a question about the clinic's business.
    component = ScopeCheck(CONFIG, None, None, Relevance(0.9), DomainWords(["how many sessions"]), TreatmentNames([]))

    def read(confidence):
        message = Message(data={"text": "would you give me a refund if i see no improvement",
                                "intent": {"name": "ask_sessions", "confidence": confidence}, "intent_ranking": [],
                                "entities": [{"entity": "clinic_business", "value": "refund"}]})
        return component.process([message])[0].get("intent")["name"]

    assert read(0.2) == "ask_not_covered"
    assert read(0.8) == "ask_sessions"


def test_a_name_the_lists_lack_opening_a_question_for_a_concern_is_another_treatment():
    # "zapmax for acne scars": a word the domain never uses, before "for" and a concern.
    assert check("zapmax for acne scars, does it hurt", "ask_pain", [("skin_condition", "acne scars")]) \
        == "ask_other_treatment"
    # Two words, the last foreign, the first the domain's: "facial cupping for puffiness".
    assert check("eyelid excision for acne scars, how much", "ask_cost", [("skin_condition", "acne scars")]) \
        == "ask_other_treatment"
    # The domain's own names, and words that name nothing ("tips for …"), are not.
    assert check("hurt for my eyelids?", "ask_pain", [("body_area", "eyelids")]) == "ask_pain"
    assert check("tips for wrinkles", "ask_pain", [("skin_condition", "wrinkles")]) == "ask_pain"


def test_a_name_the_lists_lack_opening_a_question_is_another_treatment():
    # A brand opening the question, before what is asked of it, with or without an anchor.
    assert check("zapmax arms recovery time", "ask_downtime", [("body_area", "arms")]) == "ask_other_treatment"
    assert check("zapmax how many sessions before i notice anything", "ask_sessions") == "ask_other_treatment"
    assert check("zapmax - is that a new one?", "ask_device_hygiene") == "ask_other_treatment"
    assert check("glo2facial, how long does it take", "ask_session_duration") == "ask_other_treatment"
    assert check("zapmax healer hows the recovery", "ask_downtime") == "ask_other_treatment"
    assert check("zapmax x legs + underarms cost?", "ask_cost", [("body_area", "legs")]) == "ask_other_treatment"


def test_a_kind_of_treatment_named_by_a_word_the_domain_lacks_is_another_treatment():
    # "gua sha facial aftercare?": a facial, a peel, injections…, named by a foreign word, anywhere.
    assert check("gua sha facial aftercare?", "ask_aftercare") == "ask_other_treatment"
    assert check("how much is the zapmax peel", "ask_cost") == "ask_other_treatment"
    assert check("are lipodissolve injections sore", "ask_pain") == "ask_other_treatment"
    # The domain's words before the kind ("does it hurt … eyelid peel"?) and micro-needling's devices don't.
    assert check("how much is a peel for my eyelids", "ask_cost", [("body_area", "eyelids")]) == "ask_cost"
    assert check("does a dermaroller facial hurt", "ask_pain") == "ask_pain"


def test_a_product_after_a_foreign_word_is_another_treatment_a_domain_word_before_a_kind_is_not():
    words = DomainWords(["does it help fine lines", "is numbing cream put on first", "does my skin peel",
                         "how much is it", "does it help acne scars", "can you do my face", "is it a therapy"])
    component = ScopeCheck(CONFIG, None, None, Relevance(0.9), words, TreatmentNames([]))

    def intent_of(text, intent):
        message = Message(data={"text": text, "intent": {"name": intent, "confidence": 0.8},
                                "intent_ranking": [{"name": intent, "confidence": 0.8}], "entities": []})
        return component.process([message])[0].get("intent")["name"]

    assert intent_of("chlorophyll drops for acne, does it work", "ask_conditions") == "ask_other_treatment"
    # Words the domain uses before a kind are the visitor's: the review's misreadings.
    assert intent_of("will my face peel a lot", "ask_side_effects") == "ask_side_effects"
    assert intent_of("acne scar therapy how many sessions", "ask_sessions") == "ask_sessions"
    assert intent_of("is the numbign cream strong", "ask_pain") == "ask_pain"
    # Creams, serums and oils are the visitor's own in aftercare questions, and a roller is the clinic's.
    assert intent_of("do you use emla cream for the numbing", "ask_pain") == "ask_pain"
    assert intent_of("titanium roller or stainless steel?", "ask_stamp_vs_roller") == "ask_stamp_vs_roller"


def test_an_opening_word_that_names_no_treatment_leaves_the_question_alone():
    # The domain's words, micro-needling's devices, a visitor telling of themselves.
    assert check("downtime how long?", "ask_downtime") == "ask_downtime"
    assert check("skinpen for my eyelids, how many sessions", "ask_sessions", [("body_area", "eyelids")]) \
        == "ask_sessions"
    assert check("tattoo on my eyelids, does it hurt", "ask_pain", [("body_area", "eyelids")]) == "ask_pain"
    # An everyday question that opens with a name stays everyday: the relevance model reads it first.
    assert check("netflix price?", "ask_cost", relevance=0.5) == "out_of_scope"
    # Micro-needling named: it is the subject.
    assert check("zapmax or microneedling, which costs less", "ask_cost", [("treatment", "microneedling")]) \
        == "ask_cost"


def _read_first(text, intent, spans=(), chat_words=()):
    """The check with domain words nearer the real ones, and entities with their offsets."""
    words = DomainWords(["how much is it", "does it hurt", "how many sessions", "thank you", "is it safe",
                         "will it help my stretchmarks", "is there any downtime", "what about my eyelids"])
    component = ScopeCheck(CONFIG, None, None, Relevance(0.9), words, TreatmentNames([]), chat_words=set(chat_words))
    entities = [{"entity": e, "value": text[a:b], "start": a, "end": b} for e, a, b in spans]
    message = Message(data={"text": text, "intent": {"name": intent, "confidence": 0.8},
                            "intent_ranking": [{"name": intent, "confidence": 0.8}], "entities": entities})
    return component.process([message])[0].get("intent")["name"]


def test_an_opening_word_of_the_visitors_own_is_no_treatments_name():
    assert _read_first("zapmax, how many sessions", "ask_sessions") == "ask_other_treatment"
    # A first name the consultation's examples hold; a short word; digits; two words run together.
    assert _read_first("aoife, how many sessions", "ask_sessions", chat_words={"aoife"}) == "ask_sessions"
    assert _read_first("plz how much is it", "ask_cost") == "ask_cost"
    assert _read_first("45yrs old, will it help", "ask_conditions") == "ask_conditions"
    assert _read_first("thankyou, how many sessions", "ask_sessions") == "ask_sessions"
    # The visitor's skin, and a concern the entity extractor found under the first word.
    assert _read_first("tanned skin, is it safe", "ask_suitability") == "ask_suitability"
    assert _read_first("striae, how many sessions", "ask_sessions", [("skin_condition", 0, 6)]) == "ask_sessions"


def test_the_name_read_from_the_shape_is_what_the_answer_names():
    def named(text, intent, spans=()):
        words = DomainWords(["how much is it", "how long will i be red", "will it help my jawline", "downtime"])
        component = ScopeCheck(CONFIG, None, None, Relevance(0.9), words, TreatmentNames([]))
        entities = [{"entity": e, "value": text[a:b], "start": a, "end": b} for e, a, b in spans]
        message = Message(data={"text": text, "intent": {"name": intent, "confidence": 0.8},
                                "intent_ranking": [], "entities": entities})
        component.process([message])
        return [(e["value"], text[e["start"]:e["end"]].lower()) for e in message.get("entities")
                if e["entity"] == "treatment"]

    # The span stops where an area the extractor found begins.
    assert named("Endolift jawline downtime", "ask_downtime", [("body_area", 9, 16)]) == [("endolift", "endolift")]
    assert named("zapmax cupping for puffiness - will i be red", "ask_side_effects") \
        == [("zapmax cupping", "zapmax cupping")]
    # A kind of treatment or product named by the words before it.
    assert named("how much is the Zapmax Peel", "ask_cost") == [("zapmax peel", "zapmax peel")]
    # A listed name is the extractor's; nothing is added.
    assert named("botox, how much is it", "ask_cost", [("treatment", 0, 5)]) == [("botox", "botox")]


def test_a_follow_up_reading_is_left_to_the_conversation():
    # "yikes, is that each?" after the price: hooks/follow_ups.py reads it with the last answer.
    assert _read_first("yikes, is that each?", "follow_up") == "follow_up"
    assert _read_first("yikes, is that each?", "ask_cost") == "ask_other_treatment"  # what the guard prevents


def test_a_comparison_reading_without_words_of_a_comparison_asks_about_the_treatment():
    # "microdermabrasion for blackheads any good?" read as the comparison: it compares nothing.
    assert check("microdermabrasion for blackheads any good?", "ask_vs_other_treatments",
                 [("treatment", "microdermabrasion")]) == "ask_other_treatment"
    for text in ("is it better than microdermabrasion?", "is it as good as microdermabrasion",
                 "how does it stack up against microdermabrasion", "microdermabrasion or this?",
                 "why would I choose this over microdermabrasion?"):
        assert check(text, "ask_vs_other_treatments", [("treatment", "microdermabrasion")]) \
            == "ask_vs_other_treatments", text


def test_serious_signs_on_the_visitors_own_skin_read_as_a_follow_up_get_the_safety_reply():
    text = "its day 5 and its hot, swollen and really painful, is that ok?"
    assert check(text, "follow_up") == "report_adverse_reaction"
    # Everyday readings keep the tie-break above: "my knee is swollen after football" stays everyday.
    assert check("my knee is swollen after football", "out_of_scope", relevance=0.2) == "out_of_scope"
    # A question about what is normal is the FAQ's; an FAQ reading stands.
    assert check("is swelling normal after", "follow_up") == "follow_up"
    assert check("is swelling one of the side effects?", "ask_side_effects") == "ask_side_effects"
    # What to expect, asked in the first person, is a question too.
    for text in ("and will I be swollen?", "and what if I get a rash?"):
        assert check(text, "follow_up") == "follow_up", text


def test_a_subject_the_documents_dont_cover_is_not_covered_whatever_the_aspect():
    assert check("can i go to the gym that evening?", "ask_downtime", [("uncovered_subject", "gym")]) \
        == "ask_not_covered"
    assert check("what about if im pregnant", "follow_up", [("uncovered_subject", "pregnant")]) == "ask_not_covered"


def test_a_concern_the_clinic_treats_is_the_subject_over_an_uncovered_one():
    assert check("does it help stretch marks from pregnancy", "ask_conditions",
                 [("skin_condition", "stretch marks"), ("uncovered_subject", "pregnancy")]) == "ask_conditions"


def test_an_unlisted_concern_is_not_covered_except_where_the_answer_says_so_itself():
    assert check("mine are keloid scars, would it still be ok", "ask_scarring", [("skin_condition", "keloid scars")]) \
        == "ask_not_covered"
    assert check("does it help rosacea", "ask_conditions", [("skin_condition", "rosacea")]) == "ask_conditions"


def test_an_uncovered_subject_leaves_a_reaction_and_everyday_questions_alone():
    keep = ScopeCheck({**CONFIG, "keep": ["report_adverse_reaction"]}, None, None, Relevance(0.9),
                      DomainWords(["does it hurt"]), TreatmentNames([]))
    message = Message(data={"text": "i went to the gym and now my face is swollen",
                            "intent": {"name": "report_adverse_reaction", "confidence": 0.9},
                            "intent_ranking": [], "entities": [{"entity": "uncovered_subject", "value": "gym"}]})
    assert keep.process([message])[0].get("intent")["name"] == "report_adverse_reaction"
    assert check("what time does the gym open", "out_of_scope", [("uncovered_subject", "gym")], relevance=0.1) \
        == "out_of_scope"


def _reaction(text, confidence, ranking_rest=("contact_clinic", 0.03)):
    return check(text, "report_adverse_reaction", ranking=[
        {"name": "report_adverse_reaction", "confidence": confidence},
        {"name": ranking_rest[0], "confidence": ranking_rest[1]}])


def test_a_reaction_needs_a_treatment_or_something_urgent():
    # A concern told as a story, however sure NLU is of a reaction, is not one.
    assert _reaction("my skin has been a mess since my twenties with scarring from acne, could someone call me?",
                     0.96) == "contact_clinic"
    assert _reaction("had it done yesterday and my cheeks are red and blotchy", 0.96) == "report_adverse_reaction"
    assert _reaction("i think its infected, theres pus", 0.96) == "report_adverse_reaction"
    # A concern the clinic treats is no reaction, though someone "had it done"; a sign beside it is.
    assert _reaction("my sister had it done and her skin looks amazing, could someone call me about my acne scars?",
                     0.9) == "contact_clinic"
    assert _reaction("had it done friday and my acne scars are red and swollen", 0.9) == "report_adverse_reaction"


def test_serious_signs_on_the_visitors_skin_read_as_everyday_get_the_safety_reply():
    ranking = [{"name": "out_of_scope", "confidence": 0.64}, {"name": "report_adverse_reaction", "confidence": 0.29}]
    assert check("still bleeding a bit from a few spots today is that ok", "out_of_scope", ranking=ranking,
                 relevance=0.67) == "report_adverse_reaction"
    assert check("my nose is still bleeding", "out_of_scope", ranking=ranking, relevance=0.38) == "out_of_scope"
    assert check("is bleeding gums normal", "out_of_scope", ranking=ranking, relevance=0.67) == "out_of_scope"


def test_a_reaction_naming_only_what_the_documents_say_to_expect_gets_the_side_effects():
    assert _reaction("got mine done yesterday, skin feels tight and a bit itchy", 0.9) == "ask_side_effects"
    # Said strongly, or with another sign, it is a reaction.
    assert _reaction("my face is so itchy i cant stop scratching after the treatment", 0.9) \
        == "report_adverse_reaction"
    assert _reaction("had it done yesterday, my face is itchy and swollen", 0.9) == "report_adverse_reaction"


def test_a_business_question_read_as_a_follow_up_is_one_only_when_spoken_to_the_clinic():
    component = ScopeCheck({**CONFIG, "business_over": ["follow_up"], "business_to_the_clinic": ["follow_up"]},
                           None, None, Relevance(0.9), DomainWords(["is there parking"]), TreatmentNames([]))

    def read(text, value):
        message = Message(data={"text": text, "intent": {"name": "follow_up", "confidence": 0.63},
                                "intent_ranking": [], "entities": [{"entity": "clinic_business", "value": value}]})
        return component.process([message])[0].get("intent")["name"]

    assert read("and is there parking near you?", "parking") == "ask_not_covered"
    assert read("and if ive a wedding that weekend?", "weekend") == "follow_up"
