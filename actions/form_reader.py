"""What a visitor's message to the consultation form says: every detail it carries, a yes or
a no, a correction, a skip, or that the visitor is leaving.

Plain Python, no Rasa: ``read(text, step)`` returns a ``Reading``; the form's validation
action (actions/consultation.py) decides what to do with it. One reading for every message
at every step, so a detail is found wherever it is typed:

* an email address or phone number (leads/details.py's patterns), anywhere;
* a preferred time: a phrase built from days, parts of the day, clock times and "any time",
  "asap"... (``TIME_PHRASE``), with the lead-ins and comments around it left out ("best after 6",
  "evenings are best");
* a concern: a skin concern the vocabulary knows (actions/vocabulary.py, the words the
  spaCy EntityRuler finds), with the body area it is on ("acne scars on my chin"), or what
  follows "about", "re", "concern:";
* a name: after "my name is", "I'm", "this is", "Name:", before "here", or a part of the
  message that can only be a name (``plausible_name``);
* "change my name to John", "my email is actually ...", "the concern should be ...".

Parts of a message that are questions ("does it leave scars?") give no detail: questions are
answered, never stored. What is left once the details are taken is ``rest``: the answer to the
question asked, checked for plausibility by the validation action.
"""
import re
from dataclasses import dataclass, field

from actions import vocabulary
from leads import details

NAME, CONTACT, TIME, CONCERN = "visitor_name", "visitor_contact", "preferred_time", "concern"
DETAIL_SLOTS = (NAME, CONTACT, TIME, CONCERN)

# --- times -------------------------------------------------------------------------------

_DAY = (r"(?:mon|tues?|wednes|thurs?|fri|satur|sun)days?|mon|tues?|weds|thur?s?|fri|sat"
        r"|week ?days?|week-?days?|week ?ends?|week-?ends?|week ?nights?|weekday|weekend")
_PART = (r"mornings?|morn|afternoons?|evenings?|eves|nights?|lunch ?times?|lunch|midday|mid-day|noon|tea ?time"
         r"|after work|after school|before work|first thing|day ?time|during the day|during the week|school hours"
         r"|work hours|office hours|business hours|midweek|mid-week|early doors")
_WHEN = (r"today|tonight|tomorrow|tomorow|tommorow|tmrw|tmr|tomoz|this week|next week|this month|next month"
         r"|the weekend|asap|a\.s\.a\.p\.?|as soon as possible|as soon as you can|any ?time|whenever(?: suits)?"
         r"|any day|no preference|all day|whatever suits|any time that suits")
_CLOCK = (r"(?:between\s+)?\d{1,2}(?:[:.]\d{2})?\s?(?:-|–|to|and|till|until)\s?\d{1,2}(?:[:.]\d{2})?\s?(?:am|pm)?"
          r"(?=\s|$|[,.!;])(?<!\d{3})"
          r"|\d{1,2}(?:[:.]\d{2})?\s?(?:am|pm|a\.m\.?|p\.m\.?|o'?clock|ish)\b|\d{1,2}[:.]\d{2}\b|noon|midnight"
          r"|half (?:past )?\d{1,2}"
          r"|(?:after|aftr|before|around|about|from|at|by|until|till|til|past|between|after about)\s+\d{1,2}"
          r"(?:[:.]\d{2})?(?:\s?(?:am|pm|ish))?(?!\s*(?:sessions?|treatments?|weeks?|days?|months?|years?|times?"
          r"|%|euros?|pounds?|€|\d))")
_ATOM = rf"(?:{_CLOCK}|{_WHEN}|{_PART}|{_DAY})"
_BEFORE = (r"(?:(?:any|every|early|late|mid|this|next|only|not|from|after|aftr|before|around|about|between|on|in the"
           r"|in|at|sometime|some time|by|until|till|later|earlier|weekday|weekend|most|any time|anytime)\s+)*")
