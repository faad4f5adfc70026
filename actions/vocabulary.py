"""Words visitors use for body areas, skin concerns, numbers and treatments, mapped to keys.

Plain Python, no Rasa imports. Two users:
  * ``scripts/build_spacy_pipeline.py`` turns these terms into spaCy EntityRuler
    patterns (entities ``body_area``, ``skin_condition``, ``number``, ``treatment``);
  * the actions turn an extracted entity's text back into a key of
    ``facts.CONDITIONS`` or ``facts.BODY_AREAS``.

The "unlisted" terms are deliberately recognised too: when a visitor asks about
rosacea or the stomach, the honest answer is "the clinic's information doesn't
mention that", and for that the assistant must first notice what was asked.
"""
import re
from collections.abc import Iterable
from pathlib import Path

import yaml

from actions import facts

# Surface forms per canonical condition; every key is a key of facts.CONDITIONS.
CONDITION_TERMS: dict[str, list[str]] = {
    "acne scars": ["acne scars", "acne scar", "acne scarring", "acne marks", "old acne scars"],
    "scars": ["scars", "scar", "scarring", "pock marks", "pockmarks"],
    "stretch marks": ["stretch marks", "stretch mark", "stretchmarks", "striae"],
    "lines": ["lines", "fine lines", "laughter lines", "frown lines", "crows feet", "crow's feet"],
    "wrinkles": ["wrinkles", "wrinkle", "wrinkly skin", "wrinkels", "wrinkel", "rinkles"],
    "pigmentation": [
        "pigmentation", "hyperpigmentation", "hyper-pigmentation", "hypopigmentation",
        "hypo-pigmentation", "pigment", "dark spots", "uneven skin tone",
    ],
    "cellulite": ["cellulite"],
    "dull skin": ["dull skin", "dull complexion", "dullness", "dull"],
    "ageing": ["ageing", "aging", "ageing skin", "aging skin", "sagging skin"],
    "hair growth": ["hair growth", "hair loss", "thinning hair", "balding", "hair regrowth"],
}

# Concerns visitors ask about that the documents do not mention.
UNLISTED_CONDITIONS = [
    "acne", "active acne", "breakouts", "pitted scars", "surgical scars", "rosacea", "eczema", "psoriasis", "melasma",
    "large pores", "enlarged pores", "open pores",
    "blackheads", "spots", "moles", "warts", "keloids", "keloid scars",
    "dark circles", "eye bags", "sun damage", "freckles", "birthmarks", "vitiligo", "burn scars",
    "thread veins", "broken capillaries",
    "double chin", "jowls", "loose skin", "crepey skin", "skin tags", "milia", "oily skin",
    "age spots", "sun spots", "liver spots",
]

AREA_TERMS: dict[str, list[str]] = {
    "face": ["face", "cheeks", "cheek", "forehead", "chin", "jawline", "nose", "facial"],
    "legs": ["legs", "leg", "thighs", "thigh", "calves", "knees"],
    "arms": ["arms", "arm", "upper arms", "forearms"],
    "neck": ["neck"],
}
NOT_AN_AREA = "not_an_area"  # a phrase with an area's word that names no area ("set me back"), not extracted
UNLISTED_AREAS = [
    "stomach", "tummy", "belly", "abdomen", "back", "lower back", "chest", "decolletage",
    "décolletage", "hands", "hand", "feet", "scalp", "buttocks", "bum", "bottom", "hips",
    "under eyes", "under eye", "eyes", "eye area", "around the eyes", "eyelids", "lips", "breasts", "boobs",
]

