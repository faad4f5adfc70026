"""The answers that compute something. Plain Python, no Rasa imports.

Most FAQ answers are templates over the facts in the registry (data/faqs.yml,
actions/registry.py). The ones here compute from what the visitor said: the price of a
number of treatments, whether the documents mention a named concern or body area.
Numbers and wordings come from ``actions.facts``; this module only decides what to say
and in which order (the clinic's own page first, the general guide after it, and an
honest "the documents don't say" where they don't).
"""
from collections.abc import Callable, Iterable, Sequence

from actions import facts as f
from actions import vocabulary

CONSULT = "That is a question for a consultation with the clinic\u2019s practitioner."


def euros(amount: float) -> str:
    return f"{f.CURRENCY.value}{amount:,.0f}" if amount == int(amount) else f"{f.CURRENCY.value}{amount:,.2f}"


def _sentence(text: str) -> str:
    text = text.strip()
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "?", "!", "\u201d")) else ".")


def _join(items: Iterable[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# --- Cost: reasoning over the price facts ------------------------------------------

def package_per_treatment() -> float:
    return f.PACKAGE_PRICE.value / f.PACKAGE_TREATMENTS.value


def package_saving() -> float:
    return f.PRICE_SINGLE.value * f.PACKAGE_TREATMENTS.value - f.PACKAGE_PRICE.value


_COUNT_WORDS = {2: "two", 3: "three", 4: "four"}


def cost(treatments: int | None = None) -> str:
    """The price answer; with a number of treatments, the total and the cheaper option."""
    single, package, size = f.PRICE_SINGLE.value, f.PACKAGE_PRICE.value, f.PACKAGE_TREATMENTS.value
    prices = (
        f"One treatment costs {euros(single)}, or there is a package of {size} for {euros(package)} "
        f"({euros(package_per_treatment())} per treatment)."
    )
    if treatments is None or treatments < 1:
        low, high = f.SESSIONS_RECOMMENDED.value["treatments"]
        return (
            f"{prices} The package saves {euros(package_saving())} compared with {size} single treatments "
            f"({euros(size * single)}). "
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
    packages, extra = divmod(treatments, size)
    # Arithmetic on the two prices, not a price the clinic states: said so. The prices name one
    # package and say nothing of buying two, or of a package with singles: the sum says what
    # that would come to, and the clinic decides.
    mix = " plus ".join(part for part in (
        "the package" if packages == 1 else f"{_COUNT_WORDS.get(packages, str(packages))} packages",
        f"{extra} at the single price" if extra else "") if part)
    caveat = "the two combine" if packages == 1 else "more than one package can be bought" + (
        ", or with singles" if extra else "")
    return (
        f"{head} The clinic\u2019s prices mention one package, {size} treatments for {euros(package)}, "
        f"and nothing for more than {size}. {mix[0].upper()}{mix[1:]} would come to "
        f"{euros(packages * package + extra * single)}, but the prices don\u2019t say whether {caveat}; "
        f"please ask the clinic about pricing for {treatments}."
    )


# --- Answers that depend on what the visitor named -----------------------------------

def conditions(condition: str | None = None) -> str:
    """What it treats; with a visitor's concern, whether the documents mention it."""
    key = vocabulary.condition_key(condition) if condition else None
    clinic_list = _join(f.CLINIC_CONDITIONS[:-1]) + f", and it helps with {f.CLINIC_CONDITIONS[-1]}"
    guide = f.SOURCE_NAMES[f.GUIDE] + (" adds cellulite and a dull complexion, and says some practitioners use it"
                                       " to stimulate hair growth")
    overview = f"The clinic uses it for {clinic_list}. {_sentence(guide)}"
    if key in f.CONDITIONS:
        return f"{_sentence(f.CONDITIONS[key].wording)} {overview}"
    if key:
        return (
            f"The clinic\u2019s information doesn\u2019t mention {key}, so I can\u2019t say whether micro-needling "
            f"helps with it. {CONSULT} {overview}"
        )
    return overview


def body_areas(area: str | None = None) -> str:
    """Where it can be used; with a visitor's area, whether the clinic names it."""
    key = vocabulary.area_key(area) if area else None
    general = _sentence("the clinic says " + f.BODY_AREAS.wording)
    if key in f.BODY_AREAS.value:
        return f"Yes. {general}"
    if key:
        place = key if key.startswith(("around", "under", "near")) else f"the {key}"
        return f"{general} Its page doesn\u2019t mention {place} specifically, so please check with the clinic."
    return general


# --- What the registry's `compute:` names --------------------------------------------

def cost_for(numbers: Sequence[str]) -> str:
    """The cost answer for the first of the visitor's numbers that is a count of treatments
    ("first, what's the price of three?" -> 3)."""
    counts = (vocabulary.parse_number(n) for n in numbers)
    return cost(next((c for c in counts if c is not None), None))


def conditions_for(terms: Sequence[str]) -> str:
    return conditions(terms[0] if terms else None)


def body_areas_for(terms: Sequence[str]) -> str:
    return body_areas(terms[0] if terms else None)


# data/faqs.yml `compute:` name -> function of the visitor's values of the entity it `takes`.
COMPUTED: dict[str, Callable[[Sequence[str]], str]] = {
    "cost": cost_for,
    "conditions": conditions_for,
    "body_areas": body_areas_for,
}
