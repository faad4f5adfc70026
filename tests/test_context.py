"""Follow-ups resolved against the conversation's last topic (actions/context.py), no model."""
from actions import context, registry

FAQS = registry.load()


def resolve(text, intent, last=None, ranking=(), **entities):
    return context.resolve(intent, {k: list(v) for k, v in entities.items()}, text, last, FAQS, ranking)


def test_a_new_number_follows_up_on_the_price():
    resolved = resolve("and for 3?", "follow_up", "ask_cost", number=["for 3"])
    assert resolved.faq.intent == "ask_cost" and list(resolved.values) == ["for 3"]


def test_a_bare_number_follows_up_on_the_price():
    resolved = resolve("4 then", "follow_up", "ask_cost")
    assert resolved.faq.intent == "ask_cost" and list(resolved.values) == ["4"]


def test_a_body_area_goes_to_the_topic_that_takes_it():
    resolved = resolve("what about the scalp?", "follow_up", "ask_pain", body_area=["scalp"])
    assert resolved.faq.intent == "ask_body_areas" and list(resolved.values) == ["scalp"]


def test_why_repeats_the_last_topic():
    assert resolve("why?", "follow_up", "ask_pain").faq.intent == "ask_pain"


def test_a_follow_up_with_nothing_to_follow():
    assert resolve("why?", "follow_up", None).faq is None


def test_a_short_follow_up_read_as_another_faq_stays_on_the_last_topic():
    # NLU reads "sessions" in "and for 3 sessions?"; the visitor asks the price of 3.
    resolved = resolve("and for 3 sessions?", "ask_sessions", "ask_cost", number=["3 sessions"])
    assert resolved.faq.intent == "ask_cost"


def test_a_full_question_is_not_a_follow_up():
    assert resolve("will it scar my face", "ask_scarring", "ask_body_areas", body_area=["face"]).faq.intent \
        == "ask_scarring"
    ranking = [{"name": "follow_up", "confidence": 0.5}, {"name": "ask_practitioner", "confidence": 0.3}]
    resolved = resolve("ok and who would actually be doing it", "follow_up", "ask_cost", ranking)
    assert resolved.faq.intent == "ask_practitioner"


def test_elliptical_openings():
    assert context.elliptical("and for 3?") and context.elliptical("what about my neck")
    assert not context.elliptical("how much does a course of 6 treatments cost altogether in total then")


def test_a_lone_count_in_a_question_about_cost_is_the_number_of_treatments():
    # The entity patterns want a count word next to the number ("4 sessions", "for 4").
    resolved = resolve("so 4 would come to what", "follow_up", "ask_cost")
    assert resolved.faq.intent == "ask_cost" and list(resolved.values) == ["4"]
    resolved = resolve("ok what would six cost me", "ask_cost", "ask_sessions")
    assert resolved.faq.intent == "ask_cost" and list(resolved.values) == ["6"]
    resolved = resolve("grand. and if i wanted 8 done over the year?", "follow_up", "ask_cost")
    assert resolved.faq.intent == "ask_cost" and list(resolved.values) == ["8"]


def test_a_number_that_measures_something_is_no_count():
    for text in ("how much for 3 weeks", "im 19 how much", "is it €5 off", "had it 2 weeks ago, how much was it",
                 "how much is one", "what about the 2nd one", "how much is it, 3 or 4?"):
        assert context.lone_count(text) is None, text


def test_a_count_with_the_words_of_a_price_asks_the_price_of_that_many():
    resolved = resolve("ok so what would two set me back", "ask_sessions", "ask_sessions")
    assert resolved.faq.intent == "ask_cost" and list(resolved.values) == ["2"]
    resolved = resolve("how much for 3 sessions", "ask_sessions", "ask_sessions", number=["3 sessions"])
    assert resolved.faq.intent == "ask_cost" and list(resolved.values) == ["3"]
    # A count without a price's words keeps its reading.
    assert resolve("is 3 sessions enough", "ask_sessions", "ask_cost", number=["3 sessions"]).faq.intent \
        == "ask_sessions"


def test_an_unsure_reading_yields_to_the_faq_that_takes_the_concern_named():
    ranking = [{"name": "ask_side_effects", "confidence": 0.49}, {"name": "ask_conditions", "confidence": 0.14}]
    resolved = resolve("will it get rid of my wrinkels", "ask_side_effects", None, ranking, skin_condition=["wrinkels"])
    assert resolved.faq.intent == "ask_conditions" and list(resolved.values) == ["wrinkels"]
    # Sure of its reading, or without the other among its readings: the reading stands.
    sure = [{"name": "ask_side_effects", "confidence": 0.8}, {"name": "ask_conditions", "confidence": 0.14}]
    assert resolve("any side effects for wrinkles", "ask_side_effects", None, sure,
                   skin_condition=["wrinkles"]).faq.intent == "ask_side_effects"
    alone = [{"name": "ask_side_effects", "confidence": 0.49}, {"name": "ask_conditions", "confidence": 0.02}]
    assert resolve("will it get rid of my wrinkels", "ask_side_effects", None, alone,
                   skin_condition=["wrinkels"]).faq.intent == "ask_side_effects"


def test_a_lone_number_before_another_word_or_after_is_no_count():
    for text in ("and with 20% off?", "my daughter is 16, how much would it cost her", "how much, I have 3 acne scars",
                 "does the price include 2 follow-ups", "can i come at 4", "how much for 3 weeks"):
        assert context.lone_count(text) is None, text