# Words by which a visitor describes a reaction after treatment (stems: "swell" for swelling
# and swollen). A message with none of them is not describing one, whatever else it says.
REACTION_STEMS = [
    "swell", "swollen", "puff", "bleed", "blood", "blister", "infect", "pus", "rash", "itch", "burn", "sore", "pain",
    "hurt", "agony", "red", "raw", "bump", "lump", "welt", "spot", "ooz", "weep", "crust", "scab", "peel", "flak",
    # ("hotmail" and "number" in a contact request are no reaction.)
    "hot(?!mail)", "fever", "temperature", "allerg", "hive", "react", "sting", "throb", "bruis", "tender", "ache",
    "aching",
    "inflam", "irritat", "blotch", "discolou", "dark", "mark", "scar", "breakout", "broke out", "broken out",
    "breaking out", "blown up", "tight",
    "dry", "worse", "wrong", "awful", "terrible", "emergency", "help", "doctor", "hospital", "a&e", "breath", "dizzy",
    # ("sick of them" is no reaction either.)
    "faint", "nause", "vomit", "sick(?! of)", "numb(?!er)", "tingl", "smell", "stink", "cold sore", "herpes", "cyst",
    "pimple",
    "whitehead", "hole", "wound", "open", "yellow", "green", "angry", "normal", "unwell", "shiver", r"ill\b", "feel",
    "breaking out", "purple", "closing up", "pinprick", "dots", "warm",
]


def _stems(stems: list[str]) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(stems) + ")", re.IGNORECASE)


REACTION_WORDS = _stems(REACTION_STEMS)


def describes_a_reaction(text: str) -> bool:
    return bool(REACTION_WORDS.search(text or ""))


# REACTION_WORDS without the words that also ask about results or feelings ("is that normal?",
# "something wrong?", "I feel…"): a sign on the skin or the body. Every reaction example but
# none of "had my first one 3 weeks ago and see nothing yet, is that normal?" names one.
_NOT_A_SIGN = {"normal", "feel", "help", "wrong", "worse", "awful", "terrible", "doctor", "hospital", "dark",
               "mark", "open", "hole", "angry", "dry", "tight", "sick(?! of)"}
SIGN_WORDS = _stems([stem for stem in REACTION_STEMS if stem not in _NOT_A_SIGN] + ["patch"])


def names_a_sign(text: str) -> bool:
    return bool(SIGN_WORDS.search(text or ""))


# What the clinic's page says the skin may feel for a short while ("warm, tight and itchy"), and
# the side effects it names ("minor flaking or dryness"): expected, not a reaction to report.
DOCUMENTED_EFFECTS = re.compile(
    r"\b(?:tight|tightness|itchy|itch|itches|itching|itchiness|warm|warmth|dry|dryness|flaky|flaking|flakes"
    r"|flakey|pink|pinkness)\b", re.IGNORECASE)


# ... "for a short while": said strongly, they are a reaction ("so itchy i cant stop scratching").
_STRONGLY = re.compile(r"\b(?:so|really|very|unbearable|can'?t stop|cant stop|won'?t stop|wont stop|severe\w*"
                       r"|extreme\w*|worse|spreading|constant\w*|antihistamines?|all over|still)\b", re.IGNORECASE)


def names_only_documented_effects(text: str) -> bool:
    """Signs the documents describe as expected, mildly, and no other: "skin feels tight and a
    bit itchy"."""
    text = text or ""
    rest = DOCUMENTED_EFFECTS.sub(" ", text)
    return bool(DOCUMENTED_EFFECTS.search(text)) and not names_a_sign(rest) \
        and not SERIOUS_REACTION_WORDS.search(text) and not _STRONGLY.search(text)


# Signs that need the practitioner, not an FAQ ("its day 5 and its hot, swollen and really
# painful"), and words by which visitors speak of their own skin.
SERIOUS_REACTION_WORDS = re.compile(
    r"\b(?:swollen|swelling|swelled|bleeding|bled|blister\w*|pus|oozing|ooze[sd]?|weeping|infect\w*|fever|"
    r"rash|hives|allergic|burning|throbbing|really painful|very painful|so painful|agony|crust\w*|scabb\w*)\b",
    re.IGNORECASE)