_JOIN = r"(?:\s*(?:,|/|&|\+|-)?\s*(?:and|or|to|till|until|til|but not|but|except|not|or maybe|maybe|n)?\s*)"
_AFTER = r"(?:\s+(?:only|onwards|on|or later|or so|at the latest|latest|ish))?"
TIME_PHRASE = re.compile(rf"\b{_BEFORE}{_ATOM}(?:{_JOIN}{_BEFORE}{_ATOM})*{_AFTER}\b", re.I)
# Said about a time but not part of it: "best after 6", "evenings are best".
_TIME_LEAD = re.compile(r"(?:\b(?:(?:the )?best time (?:to (?:call|ring|reach|contact) (?:me )?)?(?:is|would be)"
                        r"|best(?: is)?|ideally|preferably|i'?d prefer|i prefer|prefer|i'?m free|im free|free"
                        r"|available|call me|ring me|contact me|time:?|preferred time:?|when:?)\s*[:,-]?\s*)+$",
                        re.I)
_TIME_TAIL = re.compile(r"^\s*(?:(?:is|are|would be|works?|suits?|usually|generally|probably|always)\s+)*"
                        r"(?:best|better|good|great|ideal|fine|ok|okay|easiest|suit(?:s)? me|work(?:s)? (?:best )?"
                        r"(?:for me)?)(?:\s+for me)?(?:\s+(?:to be honest|tbh|really))?\b", re.I)
# Words that make a reply to "when?" an answer even without a day or an hour.
_LOOSE_TIME = re.compile(r"\b(?:whenever|suits?|flexible|any|no preference|don'?t mind|doesn'?t matter|either"
                         r"|january|february|march|april|may|june|july|august|september|october|november"
                         r"|december|\d{1,2}(?:st|nd|rd|th)|\d{1,2})\b", re.I)

# --- names ---------------------------------------------------------------------------------

_NAME_TOKEN = r"[^\W\d_][^\W\d_'’.\-]*(?:['’.\-][^\W\d_]+)*\.?"
NAME_LEAD = re.compile(r"(?:^|(?<=[\s,.;:!]))(?:my name is|my name's|my names|name's|names|name is|the name is"
                       r"|name\s*:|i am called|i'm called|im called|they call me|people call me|this is|i'm|i am"
                       r"|im|it's|its|it is)\s+", re.I)
_NAME_TAIL = re.compile(r"\s+here$", re.I)
WEAK_NAME_LEAD = re.compile(r"this is|i'm|i am|im|it's|its|it is", re.I)
# Words that are never part of a name: a part of a message holding one is not a name.
NOT_NAME = set("""
a an the and or but if so to of in on at by for from with about into over after before than then as up out
i me my mine myself you your yours we us our they them their he she him her his it its this that these those
is are was were be been being am do does did doing have has had having can could would should shall must might
not no nope nah yes yeah yep yup ok okay sure thanks thank thx ty cheers please pls plz hi hello hey hiya
bye goodbye what where when why how who whom which whose there here just only also too very really actually
don't dont can't cant won't wont i'm i've i'd i'll it's that's what's isn't
morning mornings afternoon afternoons evening evenings night nights today tonight tomorrow weekday weekdays
weekend weekends asap anytime lunchtime week month monday tuesday wednesday thursday friday saturday sunday
mondays tuesdays wednesdays thursdays fridays saturdays sundays stop cancel skip none n/a
""".split())
# Everyday words that can also be names ("Omar Said", "Tom Price"): not a name on their own.
NOT_NAME_LOWER = set("""
want wants need needs like likes love get got give send sent call calling ring phone phoned email emailed
text contact contacted reach book booking booked make help know think see tell ask asked said say fine
number mobile address details detail name time times date appointment appointments consultation consult clinic
team someone somebody anyone anybody something nothing anything everything question questions info information
treatment treatments cost costs price prices pricing hurt pain painful downtime session sessions result results
skin face never mind forget quit exit opening hours open located location noon free available interested
finally thinking looking wondering busy
""".split())
_CONCERN_WORDS = {t for g in vocabulary.CONDITION_TERMS.values() for t in g if " " not in t} | {
    t for t in vocabulary.UNLISTED_CONDITIONS if " " not in t} | {
    t for t in vocabulary.MICRONEEDLING_TERMS if " " not in t}
NOT_NAME |= _CONCERN_WORDS

