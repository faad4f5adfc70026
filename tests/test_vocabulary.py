import importlib.util
from pathlib import Path

from actions import facts, vocabulary


def build_pipeline():
    """The spaCy pipeline as scripts/build_spacy_pipeline.py builds it (no file written)."""
    script = Path(__file__).resolve().parent.parent / "scripts" / "build_spacy_pipeline.py"
    spec = importlib.util.spec_from_file_location("build_spacy_pipeline", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build()


def test_numbers_in_digits_and_words():
    assert [vocabulary.parse_number(t) for t in ["3", "three", "Five", "2x", "a couple"]] == [3, 3, 5, 2, 2]
    assert [vocabulary.parse_number(t) for t in ["first", "2.5", "lots", ""]] == [None, None, None, None]


def test_condition_and_area_words_map_to_fact_keys():
    assert vocabulary.condition_key("Acne Scarring") == "acne scars"
    assert vocabulary.condition_key("hyperpigmentation") == "pigmentation"
    assert vocabulary.condition_key("rosacea") == "rosacea"  # recognised, but not in the facts
    assert vocabulary.condition_key("banana") is None
    assert vocabulary.area_key("thighs") == "legs"
    assert vocabulary.area_key("tummy") == "tummy"


def test_every_canonical_key_names_a_fact():
    assert set(vocabulary.CONDITION_TERMS) == set(facts.CONDITIONS)
    assert set(vocabulary.AREA_TERMS) == set(facts.BODY_AREAS.value)


def test_entity_patterns_cover_every_term():
    patterns = vocabulary.entity_patterns()
    labels = {p["label"] for p in patterns}
    assert labels == {"skin_condition", "body_area", "number", "treatment", "clinic_business", "uncovered_subject",
                      vocabulary.NOT_AN_AREA}
    texts = {" ".join(t["LOWER"] for t in p["pattern"])
             for p in patterns if p["label"] in ("skin_condition", "body_area")}
    assert "stretch marks" in texts and "crow 's feet" in texts and "neck" in texts
    treatments = {p["pattern"] for p in patterns if p["label"] == "treatment" and isinstance(p["pattern"], str)}
    assert {"microneedling", "dermaroller", "botox", "lip filler"} <= treatments


def test_treatments_map_micro_needling_by_any_name():
    assert {vocabulary.treatment_key(t) for t in ["Microneedling", "derma  roller", "collagen induction therapy"]} \
        == {vocabulary.MICRONEEDLING}
    assert vocabulary.treatment_key("Botox") == "botox"


def test_the_other_treatments_list_names_no_micro_needling():
    assert not set(vocabulary.other_treatments()) & set(vocabulary.MICRONEEDLING_TERMS)


def test_a_treatment_is_recognised_by_its_shape():
    nlp = build_pipeline()
    def treatments(text):
        return [e.text for e in nlp(text).ents if e.label_ == "treatment"]
    assert treatments("how much is mole removal") == ["mole removal"]
    assert treatments("upper eyelid lift price") == ["eyelid lift"]
    assert treatments("how much for scar revision") == ["scar revision"]
    assert treatments("price of a blepharoplasty") == ["blepharoplasty"]
    # Not a name: a treated concern before "removal"/"reduction", a stop word before "lift",
    # and a listed name keeps its whole span.
    assert treatments("does it help with scar removal") == []
    assert treatments("wrinkle reduction?") == []
    assert treatments("will it give my skin a lift") == []
    for text in ["does it give a natural lift", "will it hurt, i hate jabs", "is it like surgery",
                 "can i have it after my knee surgery", "i have dental implants can i have it",
                 "could it help my mastectomy scars", "does it help with dark spot removal",
                 "is it good for redness reduction", "can it do fine line reduction",
                 "does it help stretchmark removal"]:
        assert treatments(text) == [], text
    assert treatments("how much is laser hair removal") == ["laser hair removal"]


def test_back_in_a_phrase_is_no_body_area():
    nlp = build_pipeline()
    def areas(text):
        return [e.text for e in nlp(text).ents if e.label_ == "body_area"]
    assert areas("ok so what would two set me back") == []
    assert areas("when can i go back to work") == []
    assert areas("and my back?") == ["back"]
    assert areas("can you do my lower back") == ["lower back"]


def test_reaction_words_cover_how_visitors_describe_a_reaction():
    for text in ["my cheeks have blown up since the needling", "feel unwell and shivery since my micro needling",
                 "there's yellow crusty stuff on my chin", "it's all red and stinging",
                 "had it 2 days ago now temperature of 39"]:
        assert vocabulary.describes_a_reaction(text), text
    for text in ["please call me, I'm Sarah, 086 555 1234", "it's about wrinkles, after 6 is best"]:
        assert not vocabulary.describes_a_reaction(text), text


def test_every_reaction_example_names_a_sign_and_a_results_question_does_not():
    import yaml

    from paths import ROOT

    examples = []
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if item.get("intent") == "report_adverse_reaction":
                examples += [line[2:].strip() for line in item["examples"].splitlines() if line.strip()]
    assert examples and [e for e in examples if not vocabulary.names_a_sign(e)] == []
    assert not vocabulary.names_a_sign("had my first one 3 weeks ago and see nothing yet, is that normal?")
    assert not vocabulary.names_a_sign("the price has been covered already")  # "red" only as a word's start


def test_an_uncovered_subject_is_no_treatment_concern_or_business_word():
    """Two lists naming one word would fight over its span in the EntityRuler: "spray tan" as a
    subject would lose "the clinic's team can tell you about spray tan"."""
    others = set(vocabulary.other_treatments()) | set(vocabulary.MICRONEEDLING_TERMS) \
        | set(vocabulary.clinic_business_terms()) | set(vocabulary.UNLISTED_CONDITIONS) \
        | {form for forms in vocabulary.CONDITION_TERMS.values() for form in forms}
    subjects = vocabulary.uncovered_subject_terms()
    assert {"pregnant", "gym", "top ups"} <= set(subjects)
    assert not set(subjects) & others


def test_listed_condition_tells_the_clinics_concerns_from_unlisted_ones():
    assert vocabulary.listed_condition("acne scars") and vocabulary.listed_condition("Stretch Marks")
    assert not vocabulary.listed_condition("rosacea") and not vocabulary.listed_condition("banana")
