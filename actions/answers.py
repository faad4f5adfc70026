"""Answers composed from the facts module. Plain Python, no Rasa imports.

Each function returns the text of one reply. Numbers and wordings come from
``actions.facts``; this module only decides what to say and in which order
(the clinic's own page first, the general guide after it, and an honest
"the documents don't say" where they don't).

``TOPICS`` maps each FAQ intent to its button title (used by the "did you
mean…?" fallback) and its answer, so every FAQ intent has exactly one answer.
"""
from dataclasses import dataclass
from typing import Callable, Dict, Optional

from actions import facts as f
from actions import vocabulary

ON_CLINIC_PAGE = "on the clinic\u2019s page, "
CONSULT = "That is a question for a consultation with the clinic\u2019s practitioner."


def euros(amount: float) -> str:
    return f"{f.CURRENCY.value}{amount:,.0f}" if amount == int(amount) else f"{f.CURRENCY.value}{amount:,.2f}"


def _sentence(text: str) -> str:
    text = text.strip()
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "?", "!", "\u201d")) else ".")


def _join(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# --- Cost: reasoning over the price facts ------------------------------------------

def package_per_treatment() -> float:
    return f.PACKAGE_PRICE.value / f.PACKAGE_TREATMENTS.value


def package_saving() -> float:
    return f.PRICE_SINGLE.value * f.PACKAGE_TREATMENTS.value - f.PACKAGE_PRICE.value


def cost(treatments: Optional[int] = None) -> str:
    """The price answer; with a number of treatments, the total and the cheaper option."""
    single, package, size = f.PRICE_SINGLE.value, f.PACKAGE_PRICE.value, f.PACKAGE_TREATMENTS.value
    prices = (
        f"One treatment costs {euros(single)}, or there is a package of {size} for {euros(package)} "
        f"({euros(package_per_treatment())} per treatment)."
    )
    if treatments is None or treatments < 1:
        low, high = f.SESSIONS_RECOMMENDED.value["treatments"]
        return (
            f"{prices} The package saves {euros(package_saving())} compared with {size} single treatments. "
            f"The clinic recommends a series of {low}\u2013{high} treatments, which is "
            f"{euros(low * single)}\u2013{euros(high * single)} at the single price."
        )
    total = treatments * single
    head = (
        f"One treatment costs {euros(single)}." if treatments == 1
        else f"{treatments} treatments at {euros(single)} each come to {euros(total)}."
    )
    if treatments < size:
        if package < total:
            return (
                f"{head} The package of {size} costs {euros(package)}: {euros(total - package)} less, "
                f"and you get {size - treatments} more."
            )
        return (
            f"{head} The package of {size} is {euros(package)}, {euros(package - total)} more for "
            f"{size - treatments} extra, and {euros(package_per_treatment())} per treatment instead of {euros(single)}."
        )
    if treatments == size:
        return (
            f"{head} The package of {size} costs {euros(package)} instead, "
            f"saving {euros(package_saving())} ({euros(package_per_treatment())} per treatment)."
        )
    return (
        f"{head} The clinic\u2019s prices mention one package, {size} treatments for {euros(package)}, "
        f"and nothing for more than {size}; please ask the clinic about pricing for {treatments}."
    )


# --- The six questions the clinic asked for first -------------------------------------

def pain() -> str:
    return (
        f"{_sentence('the clinic says ' + f.PAIN_CLINIC.wording)} ({_sentence(f.NUMBING_MINUTES.wording)[:-1]}.) "
        f"{_sentence(f.SOURCE_NAMES[f.GUIDE])[:-1]} describes it differently: {f.PAIN_GUIDE.wording}."
    )


def downtime() -> str:
    return (
        f"{_sentence('the clinic says ' + f.DOWNTIME.wording)} {_sentence(f.PINK_HOURS.wording)[:-1]}, "
        f"and {f.REACTION_FADES.wording}. {_sentence(f.SLOWER_RECOVERY.wording)}"
    )


def sessions() -> str:
    return (
        f"{_sentence('the clinic says ' + f.SESSIONS_RECOMMENDED.wording)} "
        f"{_sentence(f.SOURCE_NAMES[f.GUIDE] + ' agrees that ' + f.COURSE_GUIDE.wording)}"
    )


def scarring() -> str:
    return (
        f"Asked \u201cwill I have a scar?\u201d, {f.SOURCE_NAMES[f.GUIDE]} answers: \u201c{f.SCARRING.wording}\u201d "
        f"{_sentence(ON_CLINIC_PAGE + f.HEALS_SCARRING.wording)} "
        f"{_sentence('the clinic adds that ' + f.SIDE_EFFECTS.wording)}"
    )


def stamp_vs_roller() -> str:
    return (
        f"The clinic\u2019s page describes treatment with the Dermaroller: {f.CHANNELS.wording}. "
        f"{_sentence(f.SOURCE_NAMES[f.GUIDE] + ' says ' + f.ROLLER.wording)} "
        f"{_sentence('the guide adds that ' + f.STAMP.wording)} "
        f"The clinic\u2019s page doesn\u2019t mention the Derma-Stamp, so ask them which device suits you."
    )


# --- Everything else the documents answer ----------------------------------------------

def what_is() -> str:
    return (
        f"{_sentence('the clinic says ' + f.WHAT_IS.wording)} {_sentence(f.CHANNELS.wording)} "
        f"{_sentence(f.ALSO_KNOWN_AS.wording)} ({_sentence(f.ALSO_KNOWN_AS_GUIDE.wording)[:-1]}.)"
    )


def how_it_works() -> str:
    return (
        f"{_sentence(f.CHANNELS.wording)} {_sentence('the clinic says ' + f.THICKER_SKIN.wording)} "
        f"{_sentence(f.SOURCE_NAMES[f.GUIDE] + ' puts it this way: ' + f.SELF_HEALING.wording)}"
    )


def conditions(condition: Optional[str] = None) -> str:
    """What it treats; with a visitor's concern, whether the documents mention it."""
    key = vocabulary.condition_key(condition) if condition else None
    clinic_list = _join(f.CLINIC_CONDITIONS[:-1]) + f", and it helps with {f.CLINIC_CONDITIONS[-1]}"
    overview = (
        f"The clinic uses it for {clinic_list}. "
        f"{_sentence(f.SOURCE_NAMES[f.GUIDE] + ' adds cellulite and a dull complexion, and says some practitioners use it to stimulate hair growth')}"
    )
    if key in f.CONDITIONS:
        return f"{_sentence(f.CONDITIONS[key].wording)} {overview}"
    if key:
        return (
            f"The clinic\u2019s information doesn\u2019t mention {key}, so I can\u2019t say whether micro-needling "
            f"helps with it. {CONSULT} {overview}"
        )
    return overview


def body_areas(area: Optional[str] = None) -> str:
    """Where it can be used; with a visitor's area, whether the clinic names it."""
    key = vocabulary.area_key(area) if area else None
    general = _sentence("the clinic says " + f.BODY_AREAS.wording)
    if key in f.BODY_AREAS.value:
        return f"Yes. {general}"
    if key:
        place = key if key.startswith(("around", "under", "near")) else f"the {key}"
        return f"{general} Its page doesn\u2019t mention {place} specifically, so please check with the clinic."
    return general


def session_duration() -> str:
    return (
        f"{_sentence(f.SESSION_MINUTES.wording)} Within a session, the numbing cream sets for about "
        f"{f.STEP_NUMBING.value} minutes and the Dermaroller step usually takes about {f.STEP_ROLLING.value} minutes."
    )


def procedure() -> str:
    return (
        f"At the clinic: 1) {f.STEP_NUMBING.wording}; 2) {f.STEP_ROLLING.wording}; "
        f"3) {f.STEP_SERUM.wording}. {_sentence(f.SESSION_MINUTES.wording)}"
    )


def results_time() -> str:
    return (
        f"{_sentence('the clinic says ' + f.RESULTS_CLINIC.wording)} "
        f"{_sentence(f.SOURCE_NAMES[f.GUIDE] + ' says ' + f.RESULTS_GUIDE.wording)}"
    )


def aftercare() -> str:
    return (
        f"The clinic\u2019s aftercare: {f.AFTERCARE_WASH.wording}; {f.AFTERCARE_HANDS.wording}; "
        f"and {f.MAKEUP_CLINIC.wording}."
    )


def side_effects() -> str:
    return (
        f"{_sentence('the clinic says ' + f.SIDE_EFFECTS.wording)} {_sentence(f.PINK_HOURS.wording)[:-1]} and "
        f"{f.SKIN_FEEL.wording}; {f.REACTION_FADES.wording}."
    )


def makeup() -> str:
    return (
        f"{_sentence('the clinic says to ' + f.MAKEUP_CLINIC.wording)} "
        f"{_sentence(f.SOURCE_NAMES[f.GUIDE] + ' says ' + f.MAKEUP_GUIDE.wording)} "
        f"Follow the clinic\u2019s 12-hour advice."
    )


def vs_other_treatments() -> str:
    return _sentence(f.VS_OTHER_TREATMENTS.wording)


def suitability() -> str:
    return (
        f"Whether it suits you personally is for a consultation: {f.SOURCE_NAMES[f.GUIDE]} says "
        f"{f.CONSULTATION.wording}. It adds that {f.SUITABILITY.wording}. "
        f"{_sentence('the clinic notes that ' + f.SLOWER_RECOVERY.wording)} "
        f"The clinic\u2019s information doesn\u2019t cover individual skin types or health conditions."
    )


def device_hygiene() -> str:
    return (
        f"{_sentence(f.SOURCE_NAMES[f.GUIDE] + ' says ' + f.ROLLER.wording)} {_sentence('the guide adds that ' + f.SINGLE_USE.wording)} "
        f"The clinic\u2019s page doesn\u2019t say more, so feel free to ask them."
    )


def serum() -> str:
    return (
        f"After the Dermaroller, the clinic applies {f.STEP_SERUM.value}: the tiny channels let it go deep into "
        f"the skin. {_sentence(f.SERUM_ABSORPTION.wording)}"
    )


def practitioner() -> str:
    return (
        f"{_sentence(f.PRACTITIONER.wording)} The page doesn\u2019t say who carries out each treatment, so please "
        f"ask the clinic. {_sentence(f.SOURCE_NAMES[f.GUIDE] + ' recommends ' + f.CONSULTATION.wording.replace(' is recommended', ''))}"
    )


def medical_unanswered() -> str:
    return (
        "I\u2019m sorry, I can\u2019t answer that from the clinic\u2019s information, and I can\u2019t give medical advice. "
        f"{CONSULT} ({_sentence(f.SOURCE_NAMES[f.GUIDE] + ' says ' + f.CONSULTATION.wording)[:-1]} anyway.)"
    )


@dataclass(frozen=True)
class Topic:
    title: str  # short button title for "Did you mean…?"
    answer: Callable[..., str]
    # What the visitor asked about, as the concern of a consultation request
    # ("Is your request about cost?"); the title in lower case when not given.
    subject: Optional[str] = None

    @property
    def concern(self) -> str:
        return self.subject or self.title.lower()


TOPICS: Dict[str, Topic] = {
    "ask_pain": Topic("Does it hurt?", pain, "pain"),
    "ask_cost": Topic("Cost", cost),
    "ask_downtime": Topic("Downtime", downtime),
    "ask_sessions": Topic("Number of sessions", sessions, "the number of sessions"),
    "ask_scarring": Topic("Will it scar?", scarring, "scarring"),
    "ask_stamp_vs_roller": Topic("Derma-Stamp or roller", stamp_vs_roller, "the Derma-Stamp or the Dermaroller"),
    "ask_what_is": Topic("What is micro-needling?", what_is, "micro-needling"),
    "ask_how_it_works": Topic("How it works", how_it_works),
    "ask_conditions": Topic("What it treats", conditions),
    "ask_body_areas": Topic("Body areas", body_areas),
    "ask_session_duration": Topic("How long a session takes", session_duration),
    "ask_procedure": Topic("What happens in a session", procedure),
    "ask_results_time": Topic("When results show", results_time),
    "ask_aftercare": Topic("Aftercare", aftercare),
    "ask_side_effects": Topic("Side effects", side_effects),
    "ask_makeup": Topic("Make-up afterwards", makeup),
    "ask_vs_other_treatments": Topic("Compared with laser or peels", vs_other_treatments, "micro-needling compared with laser or peels"),
    "ask_suitability": Topic("Who is it for?", suitability, "whether micro-needling suits me"),
    "ask_device_hygiene": Topic("Is the device sterile?", device_hygiene, "device hygiene"),
    "ask_serum": Topic("The serum used", serum),
    "ask_practitioner": Topic("Who performs it", practitioner),
    "ask_medical_unanswered": Topic("A medical question", medical_unanswered, "a medical question"),
}