# --- concerns --------------------------------------------------------------------------------

_CONDITIONS = sorted({t for g in vocabulary.CONDITION_TERMS.values() for t in g} | set(vocabulary.UNLISTED_CONDITIONS),
                     key=len, reverse=True)
_AREAS = sorted({t for g in vocabulary.AREA_TERMS.values() for t in g} | set(vocabulary.UNLISTED_AREAS),
                key=len, reverse=True)
_TREATMENTS = sorted(set(vocabulary.MICRONEEDLING_TERMS), key=len, reverse=True)


def _alternatives(terms: list[str]) -> str:
    return "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in terms)


# "... on my chin", "... around my eyes": the place is part of the concern.
_AREA_TAIL = (rf"(?:\s+(?:on|around|under|near|at|in|across|over|along|by|below|above)\s+"
              rf"(?:(?:my|the|both|his|her)\s+(?:{_alternatives(_AREAS)}|[a-z]+)|{_alternatives(_AREAS)}))")
CONDITION = re.compile(
    rf"\b(?:(?:old|bad|deep|some|my|the|fine|facial)\s+)*(?:{_alternatives(_CONDITIONS)})\b{_AREA_TAIL}?"
    rf"(?:\s+(?:and|&)\s+(?:{_alternatives(_CONDITIONS)})\b{_AREA_TAIL}?)*", re.I)
# "about X", "re X", "Concern: X": X is the concern, whatever it is, up to the end of that part.
CONCERN_LEAD = re.compile(r"(?:^|(?<=[\s,.;:!]))(?:concern\s*:|about\s*:|topic\s*:|re\s*:|regarding\s*:?|re|about"
                          r"|concerning)\s+(?:my\s+|the\s+)?", re.I)
_CONCERN_FILLER_LEAD = re.compile(
    r"^(?:(?:no|nope|nah|not that|not really|yes|yeah|ok|okay|so|well|actually|sorry|um|erm|hmm|hi)\b[\s,.!-]*)*"
    r"(?:(?:it'?s|its|it is|that'?s|thats|the concern is|my concern is|concern is|concern:|mainly|mostly|more"
    r"|really|just|i want to discuss|i'?d like to discuss|i want to talk about|i'?d like to talk about"
    r"|i want to ask about|i'?m interested in|im interested in|interested in|i have|i'?ve got|ive got|i got"
    r"|discuss|talk about|about|regarding|re|for|with|to do with|it'?s to do with|its to do with)\b[\s,:-]*)*"
    r"(?:(?:my|the|some|a few|a bit of)\s+)?", re.I)
_CONCERN_FILLER_TAIL = re.compile(r"(?:[\s,.!-]*\b(?:actually|instead|please|pls|thanks|thank you|really|really"
                                  r"|mostly|mainly|tbh|lol|i think|though)\b)+[\s.!]*$", re.I)

# --- yes, no, skip, leaving, corrections -------------------------------------------------------

_YES = (r"yes|yeah|yea|ya|yep|yup|yess+|sure|ok|okay|k|kk|i agree|agree|agreed|i do|go ahead|go for it|please do"
        r"|do it|send|send it|send it off|send it now|send now|submit|looks good|looks great|looks fine|all good"
        r"|perfect|correct|that'?s right|thats right|that is right|that'?s correct|thats correct|that'?s it|thats it"
        r"|that'?s fine|thats fine|right|fine|grand|great|absolutely|of course|definitely|certainly|lovely|good"
        r"|👍|then|please|pls|thanks|thank you|ta|cheers|that'?s all correct|all correct|yes please")
_NO = (r"no|nope|nah|no thanks|no thank you|not really|i don'?t agree|i do not agree|don'?t|i don'?t|do not"
       r"|rather not|i'?d rather not|no way|not now|not yet|negative")
YES = re.compile(rf"^(?:(?:{_YES})\b[\s,.!:)-]*)+$", re.I)
NO = re.compile(rf"^(?:{_NO})\b", re.I)
SKIP = re.compile(r"^(?:skip(?: it| this| that| this question)?|none|nothing|n/?a|pass|no|nope|nah|no thanks"
                  r"|no thank you|not really|no concern|nothing in particular|nothing specific)$", re.I)