# Not "i" or "it's": "will I be swollen?", "what if I get a rash?" ask what to expect.
OWN_SKIN = re.compile(r"\b(?:my|mine|i'?ve|ive|i have|i got|day \d+|days? (?:ago|later|after)|since|still)\b",
                      re.IGNORECASE)


# A reaction happens after a treatment. Words by which a visitor says they were treated, or that
# what they see needs care whenever it began. Without any, a message describes the skin as it
# is, a concern ("my skin has been a mess since my twenties with scarring from acne").
TREATED_OR_URGENT = re.compile(
    r"\b(?:after|afterwards|post|since (?:then|yesterday|last|the (?:treatment|session|procedure|appointment)"
    r"|my (?:treatment|session|procedure|appointment|first|last|second))"
    r"|(?:had|got|getting|having) (?:it|my|the|a|this|that|some|micro\w*|derma\w*|skin needling)"
    r"|treatment|treated|session|procedure|appointment|yesterday|last (?:night|week|time)|this morning|tonight"
    r"|today|day \d+|days?|ago|weeks?|dermaroller|roller|rolled|rolling|stamp|needl\w*|serum|numbing|cream"
    r"|went|done|still|now|clinic|you guys|ye|your"
    r"|allerg\w*|reaction|infect\w*|streak|a&e|hospital|doctor|gp|emergency|urgent|ambulance"
    r"|is (?:this|that|it) normal|worried)\b", re.IGNORECASE)


def after_treatment_or_urgent(text: str) -> bool:
    return bool(TREATED_OR_URGENT.search(text or "")) or bool(SERIOUS_REACTION_WORDS.search(text or ""))


def reports_a_serious_reaction(text: str) -> bool:
    """The visitor describes serious signs on their own skin (not "is swelling normal?")."""
    return bool(SERIOUS_REACTION_WORDS.search(text or "")) and bool(OWN_SKIN.search(text or ""))


# A number is taken as a count of treatments only next to one of these words
# ("3 treatments", "two sessions", "for 3"), so a price ("is it €170?") or an age
# ("I'm 45, how much?") is never mistaken for one.
COUNT_NOUNS = ["treatment", "treatments", "session", "sessions", "sesh", "times", "goes", "rounds", "visits"]
COUNT_LEADS = ["for", "book", "of", "about", "and"]
MAX_TREATMENTS = 20  # anything larger is not a plausible count of treatments

_WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple": 2, "couple": 2,
    "single": 1, "a single": 1,
}


def _tokens_of(form: str) -> list[str]:
    return form.replace("-", " ").replace("'", " ").split()


# The treatment a question is about (entity ``treatment``). Micro-needling by any of its
# names is the subject the documents cover; any other treatment is not (hooks/scope.py).
MICRONEEDLING = "micro-needling"
MICRONEEDLING_TERMS = [
    "micro-needling", "microneedling", "micro needling", "micro-needle", "microneedle", "micro needle",
    "needling", "skin needling", "medical micro-needling", "medical microneedling", "medical micro needling",
    "dermaroller", "derma roller", "derma-roller", "dermarolling", "derma rolling", "dermarollers",
    "derma stamp", "derma-stamp", "dermastamp", "collagen induction", "collagen induction therapy",
    "collagen induction treatment", "cit", "microneedling pen", "dermapen", "derma pen",
]
OTHER_TREATMENTS_FILE = Path(__file__).resolve().parent.parent / "data" / "other_treatments.yml"


def other_treatments(path: Path = OTHER_TREATMENTS_FILE) -> list[str]:
    """The trainers' list of other treatments' names (data/other_treatments.yml)."""
    names = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("other_treatments") or []
    return [str(name).strip().lower() for name in names if str(name).strip()]


CLINIC_BUSINESS_FILE = Path(__file__).resolve().parent.parent / "data" / "clinic_business.yml"


