"""The clinic's facts: the single source of truth for everything the assistant states.

Plain Python data, no Rasa imports. Every fact carries
  * its ``value`` (numbers the actions calculate with, or the fact itself),
  * its ``wording`` (how answers phrase it), and
  * its ``source``: the seed document and a verbatim quote from it.

``tests/test_facts.py`` checks every quote against the seed files, so a fact
cannot drift away from the documents. To change a price, change it here: every
answer that mentions it is composed from this module.

Two documents are used:
  * CLINIC: the clinic's own page (Amara), sources/clinic-page.txt, which wins where the two disagree;
  * GUIDE: a general guide to medical micro-needling, sources/general-guide.txt.
Where they disagree (pain, time to results, make-up), both are kept and the
answers say whose word is whose.
"""
from dataclasses import dataclass
from typing import Any

# The documents, in sources/ (sources/README.md says where each came from).
CLINIC = "clinic-page.txt"
GUIDE = "general-guide.txt"

# How answers name each document.
SOURCE_NAMES = {CLINIC: "the clinic", GUIDE: "a general guide to micro-needling"}


@dataclass(frozen=True)
class Source:
    seed: str
    quote: str


@dataclass(frozen=True)
class Fact:
    value: Any
    wording: str
    source: Source


def clinic(quote: str) -> Source:
    return Source(CLINIC, quote)


def guide(quote: str) -> Source:
    return Source(GUIDE, quote)


# --- Cost ---------------------------------------------------------------------

_PRICE_QUOTE = clinic("The cost for 1 Treatment is €170 or a package of 5 for €550.")
CURRENCY = Fact("€", "euro", _PRICE_QUOTE)
PRICE_SINGLE = Fact(170, "one treatment costs €170", _PRICE_QUOTE)
PACKAGE_TREATMENTS = Fact(5, "a package of 5 treatments", _PRICE_QUOTE)
PACKAGE_PRICE = Fact(550, "a package of 5 treatments costs €550", _PRICE_QUOTE)

# --- Pain (the documents disagree: clinic first) --------------------------------

NUMBING_MINUTES = Fact(
    10,
    "the numbing cream is left on for at least 10 minutes",
    clinic(
        "we leave the numbing cream for a minimum of 10 minutes to ensure that "
        "the procedure is completely painless."
    ),
)
PAIN_CLINIC = Fact(
    "painless",
    "the area is completely numbed with numbing cream first, so the procedure is completely painless",
    clinic("The face is completely numbed after we use the numbing cream"),
)
PAIN_GUIDE = Fact(
    "moderately painful",
    "it calls micro-needling \u201ca moderately painful treatment\u201d, which is why "
    "a local anaesthetic cream is applied liberally first",
    guide(
        "Your practitioner should apply a local anaesthetic cream quite liberally to your "
        "face – this is a moderately painful treatment."
    ),
)

# --- Downtime, redness, recovery --------------------------------------------------

DOWNTIME = Fact(
    "little to none",
    "there is little to no downtime; some people just have some redness afterwards",
    clinic(
        "There is little to no downtime with medical micro needling, some people just may "
        "experience some redness after the treatment is performed."
    ),
)
PINK_HOURS = Fact(
    (24, 48),
    "the skin may be pink for 24–48 hours",
    clinic("The skin may be pink for 24-48 hours after your treatment."),
)
SKIN_FEEL = Fact(
    ("warm", "tight", "itchy"),
    "it may feel warm, tight and itchy for a short while",
    clinic("The skin may also feel warm, tight and itchy for a short while."),
)
REACTION_FADES = Fact(
    "a couple of days",
    "the reaction usually fades significantly after a couple of days, depending on your skin type",
    clinic(
        "The reaction of the skin is overall usually short and fades significantly after a "
        "couple of days on average, depending on your skin type."
    ),
)
SLOWER_RECOVERY = Fact(
    "upwards of one week",
    "people with more sensitive skin, or older patients, may take upwards of one week to fully recover",
    clinic(
        "Patients with a more sensitive skin type or older patients may take upwards of one "
        "week to fully recover."
    ),
)

# --- Side effects and scarring ------------------------------------------------------