LEAVING = re.compile(
    r"^(?:(?:ok|okay|actually|oh|um|no|nah|sorry|thanks|thank you|cheers)\b[\s,.!]*)*"
    r"(?:stop|cancel|cancel it|cancel that|cancel the request|never ?mind|forget it|forget about it|forget this"
    r"|leave it|don'?t bother|quit|exit|abort|scrap that|i'?ve changed my mind|i changed my mind|changed my mind"
    r"|not interested|i'?m not interested|no thanks|no thank you|bye|bye bye|goodbye|good bye|see ya|see you|cya"
    r"|gotta go|got to go|i have to go|i'?m off|that'?s all|i don'?t want to (?:do this|give my details|be contacted)"
    r"|i'?d rather not give my details|i don'?t want to give (?:you )?my (?:details|number|email|name)"
    r"|don'?t contact me|don'?t send (?:it|anything)|maybe later|not now|not today|another time"
    r"|i'?ll think about it|i'?ll leave it|i'?ll come back|i'?ll call (?:them|you|the clinic) myself|no need"
    r"|no,? (?:i'?m|im) (?:ok|okay|good|fine|grand)|i'?m (?:ok|okay|good|fine|grand),? thanks)\b.*$", re.I)
# A bare "no" to a detail question ("What's your name?" - "no") is a refusal.
BARE_NO = re.compile(rf"^(?:{_NO})[\s.!]*$", re.I)
GOODBYE = re.compile(r"\b(?:bye|goodbye|good bye|see ya|see you|cya|gotta go|got to go|i have to go|i'?m off)\b", re.I)
# "change my name to John", "my email is actually ...", "make the time mornings instead".
_FIELD = (r"name|e-?mail(?: address)?|phone(?: number)?|number|mobile(?: number)?|contact(?: details)?"
          r"|(?:preferred )?time|day|concern|topic|reason|treatment")
CHANGE_TO = re.compile(rf"\b(?:change|update|switch|set|correct|fix|put)\s+(?:my|the)?\s*(?P<field>{_FIELD})"
                       rf"\s+(?:to|as|into|=|:)\s+(?P<value>.+)$", re.I)
SHOULD_BE = re.compile(rf"\b(?:my|the)\s+(?P<field>{_FIELD})\s+(?:should be|should say|should read|is actually"
                       rf"|'s actually|is now|needs to be|actually is)\s+(?P<value>.+)$", re.I)
MAKE_IT = re.compile(rf"\bmake\s+(?:it|the\s+(?P<field>{_FIELD}))\s+(?P<value>.+)$", re.I)
CHANGE = re.compile(rf"\b(?:change|update|edit|correct|fix|wrong|redo|re-?enter|typo in|mistake in)\b", re.I)

# --- parts of a message ----------------------------------------------------------------------

SPLIT = re.compile(r"\s*(?:[,;!?]+|\.(?:\s+|$)|\s[-–—]+\s|[–—]|\n|\band\b|\bbut\b)\s*", re.I)
QUESTION_START = re.compile(r"^(?:what|where|when|how|why|who|which|whats|what's|wheres|where's|hows|how's|is|are"
                            r"|does|do|did|can|could|will|would|should|am i|have you|has|may i)\b", re.I)
# "can someone call me" has a question's shape but asks to be contacted: its details count.
CONTACT_REQUEST = re.compile(r"\b(?:call|ring|phone|contact|email|e-mail|text|reach|get back to|get in touch with)"
                             r"\b(?:\s+\w+)?\s+(?:me|us)\b", re.I)
_EDGE_FILLERS = re.compile(
    r"^(?:(?:hi|hello|hey|hiya|ok|okay|so|well|um|erm|yeah|yes|yep|sure|right|great|cool|oh|ah|sorry|actually"
    r"|please|pls|plz|thanks|thank you|cheers|and|also|too|or|lol|haha|then|just|great)\b[\s,.!:-]*)+", re.I)