def clinic_business_terms(path: Path = CLINIC_BUSINESS_FILE) -> list[str]:
    """The trainers' words of questions about the clinic's business (data/clinic_business.yml)."""
    terms = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("clinic_business") or []
    return [str(term).strip().lower() for term in terms if str(term).strip()]


UNCOVERED_SUBJECTS_FILE = Path(__file__).resolve().parent.parent / "data" / "uncovered_subjects.yml"


def uncovered_subject_terms(path: Path = UNCOVERED_SUBJECTS_FILE) -> list[str]:
    """The trainers' subjects of micro-needling questions the documents don't cover
    (data/uncovered_subjects.yml)."""
    terms = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("uncovered_subjects") or []
    return [str(term).strip().lower() for term in terms if str(term).strip()]


def procedure_words(key: str = "procedure_words", path: Path = OTHER_TREATMENTS_FILE) -> list[str]:
    """Words that make a treatment's name of the word before them ("eyelid lift"); with
    ``key="concern_procedure_words"``, those that do unless that word is a treated concern
    ("mole removal", not "scar removal")."""
    words = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get(key) or []
    return [str(word).strip().lower() for word in words if str(word).strip()]


# Concerns visitors ask micro-needling about: "scar removal", "dark spot removal" and "wrinkle
# reduction" ask what it does, "mole removal" doesn't.
TREATED_CONCERN_WORDS = sorted({t for forms in CONDITION_TERMS.values() for form in forms for t in _tokens_of(form)}
                               | {t for form in UNLISTED_CONDITIONS for t in _tokens_of(form)}
                               | {"acne", "mark", "marks", "stretchmark", "skin", "spot", "line", "pore", "pores",
                                  "redness", "makeup", "make", "up", "dark"})
# Words that describe rather than name: "a natural lift", "an instant lift".
NOT_A_TREATMENT_NAME = ["natural", "instant", "quick", "little", "slight", "real", "nice", "good", "great", "visible",
                        "noticeable", "subtle", "overall", "some", "any", "much", "like", "hate", "need", "want",
                        "get", "got", "give", "gives", "had", "have", "proper", "big", "small", "skin", "new", "old",
                        "best", "bad", "same", "other", "cheap", "heard", "getting", "using", "use", "tried", "buy",
                        "bought", "recommend"]


def treatment_key(text: str) -> str:
    """'micro-needling' for any of its names, else the treatment as the visitor named it."""
    needle = " ".join(text.strip().lower().split())
    return MICRONEEDLING if needle in MICRONEEDLING_TERMS else needle


def _lookup(terms: dict[str, list[str]], unlisted: Iterable[str], text: str) -> str | None:
    needle = text.strip().lower()
    for key, forms in terms.items():
        if needle in forms:
            return key
    return needle if needle in unlisted else None


def condition_key(text: str) -> str | None:
    """The facts.CONDITIONS key for a visitor's words, the unlisted term itself, or None."""
    return _lookup(CONDITION_TERMS, UNLISTED_CONDITIONS, text)


def listed_condition(text: str) -> bool:
    """Whether the visitor's words name a concern the clinic's list has ("acne scars"), not
    one it doesn't mention ("rosacea")."""
    return _lookup(CONDITION_TERMS, (), text) is not None


def area_key(text: str) -> str | None:
    """The facts.BODY_AREAS value for a visitor's words, the unlisted term itself, or None."""
    return _lookup(AREA_TERMS, UNLISTED_AREAS, text)


def parse_number(text: str) -> int | None:
    """The count in '3', 'three', '3x', '3 treatments', 'for two'; None if there is no
    plausible count (e.g. '2.5', 'lots', '0', '170')."""
    needle = text.strip().lower()
    candidates = [needle] + needle.split()
    for token in candidates:
        if token in _WORD_NUMBERS:
            return _WORD_NUMBERS[token]
        match = re.fullmatch(r"(\d{1,4})x?", token)
        if match:
            count = int(match.group(1))
            return count if 1 <= count <= MAX_TREATMENTS else None
    return None