SIDE_EFFECTS = Fact(
    ("minor flaking", "dryness", "mild scab formation (rare)"),
    "side effects and risks are minimal: typically minor flaking or dryness of the skin, "
    "with some mild scabbing in rare cases",
    clinic(
        "Side effects and risks are minimal with this type of treatment and typically include "
        "minor flaking or dryness of the skin, with some mild scab formation in rare circumstances."
    ),
)
SCARRING = Fact(
    "not in experienced hands",
    "Not in the hands of an experienced professional.",
    guide("Not in the hands of an experienced professional."),
)
HEALS_SCARRING = Fact(
    "controlled damage heals correctly",
    "the tiny channels are a controlled \u2018damage\u2019 that encourages the skin to heal "
    "correctly, which is what corrects scarring",
    clinic(
        "By ‘damaging’ the skin we encourage it to heal correctly and this is what corrects "
        "scarring and pigmentation."
    ),
)

# --- Sessions and results (results: documents disagree, clinic first) ------------------

SESSIONS_RECOMMENDED = Fact(
    {"treatments": (2, 3), "weeks_apart": (6, 8)},
    "a single treatment can give a noticeable result, but a series of 2–3 treatments spaced "
    "about 6–8 weeks apart is recommended for optimal results",
    clinic(
        "Although a single treatment can provide a noticeable result, ideally however a series "
        "of 2-3 treatments spaced about 6 -8 weeks apart, is recommended to achieve optimal results ."
    ),
)
COURSE_GUIDE = Fact(
    "a course",
    "it isn\u2019t a quick fix: a course of treatments is usually required",
    guide("This isn’t a quick fix – a course of treatments is usually required"),
)
RESULTS_CLINIC = Fact(
    (6, 8),
    "visible results can take 6–8 weeks, and the skin keeps improving gradually over the following months",
    clinic(
        "It can take between 6 – 8 weeks before visible results of skin regeneration are seen "
        "and the process will continue to evolve over the ensuing months providing a gradual improvement."
    ),
)
RESULTS_GUIDE = Fact(
    6,
    "it can take up to six weeks before you start to see results, which keep improving over the next few months",
    guide(
        "It can take up to six weeks before you start to see results, but they will continue "
        "to improve over the next few months."
    ),
)

# --- Aftercare and make-up (make-up: documents differ, clinic first) ---------------------

AFTERCARE_WASH = Fact(
    48,
    "for the first 48 hours, cleanse the treated area with tepid water and dry it gently without rubbing",
    clinic(
        "After the treatment use tepid water to cleanse the treated area for the first 48 hours "
        "following treatment and drying the area gently without rubbing."
    ),
)
AFTERCARE_HANDS = Fact(
    "clean hands",
    "always have clean hands when you touch the treated area, to avoid infection",
    clinic(
        "Ensure that your hands are always clean when touching the area treated to avoid any infections."
    ),
)
MAKEUP_CLINIC = Fact(
    12,
    "avoid make-up for the first 12 hours after treatment",
    clinic("Avoid applying make up products for the first 12 hours following treatment."),
)
MAKEUP_GUIDE = Fact(
    "mineral make-up",
    "the redness can easily be covered with mineral make-up, which some practitioners have in the clinic",
    guide("can easily be covered with Mineral Make-Up"),
)

# --- What it is and how it works -------------------------------------------------------

WHAT_IS = Fact(
    "non-surgical collagen induction",
    "medical micro-needling is a safe, non-surgical procedure that uses a Dermaroller to treat "
    "skin conditions such as acne scarring, stretch marks, lines and wrinkles",
    clinic(
        "it is a safe non surgical procedure that uses a Dermaroller for skin conditions such as "
        "acne scarring, stretch marks, lines, wrinkles and many more."
    ),
)
ALSO_KNOWN_AS = Fact(
    "Collagen Induction Treatment (CIT)",
    "the clinic also calls it Collagen Induction Treatment (CIT)",
    clinic("Collagen Induction Treatment (CIT) can be used to restore skin to a previous state for optimum skin "
           "health."),
)
ALSO_KNOWN_AS_GUIDE = Fact(
    ("Dermaroller", "Skin Needling"),
    "a general guide to micro-needling says it is also known as Dermaroller or skin needling",
    guide("AKA Dermaroller, Skin Needling"),
)
CHANNELS = Fact(
    "tiny channels",
    "fine needles create tiny channels in the skin, which encourages it to produce new collagen "
    "and elastin and new skin cells",
    clinic(
        "Using a Dermaroller we introduce fine needles to the skin that create tiny channels, this "
        "encourages the skin to produce new collagen and elastin and create new skin cells."
    ),
)
SELF_HEALING = Fact(
    "self-heal mechanism",
    "it relies on the body\u2019s self-healing: tiny puncture wounds stimulate the body to produce more collagen",
    guide(
        "The procedure relies on the body’s self-heal mechanism – producing tiny puncture wounds "
        "in the skin, which stimulates the body to produce more collagen to compensate."
    ),
)
THICKER_SKIN = Fact(
    "thicker dermis and epidermis",
    "it thickens the dermis and the epidermis, so the skin becomes thicker, plumper and more youthful",
    clinic("Medical Micro Needling improves the thickness of the dermis as well as the epidermis."),
)