_EDGE_FILLERS_END = re.compile(
    r"(?:[\s,.!:-]*\b(?:please|pls|plz|thanks|thank you|cheers|too|also|lol|haha|then|and|or|on|at|is|are)\b)+"
    r"[\s,.!:-]*$", re.I)
# Said just before an email address or phone number ("you can reach me at", "my mobile is",
# "or on") and just after it ("too"): taken out with it.
_CONTACT_LEAD = re.compile(
    r"(?:\b(?:(?:you|u) can )?(?:reach|contact|call|ring|text|phone|email|e-mail|get|message) (?:me|us)(?: back)?"
    r"(?: (?:at|on|via|by))?|\b(?:(?:my|the|me|an?) )?(?:e-?mail(?: address)?|mobile(?: number| no\.?)?"
    r"|phone(?: number| no\.?)?|number|no\.|tel|cell|contact|whatsapp)(?: (?:is|'s|would be))?(?: actually)?"
    r"|\b(?:or|and|at|on|via|by|its|it's|it is)(?: on| at)?)\s*[:\-]?\s*$", re.I)
_CONTACT_TAIL = re.compile(r"^\s*(?:too|also|as well|instead)\b", re.I)


@dataclass
class Reading:
    """What one message says, for the form."""
    text: str
    found: dict[str, str] = field(default_factory=dict)  # slot -> value, wherever it was typed
    email: str | None = None
    phone: str | None = None
    corrected: set[str] = field(default_factory=set)  # slots the visitor explicitly corrected
    change: str | None = None  # "change my email" without the new value: the slot to ask again
    rest: str = ""             # what is left: the answer to the question asked, if anything
    question: bool = False     # a part of the message is a question
    yes: bool = False
    no: bool = False
    skip: bool = False
    leaving: bool = False
    goodbye: bool = False

    @property
    def has_details(self) -> bool:
        return bool(self.found or self.email or self.phone)


def combined(earlier: Reading, later: Reading) -> Reading:
    """Two messages read as one: the later one's details win."""
    later.found = {**earlier.found, **later.found}
    later.email = later.email or earlier.email
    later.phone = later.phone or earlier.phone
    return later


def squeeze(text: str) -> str:
    return " ".join(str(text or "").split())


def clean_edges(text: str) -> str:
    """A part of a message without the fillers around it ("ok so, ", " please!!")."""
    text = squeeze(text).strip(" ,.;:!?-–—\"'()")
    for _ in range(3):
        text = _EDGE_FILLERS.sub("", text)
        text = _EDGE_FILLERS_END.sub("", text).strip(" ,.;:!?-–—\"'()")
    return text


def is_question(part: str) -> bool:
    part = squeeze(part)
    if CONTACT_REQUEST.search(part):
        return False
    return part.endswith("?") or bool(QUESTION_START.match(_EDGE_FILLERS.sub("", part)))


def plausible_name(text: str) -> bool:
    """Whether ``text`` can be a person's name: one to five words of letters, none of them a
    word that names never hold ("evenings", "where", "acne"), and no everyday word in lower
    case among capitalised ones ("Omar Said" is a name, "Omar said" is not)."""
    text = squeeze(text)
    if not text or len(text) > details.MAX_NAME or "?" in text:
        return False
    words = text.split()
    if not 1 <= len(words) <= 5 or not all(re.fullmatch(_NAME_TOKEN, w) for w in words):
        return False
    lowered = [w.lower().strip(".") for w in words]
    if any(w in NOT_NAME for w in lowered):
        return False
    if all(w in NOT_NAME_LOWER for w in lowered):
        return False
    return not TIME_PHRASE.search(text)


def looks_like_time(text: str) -> bool:
    """Whether ``text`` says when: a day, a part of the day, an hour, "any time"..."""
    return bool(TIME_PHRASE.search(text) or _LOOSE_TIME.search(text))