def entity_patterns() -> list[dict]:
    """spaCy EntityRuler patterns for every term above (case-insensitive via LOWER)."""
    patterns = []
    for label, terms, unlisted in (
        ("skin_condition", CONDITION_TERMS, UNLISTED_CONDITIONS),
        ("body_area", AREA_TERMS, UNLISTED_AREAS),
    ):
        forms = [form for group in terms.values() for form in group] + list(unlisted)
        for form in forms:
            patterns.append({"label": label, "pattern": [{"LOWER": t} for t in _tokens(form)]})
    # Phrase patterns: spaCy's own tokenizer splits them as it splits visitors' messages.
    for form in MICRONEEDLING_TERMS + [t for t in other_treatments() if t not in MICRONEEDLING_TERMS]:
        patterns.append({"label": "treatment", "pattern": form})
    for form in clinic_business_terms():
        patterns.append({"label": "clinic_business", "pattern": form})
    for form in uncovered_subject_terms():
        patterns.append({"label": "uncovered_subject", "pattern": form})
    # A treatment named by its shape ("mole removal", "eyelid lift", "blepharoplasty"): a content
    # word before a procedure word. Longer matches win, so listed names keep their own span.
    needling_words = [t for form in MICRONEEDLING_TERMS for t in _tokens_of(form)] + NOT_A_TREATMENT_NAME
    for heads, not_a_name in ((procedure_words(), needling_words),
                              (procedure_words("concern_procedure_words"), needling_words + TREATED_CONCERN_WORDS)):
        patterns.append({"label": "treatment", "pattern": [
            {"IS_ALPHA": True, "IS_STOP": False, "LOWER": {"NOT_IN": not_a_name}}, {"LOWER": {"IN": heads}}]})
    # -plasty and -pexy are cosmetic surgery; -ectomy is medical history ("my mastectomy scars").
    patterns.append({"label": "treatment", "pattern": [{"LOWER": {"REGEX": r"^[a-z]{3,}(plasty|pexy)$"}}]})
    # "set me back", "go back to work": "back" is no body area there. These spans are longer
    # than "back", so the EntityRuler prefers them, and their label is none the assistant uses.
    patterns.append({"label": NOT_AN_AREA, "pattern": [
        {"LOWER": {"IN": ["set", "sets", "go", "goes", "going", "get", "getting", "come", "coming", "be", "went",
                          "straight", "head", "bounce", "bounced"]}},
        {"LOWER": {"IN": ["me", "you", "u", "us", "it", "them", "right"]}, "OP": "?"},
        {"LOWER": "back"}]})
    patterns.append({"label": NOT_AN_AREA, "pattern": [{"LOWER": "back"}, {"LOWER": {"IN": ["to", "in", "on", "at"]}}]})
    patterns.append({"label": "number", "pattern": [{"LIKE_NUM": True}, {"LOWER": {"IN": COUNT_NOUNS}}]})
    patterns.append({"label": "number", "pattern": [{"LOWER": {"IN": COUNT_LEADS}}, {"LIKE_NUM": True}]})
    patterns.append({"label": "number", "pattern": [{"LOWER": {"REGEX": r"^\d{1,2}x$"}}]})
    return patterns


def _tokens(form: str) -> list[str]:
    # Mirrors spaCy's English tokenizer for these simple terms: split on spaces and
    # keep hyphens and apostrophes as their own tokens.
    return [t for t in re.split(r"\s+|(-)|('s?)", form) if t]


# Every canonical key must name a fact, or the answers could not use it.
assert set(CONDITION_TERMS) == set(facts.CONDITIONS), "CONDITION_TERMS keys must match facts.CONDITIONS"
assert set(AREA_TERMS) == set(facts.BODY_AREAS.value), "AREA_TERMS keys must match facts.BODY_AREAS"