# --- What it treats ------------------------------------------------------------------------
# Keyed by the canonical name the entity extractor gives (see CONDITION_SYNONYMS).

CONDITIONS: dict[str, Fact] = {
    "acne scars": Fact(
        "acne scars",
        "acne scars see great improvement, the clinic says",
        clinic("Scars such as acne or light scarring see great improvement with medical micro needling treatments."),
    ),
    "scars": Fact(
        "scars",
        "scars such as acne or light scarring see great improvement, the clinic says",
        clinic("Scars such as acne or light scarring see great improvement with medical micro needling treatments."),
    ),
    "stretch marks": Fact(
        "stretch marks",
        "the clinic lists stretch marks among the conditions it treats",
        clinic("acne scarring, stretch marks, lines, wrinkles and many more"),
    ),
    "lines": Fact(
        "lines",
        "the clinic lists lines and wrinkles among the conditions it treats",
        clinic("acne scarring, stretch marks, lines, wrinkles and many more"),
    ),
    "wrinkles": Fact(
        "wrinkles",
        "the clinic lists wrinkles among the conditions it treats",
        clinic("acne scarring, stretch marks, lines, wrinkles and many more"),
    ),
    "pigmentation": Fact(
        "pigmentation",
        "the clinic says it helps with both hyper-pigmentation and hypo-pigmentation",
        clinic("It also helps with hyper-pigmentation as well as on hypo-pigmentation."),
    ),
    "cellulite": Fact(
        "cellulite",
        "a general guide says it can treat cellulite (the clinic\u2019s page doesn\u2019t mention cellulite)",
        guide("to treat blemishes such as scars, stretch marks and even cellulite"),
    ),
    "dull skin": Fact(
        "dull skin",
        "a general guide says it can boost a dull complexion and promote plumper skin and a healthy glow",
        guide("or even just want to boost a dull complexion, medical micro-needling can help."),
    ),
    "ageing": Fact(
        "ageing",
        "a general guide says it can help if you\u2019re worried about ageing; the clinic says it thickens "
        "the skin, making it plumper and more youthful",
        guide("Whether you’re worried about ageing, scars, cellulite or even just want to boost a dull complexion"),
    ),
    "hair growth": Fact(
        "hair growth",
        "a general guide says some practitioners even use it to stimulate hair growth (the clinic\u2019s "
        "page doesn\u2019t say it offers this)",
        guide("Some practitioners even use it to stimulate hair growth."),
    ),
}

# The conditions the clinic's own page names, in the order it names them.
CLINIC_CONDITIONS = ("acne scars", "stretch marks", "lines", "wrinkles", "pigmentation")

# --- Body areas ------------------------------------------------------------------------------

_AREAS_QUOTE = clinic(
    "Medical Micro needling with the dermaroller can be used on most area of the body such as "
    "face, legs, arms neck etc."
)
BODY_AREAS = Fact(
    ("face", "legs", "arms", "neck"),
    "it can be used on most areas of the body, such as the face, legs, arms and neck",
    _AREAS_QUOTE,
)

# --- The session ------------------------------------------------------------------------------