def time_value(text: str) -> str:
    """A reply to "when?" as the visitor put it, without the lead-in and the comment
    ("I'd prefer mondays" -> "mondays", "evenings are usually best for me" -> "evenings")."""
    value = clean_edges(text)
    match = TIME_PHRASE.search(value)
    if match:
        lead = _TIME_LEAD.search(value[:match.start()])
        if lead:
            value = value[:lead.start()] + value[match.start():]
        match = TIME_PHRASE.search(value)
        tail = _TIME_TAIL.match(value[match.end():]) if match else None
        if match and tail:
            value = value[:match.end()] + value[match.end() + tail.end():]
    value = re.sub(r"^(?:i'?d prefer|i prefer|prefer|ideally|preferably|best(?: is)?|the best time is|usually)\s+",
                   "", value, flags=re.I)
    value = re.sub(r"(?:\s+(?:instead|actually|ideally|preferably|if possible|please|pls|thanks))+$", "", value,
                   flags=re.I)
    return clean_edges(value)


def concern_value(text: str) -> str:
    """A reply to "what is it about?" as the visitor put it, without "it's about my"."""
    value = clean_edges(text)
    value = _CONCERN_FILLER_LEAD.sub("", value)
    value = _CONCERN_FILLER_TAIL.sub("", value)
    return value.strip(" ,.;:!?-–—\"'()")


def _contact_in(text: str) -> tuple[str | None, str | None, str]:
    """The email address and phone number in ``text``, and the text without them (and
    without the words that introduce them)."""
    email = phone = None
    for word in text.split():
        candidate = word.strip(details.SURROUNDING)
        if "@" in candidate and details.EMAIL.fullmatch(candidate) and len(candidate) <= details.MAX_EMAIL:
            email = candidate
            start = text.index(candidate)
            text = _cut(text, start, start + len(candidate))
            break
    for match in sorted(details.PHONE.finditer(text), key=lambda m: -len(m.group())):
        number = match.group().strip()
        if details.PHONE_DIGITS[0] <= len(re.findall(r"\d", number)) <= details.PHONE_DIGITS[1]:
            phone = number
            text = _cut(text, match.start(), match.end())
            break
    return email, phone, text


def _cut(text: str, start: int, end: int) -> str:
    """``text`` without [start:end] and the lead-in and tail around it; a comma in its place."""
    before, after = text[:start], text[end:]
    for _ in range(3):
        lead = _CONTACT_LEAD.search(before)
        if not lead or lead.start() == len(before):
            break
        before = before[:lead.start()]
    tail = _CONTACT_TAIL.match(after)
    if tail:
        after = after[tail.end():]
    return f"{before} , {after}"


def _detail_of(field_word: str) -> str:
    word = field_word.lower()
    if word.startswith(("name",)):
        return NAME
    if any(word.startswith(w) for w in ("e-mail", "email", "phone", "number", "mobile", "contact")):
        return CONTACT
    if word.endswith("time") or word == "day":
        return TIME
    return CONCERN


def read(text: str, step: str | None = None, name_known: bool = False) -> Reading:
    """Everything ``text`` says, typed at the form's ``step`` (the slot asked for; None when
    the form starts). ``name_known``: a bare name elsewhere than at the name step is only taken
    when the form has none yet."""
    text = squeeze(text)
    reading = Reading(text)
    if not text or text.startswith("/"):
        return reading
    plain = text.strip(" .!")
    refusal = step in (NAME, CONTACT, TIME, "request_confirmed") and BARE_NO.match(plain)
    if (LEAVING.match(plain) or refusal) and not (step == CONCERN and SKIP.match(clean_edges(plain) or plain)):
        reading.leaving, reading.goodbye = True, bool(GOODBYE.search(plain))
        if step in ("storage_consent",) and NO.match(plain):
            reading.leaving, reading.no = False, True
        return reading
    reading.email, reading.phone, remaining = _contact_in(text)
    if _read_correction(reading, remaining):
        return reading
    if step == CONCERN:
        _read_concern_answer(reading, remaining)
        return reading
    if step == TIME:
        _read_time_answer(reading, remaining, name_known)
        return reading
    _read_parts(reading, remaining, step, name_known)
    return reading


