"""What a visitor's message to the consultation form says: every detail it carries, a yes or
a no, a correction, a skip, or that the visitor is leaving.

Plain Python, no Rasa: ``read(text, step)`` returns a ``Reading``; the form's validation
action (actions/consultation.py) decides what to do with it. One reading for every message
at every step, so a detail is found wherever it is typed: an email address or phone number
anywhere (leads/details.py's patterns), a time, a concern or a name (actions/detail_patterns.py).
At the question asked, the reply is read as its answer first ("whenever suits" at "when?"); in
the request itself or at another question, each part of the message is read for what it is.

Parts of a message that are questions ("does it leave scars?") give no detail: questions are
answered, never stored. What is left once the details are taken is ``rest``: the answer to the
question asked, checked for plausibility by the validation action.
"""
import re
import unicodedata
from dataclasses import dataclass, field

from actions.detail_patterns import (
    BARE_NO,
    CALL_ME,
    CHANGE,
    CHANGE_REQUEST,
    CHANGE_TO,
    CONCERN,
    CONCERN_LEAD,
    CONDITION,
    CONFIRMED,
    CONSENT,
    CONTACT,
    CONTACT_LEAD,
    CONTACT_REQUEST,
    CONTACT_TAIL,
    DECLINED,
    FIRST_NAME_PARTS,
    GOODBYE,
    JOINED,
    LEAVING,
    MAKE_IT,
    NAME,
    NAME_LEAD,
    NAME_PART,
    NAME_PART_AFTER,
    NAME_TAIL,
    NO,
    NOPE,
    NOT_A_CONCERN,
    NOT_NAME,
    QUESTION_START,
    REPLACED,
    SHOULD_BE,
    SKIP,
    SPLIT,
    TIME,
    TIME_LEAD,
    TIME_PHRASE,
    TIME_REJECTED_AFTER,
    TIME_REJECTED_BEFORE,
    TIME_TAIL,
    WEAK_NAME_LEAD,
    WHICH_WORDS,
    clean_edges,
    concern_value,
    is_question,
    is_yes,
    looks_like_time,
    plausible_name,
    squeeze,
    time_value,
)
from leads import details


@dataclass
class Reading:
    """What one message says, for the form."""
    text: str
    found: dict[str, str] = field(default_factory=dict)  # slot -> value, wherever it was typed
    email: str | None = None
    phone: str | None = None
    change: str | None = None  # "change my email" without the new value: the slot to ask again
    rest: str = ""             # what is left: the answer to the question asked, if anything
    question: bool = False     # a part of the message is a question
    yes: bool = False
    no: bool = False
    skip: bool = False
    leaving: bool = False
    goodbye: bool = False
    rejected_time: bool = False  # a time said not to suit ("mornings are no good now")
    replaced: tuple[str, str] | None = None  # "Byrne not Burn": ("Burn", "Byrne"), for the form to apply
    joined_by: str | None = None  # "or Saturday mornings": the word that adds it to the detail given

    @property
    def has_details(self) -> bool:
        return bool(self.found or self.email or self.phone)


def combined(earlier: Reading, later: Reading) -> Reading:
    """Two messages read as one: the later one's details win."""
    later.found = {**earlier.found, **later.found}
    later.email = later.email or earlier.email
    later.phone = later.phone or earlier.phone
    return later


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
    numbers = [m for m in details.PHONE.finditer(text)
               if details.PHONE_DIGITS[0] <= len(re.findall(r"\d", m.group())) <= details.PHONE_DIGITS[1]]
    if len(numbers) >= 2 and _SELF_CORRECTED.fullmatch(text[numbers[0].end():numbers[-1].start()]):
        # "087 111 2223 no wait 087 111 2232 sorry, new phone": the last number given.
        last = numbers[-1]
        return email, last.group().strip(), _cut(_cut(text, last.start(), last.end()),
                                                 numbers[0].start(), numbers[0].end())
    for match in sorted(numbers, key=lambda m: -len(m.group())):
        return email, match.group().strip(), _cut(text, match.start(), match.end())
    return email, phone, text