def test_words_that_ask_a_duration_too_do_not_make_a_price():
    for text, intent in (("how long does a session take in total for 3", "ask_session_duration"),
                         ("I can't come to 3 sessions, is 2 enough?", "ask_sessions"),
                         ("is it more painful in total after 3 sessions?", "ask_pain")):
        assert resolve(text, intent, "ask_sessions", number=["3 sessions"]).faq.intent == intent, text


def test_a_question_the_topic_leaves_open_gets_the_not_covered_answer():
    # data/faqs.yml, not_covered_when: when results show, yes; how long they last, no.
    assert resolve("and how long does that last?", "follow_up", "ask_results_time").faq.intent == "ask_not_covered"
    assert resolve("are the results permanent", "ask_results_time").faq.intent == "ask_not_covered"
    assert resolve("when will results show after my last session", "ask_results_time").faq.intent \
        == "ask_results_time"
    # How to pay is not in the prices: "do u offer payment plans for the 5 package", "can i pay that in
    # instalments" after the price.
    assert resolve("do u offer payment plans for the 5 package", "ask_cost").faq.intent == "ask_not_covered"
    assert resolve("can i pay that in instalments", "follow_up", "ask_cost").faq.intent == "ask_not_covered"
    assert resolve("would i have to pay it all up front?", "ask_cost").faq.intent == "ask_not_covered"
    assert resolve("do i have to pay for the whole package up front", "ask_cost").faq.intent == "ask_not_covered"
    assert resolve("can i pay per session as i go for the package", "ask_cost").faq.intent == "ask_not_covered"
    assert resolve("and if i pay for 5 up front is it cheaper", "ask_cost", "ask_cost", number=["for 5"]).faq.intent \
        == "ask_cost"


def test_the_same_question_asked_of_something_else_stays_on_the_last_topic():
    resolved = resolve("what if i had it done on my legs, same rule for them?", "follow_up", "ask_makeup",
                       body_area=["legs"])
    assert resolved.faq.intent == "ask_makeup"
    assert resolve("what if i had it done on my legs?", "follow_up", "ask_makeup",
                   body_area=["legs"]).faq.intent == "ask_body_areas"


def test_a_message_that_adds_to_the_last_continues_it():
    assert context.opens_like_a_follow_up("could you do my back too? have some there as well")
    assert not context.opens_like_a_follow_up("could you do my back")


def test_a_number_of_packages_is_priced_as_that_many_treatments():
    resolved = resolve("and if i bought 2 packages?", "ask_cost", "ask_cost", number=["2"])
    assert resolved.faq.intent == "ask_cost" and list(resolved.values) == ["10"]
    resolved = resolve("what would two packages set me back", "ask_sessions", "ask_sessions")
    assert resolved.faq.intent == "ask_cost" and list(resolved.values) == ["10"]
    assert context.packages_asked("a couple of packages") == 10
    # Singles beside the packages count; an earlier "the package" hides nothing.
    assert context.packages_asked("how much is 1 package plus 2 extra sessions") == 7
    assert context.packages_asked("two packages and 3 singles how much") == 13
    assert context.packages_asked("your package is 5 sessions right? so what would 2 packages be") == 10
    # A "3 pack" or "a course of 3" is no package of 5.
    assert context.packages_asked("do you do a 3 pack?") is None
    assert context.packages_asked("how much would 1 course of 3 treatments be") is None
    # One package is the price answer's own; too many packages is no plausible count.
    assert context.packages_asked("is one package enough") is None
    assert context.packages_asked("10 packages") is None
    # Without a price's words, a count of packages read as another question keeps its reading.
    assert resolve("are 2 packages too many for acne scars", "ask_sessions", "ask_sessions").faq.intent \
        == "ask_sessions"


def test_a_price_asked_of_a_concern_or_an_area_is_the_price():
    resolved = resolve("dermaroller for acne scars price?", "ask_conditions", skin_condition=["acne scars"])
    assert resolved.faq.intent == "ask_cost"
    assert resolve("skin needling on neck and chest, what would that cost", "ask_body_areas",
                   body_area=["neck", "chest"]).faq.intent == "ask_cost"
    # A price's words in a clause before the question are not what it asks.
    assert resolve("cost isnt an issue, which areas can you treat?", "ask_body_areas").faq.intent == "ask_body_areas"
    assert resolve("my friend said it costs a fortune, does it do anything for pigmentation", "ask_conditions",
                   skin_condition=["pigmentation"]).faq.intent == "ask_conditions"
    # "How much" asks how much it helps too; how to pay is still not in the prices.
    assert resolve("how much will it help my acne scars", "ask_conditions", skin_condition=["acne scars"]).faq.intent \
        == "ask_conditions"
    assert resolve("payment plan for acne scar treatment prices?", "ask_conditions",
                   skin_condition=["acne scar"]).faq.intent == "ask_not_covered"


def test_another_treatment_or_a_reaction_is_never_turned_into_a_price():
    # A count and a price's words once made "caci facial course of 10 cost" the price of 10.
    resolved = resolve("caci facial course of 10 cost", "ask_other_treatment", treatment=["caci facial"],
                       number=["of 10"])
    assert resolved.faq.intent == "ask_other_treatment" and list(resolved.values) == ["caci facial"]
    assert resolve("2 packages of botox, what would that cost", "ask_other_treatment").faq.intent \
        == "ask_other_treatment"
    assert resolve("had 3 sessions and now its bleeding, what will it cost to fix", "report_adverse_reaction",
                   number=["3 sessions"]).faq.intent == "report_adverse_reaction"
    # Read as another treatment though no name was extracted ("hydrafacial" is on no list).
    assert resolve("and hydrafacial for my forehead?", "ask_other_treatment", "ask_body_areas",
                   body_area=["forehead"]).faq.intent == "ask_other_treatment"