def _read_correction(reading: Reading, text: str) -> bool:
    """ "change my name to John", "the concern should be wrinkles", "make the time mornings"."""
    for pattern in (CHANGE_TO, MAKE_IT, SHOULD_BE):
        match = pattern.search(text)
        if not match:
            continue
        field_word = match.group("field") or ""
        slot = _detail_of(field_word) if field_word else TIME
        value = match.group("value")
        if slot == CONTACT:
            if reading.email or reading.phone:
                reading.corrected.add(CONTACT)
                return True
            continue
        if slot == NAME:
            name = clean_edges(_NAME_TAIL.sub("", value))
            if plausible_name(name):
                reading.found[NAME] = name
                reading.corrected.add(NAME)
                return True
            continue
        if slot == TIME:
            if not field_word and not looks_like_time(value):
                continue
            reading.found[TIME] = time_value(value)
        else:
            reading.found[CONCERN] = concern_value(value)
        reading.corrected.add(slot)
        return bool(reading.found.get(slot))
    if reading.email or reading.phone:
        if re.search(r"\b(?:actually|sorry|wrong|instead|correct|change|new)\b", text, re.I):
            reading.corrected.add(CONTACT)
        return False
    match = CHANGE.search(text)
    if match:
        words = re.findall(r"[a-z]+(?:-[a-z]+)*", text.lower())
        for word in words:
            for slot, candidates in WHICH_WORDS.items():
                if word in candidates or word.rstrip("s") in candidates:
                    reading.change = slot
                    return True
    return False


# "change my email": which detail the visitor means, by the words they use.
WHICH_WORDS = {
    NAME: ["name", "spelled", "spelt"],
    CONTACT: ["email", "e-mail", "mail", "phone", "number", "mobile", "contact", "address"],
    TIME: ["time", "when", "day", "morning", "afternoon", "evening"],
    CONCERN: ["concern", "treatment", "about", "topic", "reason"],
}


def _read_concern_answer(reading: Reading, text: str) -> None:
    """At "what is it about?": a yes or no to the proposal, a skip, or the concern itself
    (a time typed here is a time: "after 7pm" is no concern)."""
    plain = clean_edges(text) if not (reading.email or reading.phone) else text
    if YES.match(text.strip()):
        reading.yes = True
        return
    if SKIP.match(text.strip(" .!")) or SKIP.match(plain):
        reading.skip = reading.no = True
        return
    if is_question(text) and not re.match(r"^(?:no|nope|nah)\b", text, re.I):
        reading.question = True
        return
    time = TIME_PHRASE.search(text)
    if time and not CONDITION.search(text):
        reading.found[TIME] = time_value(text[_lead_start(text, time.start()):])
        return
    value = concern_value(text)
    if value and not (reading.email or reading.phone and not CONDITION.search(value)):
        reading.rest = value
    if re.match(r"^(?:no|nope|nah)\b", text.strip(), re.I) and not value:
        reading.skip = reading.no = True


def _read_time_answer(reading: Reading, text: str, name_known: bool) -> None:
    """At "when?": the whole reply is the time, once other details are taken out."""
    parts = [p for p in SPLIT.split(text) if p and p.strip()]
    kept = []
    for part in parts:
        if is_question(part):
            reading.question = True
            continue
        condition = CONDITION.search(part)
        if condition and not TIME_PHRASE.search(part):
            reading.found[CONCERN] = concern_value(condition.group())
            continue
        name = NAME_LEAD.match(part.strip())
        if name and plausible_name(clean_edges(part[name.end():])) and not TIME_PHRASE.search(part):
            reading.found[NAME] = clean_edges(part.strip()[name.end():])
            continue
        kept.append(part)
    answer = " ".join(kept) if len(kept) > 1 and all(TIME_PHRASE.search(k) or _LOOSE_TIME.search(k) for k in kept) else None
    if answer is None:
        timed = [k for k in kept if TIME_PHRASE.search(k) or _LOOSE_TIME.search(k)]
        answer = ", ".join(timed) if timed else " ".join(kept)
    value = time_value(answer)
    if YES.match(value) or NO.match(value):
        reading.yes, reading.no = bool(YES.match(value)), bool(NO.match(value))
        return
    reading.rest = value


def _lead_start(text: str, start: int) -> int:
    lead = _TIME_LEAD.search(text[:start])
    return lead.start() if lead else start