# Only words that take back what was just typed, between two numbers: "087 111 2223 no wait 087 111
# 2232"; "mob no. 087 …, home no. 01 …" and "087 … or if no answer 01 …" give two.
_SELF_CORRECTED = re.compile(r"[\s,;:!-]*(?:(?:no|wait|sorry|i mean|i meant|actually|correction|scratch that|oops"
                             r"|my bad|lol|that'?s wrong|thats wrong|wrong|that'?s not right|thats not right"
                             r"|not that one)"
                             r"[\s,;:!-]*)+", re.I)


def _cut(text: str, start: int, end: int) -> str:
    """``text`` without [start:end] and the lead-in and tail around it; a comma in its place."""
    before, after = text[:start], text[end:]
    for _ in range(3):
        lead = CONTACT_LEAD.search(before)
        if not lead or lead.start() == len(before):
            break
        before = before[:lead.start()]
    tail = CONTACT_TAIL.match(after)
    if tail:
        after = after[tail.end():]
    return f"{before} , {after}"


def _lines_joined(text: str) -> str:
    """A message typed over several lines, as one: the lines of a form ("Name: …" / "Phone: …", or
    three lines or more) divide as a semicolon does; "Ann" / "Byrne" or "087 123" / "4567" is one."""
    lines = [line for line in text.splitlines() if line.strip()]
    fields = len(lines) >= 3 or any(re.match(r"^\s*[A-Za-z][A-Za-z ]{0,20}:\s*\S", line) for line in lines)
    return (" ; " if fields else " ").join(lines)


def read(text: str, step: str | None = None, known_name: str | None = None) -> Reading:
    """Everything ``text`` says, typed at the form's ``step`` (the slot asked for; None when
    the form starts). ``known_name``: the name the form has; elsewhere than at the name step, a
    bare name is only taken when the form has none yet, or as a fuller form of it ("sarah" -
    "sarah murphy")."""
    text = squeeze(_lines_joined(str(text or "").strip()))
    reading = Reading(text)
    if not text or text.startswith("/"):
        return reading
    plain = text.strip(" .!")
    refusal = step in (NAME, CONTACT, TIME, CONFIRMED) and BARE_NO.match(plain)
    if (LEAVING.match(plain) or refusal) and not (step == CONCERN and SKIP.match(clean_edges(plain) or plain)):
        reading.leaving, reading.goodbye = True, bool(GOODBYE.search(plain))
        if step == CONSENT and NO.match(plain):  # "no thanks" to consent: declined
            reading.leaving, reading.no = False, True
        return reading
    reading.email, reading.phone, remaining = _contact_in(text)
    # "the email is m.delaney@outlook.com not .ie": the new detail is given whole; nothing to respell.
    reading.replaced = None if reading.email or reading.phone else _replacement(remaining)
    joined = JOINED.match(text)
    # "and make it mornings", "also change the time to 6": a correction replaces, it adds nothing.
    correcting = CHANGE.search(text) or CHANGE_REQUEST.search(text) or re.search(r"\b(?:instead|rather)\b", text, re.I)
    reading.joined_by = joined.group(1).lower() if joined and not correcting else None
    name = _name_from_parts(remaining, known_name)
    if name:  # "my surname is spelt Byrne": the name the form has, with that part changed
        reading.found[NAME] = name
        return reading
    if _read_correction(reading, remaining):
        reading.joined_by = None
        _respell_name(reading, step, known_name)
        return reading
    if step == CONCERN:
        _read_concern_answer(reading, remaining, known_name)
        return reading
    if step == TIME:
        _read_time_answer(reading, remaining, known_name)
        return reading
    _read_parts(reading, remaining, step, known_name)
    _respell_name(reading, step, known_name)
    if reading.rejected_time and TIME not in reading.found and step is not None and not reading.change:
        reading.change = TIME  # "mornings are no good now", and no other time: asked again
    return reading


def _replacement(text: str) -> tuple[str, str] | None:
    """ "sorry, Byrne not Burn", "it ends 1243 not 1234": the words replaced and the words
    replacing them (as many words as are replaced)."""
    match = REPLACED.match(text.strip())
    if not match:
        return None
    old = clean_edges(match.group("old")).split()
    before = match.group("before").strip(" ,.;:!-").split()
    if not 1 <= len(old) <= 3 or len(before) < len(old):
        return None
    new = before[-len(old):]
    said = TIME_PHRASE.search(match.group("before"))
    if said and looks_like_time(" ".join(old)) and said.end() >= len(match.group("before").rstrip(" ,.;:!-")):
        return " ".join(old), said.group()  # "after 6pm not 10am": "after 6pm"
    return " ".join(old), " ".join(new)