SESSION_MINUTES = Fact(
    40,
    "a typical session on the face takes about 40 minutes on average, depending on the area treated",
    clinic("A typical session of medical micro needling on the face would take on average about 40 minutes"),
)
STEP_NUMBING = Fact(
    10,
    "the area is numbed with numbing cream, left to set for about 10 minutes until it is completely numb",
    clinic(
        "First we numb the area using numbing cream, we leave this to set for about 10 minutes "
        "until the area is completely numb."
    ),
)
STEP_ROLLING = Fact(
    10,
    "the Dermaroller is passed over the area to create microscopic channels, which usually takes about 10 minutes",
    clinic(
        "Then we go over the area with the Dermaroller which creates microscopic channels. "
        "This would usually take about 10 minutes."
    ),
)
STEP_SERUM = Fact(
    "Growth Factor Serum by Dr. Zein Obagi",
    "Growth Factor Serum by Dr. Zein Obagi is applied, and the channels let it go deep into the skin",
    clinic("Now that we have created these channels we can add Growth Factor Serum by Dr. Zein Obagi."),
)
SERUM_ABSORPTION = Fact(
    1000,
    "the clinic says serums applied afterwards are up to 1000 times more effective, because they are "
    "absorbed deep into the skin",
    clinic(
        "Serums that are applied to the skin afterwards are also up to 1000 times more effective as "
        "the pores are opened and the product is absorbed deep into the skin."
    ),
)

# --- Devices ------------------------------------------------------------------------------------

ROLLER = Fact(
    "Dermaroller",
    "the roller is a sterile device with hundreds of tiny needles, rolled repeatedly over the skin",
    guide(
        "a sterile roller with hundreds of tiny needles sticking out – is rolled repeatedly over the "
        "skin to make hundreds of miniature puncture wounds."
    ),
)
STAMP = Fact(
    "Derma-Stamp",
    "the Derma-Stamp comes from the same manufacturer and works on the same principle: about ten "
    "needles close together on the end of a stamping device, used for small, deep scars and pock marks",
    guide(
        "About ten needles are concentrated close together on the end of a stamping device, which is "
        "used to deal with small, deep scars and pock marks."
    ),
)
SINGLE_USE = Fact(
    "usually single-use",
    "the device is usually single-use, and it suggests you watch your practitioner take yours out of the "
    "packet, so you know it hasn\u2019t been used on anyone before you",
    guide(
        "The device is usually single- use – try to make sure that you see your practitioner take yours "
        "out of the packet, so you know that it hasn’t been used on anyone before you."
    ),
)

# --- Comparisons, suitability, people ------------------------------------------------------------

VS_OTHER_TREATMENTS = Fact(
    ("laser resurfacing", "dermabrasion", "chemical peels"),
    "the clinic says clinical studies have shown micro-needling to be more effective than laser "
    "resurfacing, dermabrasion and chemical peels, and just as effective as non-ablative treatments "
    "like IPL, CO2 laser and Fraxel at stimulating collagen and elastin",
    clinic(
        "Clinical studies have shown medical micro needling to be more effective than treatments like "
        "laser resurfacing, dermabrasion & chemical skin peels and just as effective as non-ablative "
        "treatments like IPL, CO2 laser, and Fraxel in stimulating collagen and elastin production to "
        "thicken the skin thereby erasing wrinkles and smoothing scars."
    ),
)
SUITABILITY = Fact(
    "very few contraindications",
    "it is non-surgical, and there are very few contraindications",
    guide(
        "it’s non-surgical, so although a full consultation with a medical practitioner is recommended "
        "prior to treatment, there are very few contraindications."
    ),
)
CONSULTATION = Fact(
    "consultation recommended",
    "a full consultation with a medical practitioner is recommended before treatment",
    guide("a full consultation with a medical practitioner is recommended prior to treatment"),
)
PRACTITIONER = Fact(
    "Dr Paul Munsanje",
    "the clinic\u2019s page is by Dr Paul Munsanje, the Owner and Medical Director of Amara, who has "
    "13 years\u2019 industry experience",
    clinic("Dr Paul Munsanje is the Owner and Medical Director of Amara and has 13 years industry experience."),
)


def all_facts() -> dict[str, Fact]:
    """Every fact in this module by name (conditions as ``CONDITIONS[name]``)."""
    found = {name: value for name, value in globals().items() if isinstance(value, Fact)}
    found.update({f"CONDITIONS[{key}]": fact for key, fact in CONDITIONS.items()})
    return found