def _read_parts(reading: Reading, text: str, step: str | None, name_known: bool) -> None:
    """Any other step, or the form's first message: each part of the message in turn."""
    labelled = re.findall(r"\b(name|time|when|concern|about)\s*:\s*([^.;\n]+)", text, re.I)
    for label, value in labelled:
        slot = {"name": NAME, "time": TIME, "when": TIME}.get(label.lower(), CONCERN)
        value = clean_edges(value)
        if slot == NAME and plausible_name(value):
            reading.found[NAME] = value
        elif slot == TIME and looks_like_time(value):
            reading.found[TIME] = time_value(value)
        elif slot == CONCERN and value:
            reading.found[CONCERN] = concern_value(value)
        text = text.replace(f"{label}:", " ").replace(value, " , ") if slot in reading.found else text
    leftovers = []
    for part in SPLIT.split(text):
        if not part or not part.strip():
            continue
        if is_question(part):
            reading.question = True
            continue
        part = _take_concern(reading, part)
        part = _take_time(reading, part)
        part = _take_name(reading, part, step, name_known)
        if clean_edges(part):
            leftovers.append(clean_edges(part))
    reading.rest = " ".join(leftovers)
    if step in ("storage_consent", "request_confirmed", None) or step == NAME:
        plain = reading.text.strip()
        if not reading.has_details:
            reading.yes = bool(YES.match(plain))
            reading.no = bool(NO.match(plain)) and not reading.yes


def _take_concern(reading: Reading, part: str) -> str:
    if CONCERN in reading.found:
        return part
    lead = CONCERN_LEAD.search(part)
    if lead:
        value = concern_value(part[lead.end():])
        time = TIME_PHRASE.search(value)
        if time and not CONDITION.search(value[:time.start()] or "x"):
            value = value[:time.start()].strip(" ,")
        if value and not plausible_name(value) or value and CONDITION.search(value):
            reading.found[CONCERN] = value
            return part[:lead.start()]
    condition = CONDITION.search(part)
    if condition:
        reading.found[CONCERN] = concern_value(condition.group())
        return part[:condition.start()] + " " + part[condition.end():]
    return part


def _take_time(reading: Reading, part: str) -> str:
    if TIME in reading.found:
        return part
    match = TIME_PHRASE.search(part)
    if not match:
        return part
    start = _lead_start(part, match.start())
    end = match.end()
    tail = _TIME_TAIL.match(part[end:])
    if tail:
        end += tail.end()
    reading.found[TIME] = time_value(part[match.start():match.end()])
    return part[:start] + " " + part[end:]


def _take_name(reading: Reading, part: str, step: str | None, name_known: bool) -> str:
    """A name introduced as one ("my name is", "I'm", "this is", "... here"), or, at the name
    step or before the form has a name, a part of the message that can only be a name."""
    if NAME in reading.found:
        return part
    stripped = part.strip(" ,.;:!-–—")
    # Where the visitor writes with capitals, a name after "I'm" has them too ("I'm finally
    # thinking of..." is no name); in an all lower-case message anything goes.
    capitals = reading.text != reading.text.lower()
    for lead in NAME_LEAD.finditer(stripped):
        strong = not WEAK_NAME_LEAD.fullmatch(lead.group().strip())
        words = clean_edges(_NAME_TAIL.sub("", stripped[lead.end():])).split()
        for size in range(min(5, len(words)), 0, -1):
            candidate = " ".join(words[:size])
            if plausible_name(candidate) and (strong or not capitals or candidate[:1].isupper()):
                reading.found[NAME] = candidate
                return stripped[:lead.start()] + " " + " ".join(words[size:])
    candidate = clean_edges(_NAME_TAIL.sub("", clean_edges(stripped)))
    if not candidate or not plausible_name(candidate) or (step != NAME and name_known):
        return part
    named_here = bool(_NAME_TAIL.search(stripped))
    if step == NAME or named_here or (step is None or not name_known) and (
            reading.has_details and (not capitals or candidate[:1].isupper())):
        reading.found[NAME] = candidate
        return ""
    return part