def _name_from_parts(text: str, known_name: str | None) -> str | None:
    """The name, from "first name Ann, surname Lee" or "my surname is spelt Byrne" (the name
    the form has, with that part replaced)."""
    first = last = None
    for match in [*NAME_PART.finditer(text), *NAME_PART_AFTER.finditer(text)]:
        words = []
        for word in match.group("value").split():
            if word.lower().strip(".,;!") in NOT_NAME or word.lower().strip(".,;!") in ("sorry", "tho", "though"):
                break  # "my surname is spelt Keogh sorry, the email's right"
            words.append(word.rstrip(",;!"))
            if word[-1:] in ",;!":
                break
        if not words or not plausible_name(" ".join(words)):
            continue
        if match.group("part").lower() in FIRST_NAME_PARTS:
            first = " ".join(words)
        else:
            last = " ".join(words)
    if not first and not last:
        return None
    known = (known_name or "").split()
    if first:
        known = [first] + known[1:]
    if last:
        known = known[:1] + [last] if known else [last]
    return " ".join(known)


def _folded(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def _respell_name(reading: Reading, step: str | None, known_name: str | None) -> None:
    """A single word given for a fuller name the form has, spelt like one of its words
    ("my name is spelt Siobhán with a fada" for Siobhan Kelly): that word respelt."""
    name = reading.found.get(NAME)
    known = (known_name or "").split()
    if step == NAME or not name or " " in name or len(known) < 2:
        return
    if re.sub(r"\W", "", _folded(name)) == re.sub(r"\W", "", _folded("".join(known[:2]))):
        reading.found[NAME] = " ".join([name] + known[2:])  # "Mary-Rose" for Mary Rose Keogh
        return
    for i, word in enumerate(known):
        if word != name and _similar(_folded(word), _folded(name)):
            reading.found[NAME] = " ".join(known[:i] + [name] + known[i + 1:])
            return
    if _FIRST_NAME_CORRECTED.search(reading.text):
        # "no its Siobhan with a bh", "put my name as Caoimhín, the Irish version": the first name.
        reading.found[NAME] = " ".join([name] + known[1:])


# Said of a first name: "put my name as Caoimhín", "no its Siobhan with a bh" (a note on the spelling;
# "no its Walsh" may be the surname, and is left to the form to ask).
_FIRST_NAME_CORRECTED = re.compile(r"\bput my name (?:down )?as\b|^\W*(?:no|sorry|actually|oops|wait)?\W*(?:its|it's"
                                   r"|it is)\b.*\b(?:with (?:a|an|the) \w+|spelt|spelled|spelling|version)\b", re.I)


def _similar(a: str, b: str) -> bool:
    from difflib import SequenceMatcher

    return a == b or SequenceMatcher(None, a, b).ratio() >= 0.6


def _read_correction(reading: Reading, text: str) -> bool:
    """ "change my name to John", "the concern should be wrinkles", "make the time mornings",
    "change my email" (no new value: that detail is asked again). True when the message is
    a correction and nothing more is to be read from it."""
    for pattern in (CHANGE_TO, MAKE_IT, SHOULD_BE):
        match = pattern.search(text)
        if not match:
            continue
        groups = match.groupdict()
        field_word = groups.get("field") or groups.get("topic") or ""
        value = groups.get("value") or groups.get("topic_value") or ""
        first, _, more = value.partition(", and ")
        if more and _kind(first) != _kind(more):  # "make that afternoons, and its acne scarring on my chest"
            value = first
            _read_parts(reading, more, None, None)
        # "make it evenings", "change it to stretch marks": the detail the value is.
        slot = detail_named(field_word) if field_word else CONCERN if CONDITION.search(value) else TIME
        if slot == CONTACT:  # the new email or number is already read
            if reading.email or reading.phone:
                return True
        elif slot == NAME:
            name = clean_edges(NAME_TAIL.sub("", value))
            if plausible_name(name):
                reading.found[NAME] = name
                return True
        elif slot == TIME and (field_word or looks_like_time(value)):
            reading.found[TIME] = time_value(value)
            return bool(reading.found[TIME])
        elif slot == CONCERN:
            first = re.split(r"\s*[,;]\s*", value)[0]  # "stretch marks, the acne scars have faded"
            reading.found[CONCERN] = concern_value(first if CONDITION.search(first) else value)
            return bool(reading.found[CONCERN])
    # ("if i change my mind can i get them deleted?", "if my number changes can I update it later?"
    # ask about the future: no detail changes now.)
    if reading.email or reading.phone or _LATER.search(text) or not CHANGE.search(
            re.sub(r"\bchang\w* (?:my|your|her|his|their) minds?\b", " ", text, flags=re.I)):
        return False
    for word in re.findall(r"[a-z]+(?:-[a-z]+)*", text.lower()):
        for slot, candidates in WHICH_WORDS.items():
            if word in candidates or word.rstrip("s") in candidates:
                if slot == NAME:
                    # "sorry spelled it wrong, Sinéad Kelly": the name, in a part of its own.
                    given = next((p for p in (clean_edges(part) for part, _ in _parts(text))
                                  if plausible_name(p) and not CHANGE.search(p)
                                  and not set(p.lower().split()) & set(WHICH_WORDS[NAME])), None)
                    if given:
                        reading.found[NAME] = given
                        return True
                reading.change = slot
                return True
    return False


# A question about a change some day: "if my number changes can I update it later?"
_LATER = re.compile(r"\bif (?:my|the|i|it|they)\b[^?]*\b(?:change|changes|changed|move|moves|moved)\b"
                    r"|\b(?:later on|in future|in the future)\b", re.I)


def _kind(text: str) -> str | None:
    return CONCERN if CONDITION.search(text) else TIME if looks_like_time(text) else None


def _said_again(again: str, name: str, capitals: bool) -> bool:
    """Whether ``again`` is ``name`` said more fully, not a clause about someone ("Tom. Tom Kelly's
    son", "ciara. ciara kelly recommended u"): a word or two more, no possessive, and capitalised
    where the visitor writes with capitals."""
    added = again.split()[len(name.split()):]
    return 1 <= len(added) <= 2 and "'s" not in again.lower() and "’s" not in again.lower() \
        and (not capitals or all(word[:1].isupper() for word in added))


def fuller_name(candidate: str, known: str) -> bool:
    """Whether ``candidate`` is the name the form has, given more fully ("Ruth" - "Ruth Kinsella")."""
    first = known.split()[0].lower() if known.split() else ""
    return candidate.lower() != known.lower() and candidate.lower().split()[0] == first and len(candidate) > len(known)


# Words of a respelling: "sorry I mean Kieran O'Reilly", "spelt", "typo".
_RESPELLING = re.compile(r"\b(?:sorry|i mean|i meant|actually|spelt|spelled|spelling|typo|correction|oops)\b", re.I)


def respelt_name(candidate: str, known: str, said_to_be: bool = False) -> bool:
    """Whether ``candidate`` is the name the form has, spelt again: the same letters ("Kieran O
    Reilly" - "Kieran O'Reilly"), or, said to be a respelling ("sorry I mean …"), nearly the same
    letters in as many words, or one fewer or more. "Sinead Byrne 087… its my wifes phone" for
    Sean Byrne is someone else."""
    a, b = _folded(candidate), _folded(known)
    if candidate == known or abs(len(candidate.split()) - len(known.split())) > 1 or len(known.split()) < 2:
        return False
    if a == b:  # "Ciarán Ó Catháin" for Ciaran O Cathain: the fadas added (never taken away)
        return sum(not c.isascii() for c in candidate) > sum(not c.isascii() for c in known)
    if re.sub(r"\W", "", a) == re.sub(r"\W", "", b):
        return True
    from difflib import SequenceMatcher

    return said_to_be and SequenceMatcher(None, a, b).ratio() >= 0.8


def detail_named(word: str) -> str:
    """The slot a word names in "change my <word> to ...": name, contact, time or concern."""
    word = word.lower()
    if word.startswith("name"):
        return NAME
    if word.startswith(("e-mail", "email", "phone", "number", "mobile", "contact")):
        return CONTACT
    if word.endswith("time") or word == "day":
        return TIME
    return CONCERN


# A skip said with more words: "id rather skip that one", "skip - will explain on the call".
_SKIPPED = re.compile(r"\bsk(?:i)?p\b", re.I)


def _read_concern_answer(reading: Reading, text: str, known_name: str | None) -> None:
    """At "what is it about?": a yes or no to the proposal, a skip, or the concern itself
    ("nope - wrinkles" is wrinkles). A time typed here is a time: "after 7pm" is no concern."""
    reply = text.strip()
    if is_yes(reply):
        reading.yes = True
        return
    if SKIP.match(reply.strip(" .!")) or SKIP.match(clean_edges(reply)) or _SKIPPED.search(reply) \
            and not CONDITION.search(reply):
        # "id rather skip that one", "skip - will explain on the call", "rather not say, skip"
        reading.skip = reading.no = True
        return
    # (A question about the form names a booking too: "is this form going to book me in?")
    asked = is_question(reply) or (reply.endswith("?") and bool(QUESTION_START.match(clean_edges(reply))))
    if asked and not NOPE.match(reply):
        reading.question = True
        return
    name = _name_given(reply, known_name, weak_leads=False)
    if name:
        reading.found[NAME] = name
        return
    time = TIME_PHRASE.search(reply)
    if time and not CONDITION.search(reply):
        reading.found[TIME] = time_value(reply[_lead_start(reply, time.start()):])
        return
    value = concern_value(reply)
    if value and SKIP.match(value):  # "nah, skip", "no - rather not say": the lead-in taken off
        reading.skip = reading.no = True
        return
    if (reading.email or reading.phone) and not CONDITION.search(value):
        value = ""  # "my number is 087 606 0606 too": no concern in it
    if value:
        reading.rest = value
    elif NOPE.match(reply) and not reading.has_details:
        reading.skip = reading.no = True


def _name_given(part: str, known_name: str | None, weak_leads: bool = True) -> str | None:
    """A name given at another question: after "my name is" (or "it's", with ``weak_leads``),
    or the name the form has, given more fully ("Ruth" - "actually it's Ruth Kinsella")."""
    plain = re.sub(r"^(?:actually|sorry|oh|and|also)\b[\s,]*", "", part.strip(), flags=re.I)
    lead = NAME_LEAD.match(plain)
    name = clean_edges(NAME_TAIL.sub("", plain[lead.end():] if lead else plain))
    if not plausible_name(name):
        return None
    if lead and (weak_leads or not WEAK_NAME_LEAD.fullmatch(lead.group().strip())):
        return name
    return name if known_name and fuller_name(name, known_name) else None


def _read_time_answer(reading: Reading, text: str, known_name: str | None) -> None:
    """At "when?": the reply is the time, as typed, once a concern or a name is taken out."""
    kept = []
    parts = _parts(text)
    for part, asked in parts:
        if _asks(part, asked):
            reading.question = True
            continue
        if (CONDITION.search(part) or CONCERN_LEAD.search(part)) and not TIME_PHRASE.search(part):
            _take_concern(reading, part)
            if CONCERN in reading.found:
                continue
        name = None if TIME_PHRASE.search(part) else _name_given(part, known_name)
        if name:
            reading.found[NAME] = name
            continue
        kept.append(part)
    timed = [part for part in kept if looks_like_time(part)]
    if len(kept) == len(parts) and timed == kept:
        value = time_value(text)  # all of it is the time, as typed ("evenings, or Saturday morning")
    else:
        value = time_value(", ".join(timed) or " ".join(kept))
    if is_yes(value) or NO.match(value):
        reading.yes, reading.no = is_yes(value), bool(NO.match(value)) and not is_yes(value)
        return
    reading.rest = value


def _parts(text: str) -> list[tuple[str, bool]]:
    """The parts of a message (``SPLIT``), each with whether a question mark ends it. A
    concern is one part, whatever it holds ("acne scarring on my cheeks and chin")."""
    # (and a time: "between 9 and 11am", "Monday and Friday afternoons")
    concerns = [m.span() for m in CONDITION.finditer(text)] + [m.span() for m in TIME_PHRASE.finditer(text)]
    parts, start = [], 0
    for match in SPLIT.finditer(text):
        if "?" not in match.group() and any(a < match.start() and match.end() < b for a, b in concerns):
            continue
        parts.append((text[start:match.start()], "?" in match.group()))
        start = match.end()
    parts.append((text[start:], False))
    return [(part, asked) for part, asked in parts if part.strip()]


def _asks(part: str, asked: bool, request: bool = False) -> bool:
    """Whether a part of a message is a question ("before I give my details does it hurt?");
    "can someone call me?" asks to be contacted, which the details answer, and so do the parts
    of that request ("can someone ring me on 085… any time after 4?", "… about acne scarring?")."""
    if request and asked and not QUESTION_START.match(clean_edges(part)):
        return False
    return is_question(part) or (asked and not CONTACT_REQUEST.search(part))


def _lead_start(text: str, start: int) -> int:
    lead = TIME_LEAD.search(text[:start])
    return lead.start() if lead else start


def _read_parts(reading: Reading, text: str, step: str | None, known_name: str | None) -> None:
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
    parts = _parts(text)
    request = bool(CONTACT_REQUEST.search(reading.text))  # before its lead-in went with the number
    # A skin concern named anywhere is the concern: "reading about micro needling for ages, I
    # have acne scarring" is about the scarring; of several, the one said most fully ("I've had
    # acne since my teens and now have scarring on my forehead and temples").
    named = max((m.group() for part, asked in parts if not _asks(part, asked, request)
                 for m in CONDITION.finditer(part)), key=len, default=None)
    for part, asked in parts:
        if _asks(part, asked, request):
            reading.question = True
            continue
        part = _take_concern(reading, part, named)
        part = _take_time(reading, part)
        part = _take_name(reading, part, step, known_name)
        if clean_edges(part):
            leftovers.append(clean_edges(part))
    reading.rest = " ".join(leftovers)
    if not reading.has_details:  # a yes or a no, for the questions that take one
        reading.yes = is_yes(reading.text)
        reading.no = bool(NO.match(reading.text.strip()) or DECLINED.search(reading.text)) and not reading.yes


def _take_concern(reading: Reading, part: str, named: str | None = None) -> str:
    """The concern in ``part``: what follows "about" ("re", "concern:"), or a skin concern the
    vocabulary knows; with ``named`` (the fullest one the message names), only that one."""
    if CONCERN in reading.found:
        return part
    lead = CONCERN_LEAD.search(part)
    if lead and not (named and not CONDITION.search(part[lead.end():])):
        value = concern_value(part[lead.end():])
        time = TIME_PHRASE.search(value)
        if time and not CONDITION.search(value[:time.start()] or "x"):
            value = value[:time.start()].strip(" ,")
        # "about my stretchies": something of the visitor's, whatever the word; "about Anne" may be a name.
        mine = bool(lead.group("mine"))
        if value and (CONDITION.search(value) or mine or not plausible_name(value)) and not NOT_A_CONCERN.match(value):
            reading.found[CONCERN] = value
            return part[:lead.start()]
    condition = next((m for m in CONDITION.finditer(part) if not named or len(m.group()) >= len(named)), None)
    if condition:
        reading.found[CONCERN] = concern_value(condition.group())
        return part[:condition.start()] + " " + part[condition.end():]
    return part


# An occasion's date is no time to call: "I have a wedding next month", "going on holiday in june".
_OCCASION = re.compile(r"\b(?:wedding|holiday|holidays|hols|party|event|birthday|christening|communion|confirmation"
                       r"|trip|honeymoon|debs|prom|graduation|hen|stag)\b", re.I)


def _take_time(reading: Reading, part: str) -> str:
    if TIME in reading.found:
        return part
    match = next((m for m in TIME_PHRASE.finditer(part) if not _rejected(part, m)
                  and not _OCCASION.search(part[max(0, m.start() - 30):m.start()])), None)
    if not match:
        if any(_rejected(part, m) for m in TIME_PHRASE.finditer(part)):
            reading.rejected_time = True  # not an occasion's date: a time said not to suit
        return part
    start = _lead_start(part, match.start())
    end = match.end()
    tail = TIME_TAIL.match(part[end:])
    if tail:
        end += tail.end()
    reading.found[TIME] = time_value(part[match.start():match.end()])
    return part[:start] + " " + part[end:]


def _rejected(text: str, match: re.Match) -> bool:
    """Whether the time ``match`` found is one that no longer suits ("mornings are no good")."""
    return bool(TIME_REJECTED_AFTER.match(text[match.end():]) or TIME_REJECTED_BEFORE.search(text[:match.start()]))


def _take_name(reading: Reading, part: str, step: str | None, known_name: str | None) -> str:
    """A name introduced as one ("my name is", "I'm", "this is", "... here"), or, at the name
    step or before the form has a name, a part of the message that can only be a name."""
    if NAME in reading.found:
        # "Its Ahmed. Ahmed Rahman.", "I'm Maeve, well Maeve Doherty": the name again, more fully.
        again = clean_edges(NAME_TAIL.sub("", clean_edges(part)))
        if again and plausible_name(again) and fuller_name(again, reading.found[NAME]) \
                and _said_again(again, reading.found[NAME], reading.text != reading.text.lower()):
            reading.found[NAME] = again
            return ""
        return part
    stripped = part.strip(" ,.;:!-–—")
    # Where the visitor writes with capitals, a name after "I'm" has them too ("I'm finally
    # thinking of..." is no name); in an all lower-case message anything goes.
    capitals = reading.text != reading.text.lower()
    for lead in NAME_LEAD.finditer(stripped):
        strong = not WEAK_NAME_LEAD.fullmatch(lead.group().strip())
        words = clean_edges(NAME_TAIL.sub("", stripped[lead.end():])).split()
        for size in range(min(5, len(words)), 0, -1):
            candidate = " ".join(words[:size])
            if plausible_name(candidate) and (strong or not capitals or candidate[:1].isupper()):
                reading.found[NAME] = candidate
                return stripped[:lead.start()] + " " + " ".join(words[size:])
    called = CALL_ME.search(stripped)
    if called and (reading.has_details or step == NAME):
        # "ring me Tomás 086...": a name right after the request, capitalised where the
        # visitor writes with capitals.
        words = clean_edges(stripped[called.end():]).split()
        for size in range(min(5, len(words)), 0, -1):
            candidate = " ".join(words[:size])
            if plausible_name(candidate) and (not capitals or candidate[:1].isupper()):
                reading.found[NAME] = candidate
                return stripped[:called.start()] + " " + " ".join(words[size:])
    candidate = clean_edges(NAME_TAIL.sub("", clean_edges(stripped)))
    if not candidate or not plausible_name(candidate):
        return part
    if step != NAME and known_name:
        if fuller_name(candidate, known_name) or respelt_name(candidate, known_name, bool(_RESPELLING.search(part))):
            reading.found[NAME] = candidate
            return ""
        if step == CONTACT and " " not in known_name.strip() and len(candidate.split()) <= 2 \
                and candidate[:1].isupper() and not reading.has_details and candidate.lower() != known_name.lower():
            # "Conor" - "McNally": the surname, typed just after the first name; "dee" - "actually
            # put my full name, Dearbhla Whelan", "sean" - "sorry Seán Tierney": the whole name again.
            whole = len(candidate.split()) == 2 and (_folded(candidate.split()[0]) == _folded(known_name.strip())
                                                     or bool(re.search(r"\bfull name\b", reading.text, re.I)))
            reading.found[NAME] = candidate if whole else f"{known_name.strip()} {candidate}"
            return ""
        return part
    named_here = bool(NAME_TAIL.search(stripped))
    # In the request itself ("need a callback - Jo"), a capitalised part that can only be a name.
    signed = step is None and capitals and candidate[:1].isupper() and bool(CONTACT_REQUEST.search(reading.text))
    if step == NAME or named_here or signed or (
            reading.has_details and (not capitals or candidate[:1].isupper())):
        reading.found[NAME] = candidate
        return ""
    return part
