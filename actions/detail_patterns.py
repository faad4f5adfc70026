"""What a visitor's details look like: the patterns and word lists the consultation form
reads messages with (actions/form_reader.py), and the checks that a value is plausibly of
its kind (a name, a time). Plain Python, no Rasa.

* a preferred time: a phrase built from days, parts of the day, clock times and "any time",
  "asap"... (``TIME_PHRASE``), without the lead-ins and comments around it ("best after 6",
  "evenings are best");
* a concern: a skin concern the vocabulary knows (actions/vocabulary.py, the words the spaCy
  EntityRuler finds), with the place it is on ("acne scars on my chin"), or what follows
  "about", "re", "concern:";
* a name: one to five words of letters, none of them a word names never hold
  (``plausible_name``), after "my name is", "I'm", "this is", "Name:" or before "here";
* yes, no, skip, leaving ("bye", "no thanks", "forget it") and corrections ("change my name
  to John", "the concern should be ...").
"""
import re

from actions import vocabulary
from leads import details

# The form's slots (domain.yml).
NAME, CONTACT, TIME, CONCERN = "visitor_name", "visitor_contact", "preferred_time", "concern"
CONSENT, CONFIRMED = "storage_consent", "request_confirmed"

# --- times -------------------------------------------------------------------------------

_DAY = (r"(?:mon|tues?|wednes|thurs?|fri|satur|sun)days?|mon|tues?|weds?|thur?s?|fri|sat"
        r"|week ?days?|week-?days?|week ?ends?|week-?ends?|week ?nights?|weekday|weekend"
        # shorthand: "wkends", "wknds", "wkdays"
        r"|wk ?ends?|wknds?|wk ?days?|wk ?nights?")
_PART = (r"mornings?|morns?|arvos?|aftns?|afternoons?|evenings?|eves|nights?|lunch ?times?|lunch|midday|mid-day|noon"
         r"|tea ?time|lunch ?tme|lunch ?tym"
         # as typed in a hurry: "evnings", "mornin", "aftanoon"
         r"|evn?ings?|evenin'?s?|evngs?|mornin'?s?|mornngs?|aftern?oons?|afternon|aftanoons?|aftrn?oons?|nite"
         r"|after work|after school|before work|first thing|day ?time|during the day|during the week|school hours"
         r"|work hours|office hours|business hours|midweek|mid-week|early doors"
         r"|(?:after|before) (?:the )?school run|school run|(?:after|when) the kids are in bed")
_WHEN = (r"today|tonight|tomorrow|tomorow|tommorow|tmrw|tmr|tomoz|2moro|2morro|2morrow|2day|2nite|tonite"
         r"|this week|next week|this month|next month"
         r"|the weekend|asap|a\.s\.a\.p\.?|as soon as possible|as soon as you can|any ?time|whenever(?: suits)?"
         # typed in a hurry: "anytme", "whenevr"
         r"|any ?tme|any ?tym|whenevr|whenver|wheneva"
         r"|any day|no preference|all day|whatever suits|any time that suits|the earlier the better"
         r"|the sooner the better|as early as possible|earliest possible|first available|soonest|n\s?e\s?time")
# ("one" is no hour alone: "one on one chat"; "about ten years" and "two sessions" are counts.)
_HOUR_WORD = (r"\s*(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
              r"(?!\s+(?:years?|yrs?|sessions?|treatments?|weeks?|days?|months?|times?|kids|children|of|or more"
              r"|hours?|mins?|minutes?)\b)")
_CLOCK = (r"(?:between\s+)?\d{1,2}(?:[:.]\d{2})?\s?(?:-|–|to|and|till|until)\s?\d{1,2}(?:[:.]\d{2})?\s?(?:am|pm)?"
          r"(?=\s|$|[,.!;])(?<!\d{3})"
          r"|\d{1,2}(?:[:.]\d{2})?\s?(?:am|pm|a\.m\.?|p\.m\.?|o'?clock|ish)\b|\d{1,2}[:.]\d{2}\b|noon|midnight"
          r"|half (?:past )?\d{1,2}"
          # "five thirty onwards", "after six", "half seven"
          rf"|(?:(?:after|aftr|before|around|from|by|until|till|til|past)\s+|half (?:past )?)?{_HOUR_WORD}"
          r"(?:\s+(?:thirty|fifteen|forty[- ]five|o'?clock))?(?=\s+(?:onwards|on|or later|ish|pm|am|in the)\b)"
          rf"|(?:after|aftr|before|around|from|by|until|till|til|past|half (?:past )?){_HOUR_WORD}\b"
          rf"|{_HOUR_WORD}\s+(?:thirty|fifteen|forty[- ]five|o'?clock)\b"
          r"|(?:after|aftr|afta|before|b4|bfore|around|about|from|at|by|until|till|til|past|between|after about)"
          r"\s+\d{1,2}"
          r"(?:[:.]\d{2})?(?:\s?(?:am|pm|ish))?(?!\s*(?:sessions?|treatments?|weeks?|days?|months?|years?|times?"
          r"|%|euros?|pounds?|€|\d))")
_ATOM = rf"(?:{_CLOCK}|{_WHEN}|{_PART}|{_DAY})"
_BEFORE = (r"(?:(?:any|every|early|late|mid|this|next|only|not|from|after|aftr|afta|before|b4|around|about|between"
           r"|on|in the"
           r"|in|at|sometime|some time|by|until|till|later|earlier|weekday|weekend|most|any time|anytime)\s+)*")
_JOIN = r"(?:\s*(?:,|/|&|\+|-)?\s*(?:and|or|to|till|until|til|but not|but|except|not|or maybe|maybe|n)?\s*)"
_AFTER = (r"(?:\s+(?:only|onwards|on|or later|or so|at the latest|latest|ish|am|pm))?"
          # "afternoons your time": where the visitor is abroad, the time zone is part of it.
          r"(?:\s+(?:your|my|our|irish|uk|us|local|eastern|pacific|central|gmt|est|pst)\s+time)?")
# ("good evening" greets: no time in it.)
TIME_PHRASE = re.compile(rf"(?<!good )(?<!good  )\b{_BEFORE}{_ATOM}(?:{_JOIN}{_BEFORE}{_ATOM})*{_AFTER}\b", re.I)
# Said about a time but not part of it: "best after 6", "evenings are best".
TIME_LEAD = re.compile(r"(?:\b(?:(?:the )?best time (?:to (?:call|ring|reach|contact) (?:me )?)?(?:is|would be)"
                        r"|best(?: is)?|ideally|preferably|i'?d prefer|i prefer|prefer|i'?m free|im free|free"
                        r"|available|(?:please )?(?:call|ring|phone|text|contact|reach|try)(?: me)?|time:?"
                        r"|preferred time:?|when:?)\s*[:,-]?\s*)+$",
                        re.I)
TIME_TAIL = re.compile(r"^\s*(?:(?:is|are|r|would be|would|will|works?|suits?|usually|generally|probably|always)\s+)*"
                        r"(?:best|bst|better|good|great|ideal|fine|ok|okay|easiest|suit(?:s)?(?: me)?(?: best| better)?"
                        r"|work(?:s)? (?:best )?"
                        r"(?:for me)?)(?:\s+for (?:me|her|him|them|us))?(?:\s+(?:to be honest|tbh|really))?\b", re.I)
# Said of a time that no longer suits ("mornings are no good now", "can't do mornings"): that
# time is not the answer, another one in the message is.
TIME_REJECTED_AFTER = re.compile(
    r"^\s*(?:(?:are|is|'re|'s|r|would be|will be)\s+)?(?:(?:now|actually|really)\s+)?"
    r"(?:no good|not good|bad|no use|not great|not ideal|impossible|not possible|not ok|not okay|out|a no"
    r"|no longer (?:good|ok|okay|possible)|(?:don'?t|doesn'?t|won'?t|do not|does not|will not) (?:work|suit))\b",
    re.I)
# ... or that says when the visitor is busy ("I'm in work til 5 so any time after 5").
TIME_REJECTED_BEFORE = re.compile(r"\b(?:can'?t do|cannot do|can'?t make|can'?t|no longer|in work|at work|working"
                                  r"|busy|in college|in school|at school|on shift|on shifts)\s+$", re.I)
# Words that make a reply to "when?" an answer even without a day or an hour.
_LOOSE_TIME = re.compile(r"\b(?:whenever|suits?|flexible|any|no preference|don'?t mind|doesn'?t matter|either"
                         r"|january|february|march|april|may|june|july|august|september|october|november"
                         r"|december|\d{1,2}(?:st|nd|rd|th)|\d{1,2})\b", re.I)

# --- names ---------------------------------------------------------------------------------

_NAME_TOKEN = r"[^\W\d_][^\W\d_'’.\-]*(?:['’.\-][^\W\d_]+)*\.?"
NAME_LEAD = re.compile(r"(?:^|(?<=[\s,.;:!]))(?:my name is|my name's|my names|name's|names|name is|the name is"
                       r"|my nme is|my nam is|my anme is|my naem is|my mane is|nme is"
                       r"|name\s*:|i am called|i'm called|im called|they call me|people call me|this is|i'm|i am"
                       r"|im|it's|its|it is|name|is mise|put my name (?:down )?as"
                       # "wait put O'Driscoll with the apostrophe": a respelling, said as one
                       r"|(?:wait )?put(?=\s+\S+\s+with (?:a|an|the) (?:fadas?|apostrophe|hyphen|accents?)))"
                       r"(?:\s+(?:actually|really|now|spelt|spelled|spelt as|spelled as))*\s+",
                       re.I)
# After a name: "... here", and a note on its spelling ("Róisín McGrath (with the fadas sorry)",
# "O'Driscoll with the apostrophe", "Siobhan with a bh").
NAME_TAIL = re.compile(r"(?:\s+here|\s*\([^)]*\)?|\s+with (?:a|an|the|two|2) (?:fadas?|apostrophe|hyphen|accents?|space"
                       r"|capital|[a-z]{1,2}\b)[^,.;]*)$", re.I)
# "my surname is spelt Byrne", "last name: Lee", "first name is Ann": one part of the name.
NAME_PART = re.compile(r"\b(?P<part>sur ?name|last name|second name|family name|first name|christian name|forename)"
                       r"(?:\s+(?:is|'s|should be|is actually|actually|is spelt|is spelled|spelt|spelled|as|now))*"
                       rf"\s*[:\-]?\s*(?P<value>{_NAME_TOKEN}(?:\s+{_NAME_TOKEN})?)", re.I)
FIRST_NAME_PARTS = ("first name", "christian name", "forename")
# "Raghunathan is my surname": the part named after its value.
NAME_PART_AFTER = re.compile(rf"(?P<value>{_NAME_TOKEN})\s+(?:is|'s)\s+my\s+"
                             r"(?P<part>sur ?name|last name|second name|family name|first name|christian name"
                             r"|forename)\b", re.I)
# Leads that also open other sentences ("it's about", "name Nguyen Thi Lan" as a label):
# capitalised names only where the visitor writes with capitals.
WEAK_NAME_LEAD = re.compile(r"this is|i'm|i am|im|it's|its|it is|name", re.I)
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
regards clinic nvm agree agreed consent consented confirm confirmed submit aye
re regarding concerning consultation consultations consult appointment appointments callback call-back
request requests enquiry
""".split())
# Greetings, in English, Irish and other languages: a message's opening, never a name
# ("Bonjour, please call me, Jean-Luc Moreau"; "Dia duit, is mise Áine").
GREETING_WORDS = set("""
hi hello hey hiya heya howdy howya howaya yo greetings bonjour bonsoir salut coucou hola buenas buenos ciao
buongiorno buonasera hallo servus moin hej hei ahoj czesc cześć dzien dzień dobry privet merhaba namaste aloha
g'day olá haigh duit dhuit daoibh dhaoibh chara goedemiddag goedemorgen goedendag goedenavond
labas sveiki tere szia zdravo konnichiwa annyeong
""".split())
NOT_NAME |= GREETING_WORDS
# At the start of a message only: a greeting that is also a name elsewhere ("Salam", "Shalom").
_GREETING_LEAD = (r"good (?:morning|afternoon|evening|day)|dia (?:duit|dhuit|daoibh|dhaoibh)|a chara|kia ora|ni hao"
                  r"|guten (?:tag|morgen|abend)|bom dia|buenos d[ií]as|buenas tardes|salaam|salam|salam alaikum"
                  r"|as-?salamu alaykum|shalom|hi there|hello there|hey there|" + "|".join(sorted(GREETING_WORDS)))
# Everyday words that can also be names ("Omar Said", "Tom Price"): not a name on their own.
NOT_NAME_LOWER = set("""
want wants need needs like likes love get got give send sent call calling ring phone phoned email emailed
text contact contacted reach book booking booked make help know think see tell ask asked said say fine
number mobile address details detail name time times date appointment appointments consultation consult clinic
team someone somebody anyone anybody something nothing anything everything question questions info information
treatment treatments cost costs price prices pricing hurt pain painful downtime session sessions result results
skin face never mind forget quit exit opening hours open located location noon free available interested
finally thinking looking wondering busy pregnant unsure worried nervous curious ready keen based currently
still new sorry spelt spelled from cork dublin heard already filled flexible easy visiting
good fair enough grand great cool lovely perfect alright brilliant brill super fab deal sound right fine
instead wait oops now typo whatsapp landline viber signal telegram either both whichever same later back
gmail hotmail yahoo outlook icloud eircom
""".split())
_CONCERN_WORDS = {t for g in vocabulary.CONDITION_TERMS.values() for t in g if " " not in t} | {
    t for t in vocabulary.UNLISTED_CONDITIONS if " " not in t} | {
    t for t in vocabulary.MICRONEEDLING_TERMS if " " not in t}
NOT_NAME |= _CONCERN_WORDS

# --- concerns --------------------------------------------------------------------------------

# Marks the vocabulary doesn't name alone, said beside a concern ("acne scarring and some dark marks").
_MORE_MARKS = ["dark marks", "red marks", "brown marks", "dark patches", "brown patches"]
_CONDITIONS = sorted({t for g in vocabulary.CONDITION_TERMS.values() for t in g} | set(vocabulary.UNLISTED_CONDITIONS)
                     | set(_MORE_MARKS), key=len, reverse=True)
# Places the vocabulary has no answer about but a visitor names with a concern ("on my temples").
_MORE_PLACES = ["temples", "temple", "jaw", "jawline", "cheekbones", "hairline", "upper lip", "lip", "brow", "brows",
                "eyebrows", "elbows", "shoulders", "upper arms", "sides", "face and neck", "mouth", "nose", "lips"]
_AREAS = sorted({t for g in vocabulary.AREA_TERMS.values() for t in g} | set(vocabulary.UNLISTED_AREAS)
                | set(_MORE_PLACES), key=len, reverse=True)


def _alternatives(terms: list[str]) -> str:
    return "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in terms)


# "... on my chin", "... around my eyes": the place is part of the concern.
# ("... on my cheeks and chin": more places joined to the first.)
_AREA_TAIL = (rf"(?:\s+(?:on|around|round|'round|under|near|at|in|across|over|along|by|below|above)\s+"
              rf"(?:(?:my|the|both|his|her)\s+(?:(?:{_alternatives(_AREAS)})s?\b(?:\s+of\s+(?:my|the|both|his|her)\s+[a-z]+)?"
              rf"|[a-z]+)|(?:{_alternatives(_AREAS)})\b)"
              rf"(?:\s*(?:,|and|&|or|\+)\s*(?:(?:on|around|round|under|near|at|in|across|over|along|by|below|above)\s+)?"
              rf"(?:(?:my|the|both)\s+)?(?:{_alternatives(_AREAS)})\b)*)")
# "back acne scars", "forehead wrinkles": the place said first is part of the concern too.
_AREA_HEAD = rf"(?:(?:{_alternatives(_AREAS)})\s+)?"
# "pitted acne scars", "a scar on my chin from a fall", "scarring from acne": the visitor's words
# around the concern are part of it.
_CONDITION_HEAD = (r"(?:(?:old|bad|deep|some|my|the|a|fine|facial|pitted|boxcar|ice ?pick|rolling|raised|sunken"
                   r"|atrophic|stubborn|visible|mild|severe|small|big|large|little|enlarged|faint|hormonal|few"
                   r"|lots of|loads of|pock|chicken ?pox|chicken-pox|surgical|surgery|c-section|burn|injury"
                   r"|self-harm|self harm)\s+)*")
_CONDITION_CAUSE = (r"(?:\s+from\s+(?:[a-z'-]+\s+){0,2}?(?:acne|spots|pimples|breakouts|chicken\s?pox|pregnancy"
                    r"|pregnancies|kids|surgery|operation|accident|fall|burns?|injury|c-section|sport|sun)\b)?")
CONDITION = re.compile(
    rf"\b{_CONDITION_HEAD}{_AREA_HEAD}(?:{_alternatives(_CONDITIONS)})\b{_AREA_TAIL}?{_CONDITION_CAUSE}"
    rf"(?:\s*(?:and|&|\+)\s+(?:(?:some|a few|a bit of|my|the|a)\s+)?{_CONDITION_HEAD}(?:{_alternatives(_CONDITIONS)})\b"
    rf"{_AREA_TAIL}?{_CONDITION_CAUSE})*", re.I)
def describes_a_reaction(text: str) -> bool:
    """A reaction word outside the concerns the clinic treats: "scar" in "acne scarring on my
    cheeks" names a concern, "swollen" in "my acne scars are swollen" a reaction."""
    return vocabulary.describes_a_reaction(CONDITION.sub(" ", text))


def names_a_concern(text: str) -> bool:
    return bool(CONDITION.search(text))


# "about X", "re X", "Concern: X": X is the concern, whatever it is, up to the end of that part.
CONCERN_LEAD = re.compile(r"(?:^|(?<=[\s,.;:!]))(?:concern\s*:|about\s*:|topic\s*:|re\s*:|regarding\s*:?|re|about"
                          r"|bout|'bout|abt|concerning)\s+(?P<mine>my\s+|the\s+)?", re.I)
# "about booking", "re a consultation": what the request is, not what it is about.
NOT_A_CONCERN = re.compile(
    r"^(?:(?:a|an|the|my|your|some|this|that)\s+)?(?:booking|bookings|booking in|book in|consult|consults|consultation"
    r"|consultations|appointment|appointments|call ?backs?|call-backs?|call|chat|getting started|starting"
    r"|(?:it|that|this|one)(?:\s+(?:first|more|all|again|later|now|though|tho|over))?|session|sessions|treatment"
    r"|treatments|course|my details|details"
    # The treatment alone: what the clinic offers, not what it is for ("about the microneedling";
    # "about microneedling for my face" says what for).
    rf"|(?:(?:the|a|some)\s+)?(?:{_alternatives(sorted(vocabulary.MICRONEEDLING_TERMS, key=len, reverse=True))})"
    r"(?:\s+(?:thing|treatment|treatments|procedure|session|sessions|pls|please))?)$",
    re.I)
# "no, its actually for stretch marks": any of these, in any order, before the concern.
_CONCERN_FILLER_LEAD = re.compile(
    r"^(?:(?:concern|about|topic|re|treatment)\s*:\s*)?"
    r"(?:(?:(?:no|nope|nah|not that|not really|yes|yeah|ok|okay|so|well|actually|sorry|um|erm|hmm|hi)\b[\s,.!-]*)"
    r"|(?:(?:it'?s|its|it is|that'?s|thats|the concern is|my concern is|concern is|concern:|mainly|mostly|more"
    r"|really|just|i want to discuss|i'?d like to discuss|i want to talk about|i'?d like to talk about"
    r"|i want to ask about|i'?m interested in|im interested in|interested in|i have|i'?ve got|ive got|i got"
    r"|discuss|talk about|about|bout|regarding|re|for|with|to do with|it'?s to do with|its to do with"
    # "a consultation for open pores", "microneedling for my acne scars", "treating my acne scars"
    r"|(?:an?\s+)?(?:(?:micro[- ]?needling|microneedlign|skin needling)\s+)?(?:consultation|consult|appointment)\s+"
    r"(?:for|about|re|regarding))"
    r"\b[\s,:-]*))*"
    r"(?:(?:my|the|some|a few|a bit of)\s+)?", re.I)
_CONCERN_FILLER_TAIL = re.compile(
    r"(?:[\s,.!-]*\b(?:actually|instead|please|pls|thanks|thank you|really|mostly|mainly|tbh|lol|i think|though"
    r"|both really|both|(?:is )?what i(?:'?d like| want)? to (?:ask|talk|know) about"
    r"|(?:that )?i want to (?:discuss|ask about|talk about)|i'?d like to discuss)\b)+[\s.!]*$", re.I)

# --- yes, no, skip, leaving, corrections -------------------------------------------------------

# A yes: only yes-words and politeness ("yes please send", "perfect, send it", "I consent").
_YES_WORDS = (r"yes|yeah|yea|ya|ye|y|yep|yup|yess+|sure|sure thing|ok|okay|k|kk|send away|send it away|fire away"
              r"|go ahead and send(?: it)?|off you go|send it on|send that"
              r"|i agree(?: to (?:that|this|it|all that))?|agree(?: to (?:that|this|it))?|agreed|i do|yes i do"
              r"|i consent|consent|confirm|confirmed|go ahead|go for it|go on|please do|do it|send|send it"
              r"|send it off|send it now|send now|submit|looks good|looks great|looks fine|sounds good|all good"
              r"|perfect|correct|all correct|that'?s (?:all )?(?:right|correct|fine|ok|grand|perfect|it)"
              r"|thats (?:all )?(?:right|correct|fine|ok|grand|perfect|it)|that is (?:right|correct)|right|fine"
              r"|fine by me|grand|great|absolutely|of course|definitely|certainly|lovely|good|no problem|no worries"
              r"|happy to|happy with that")
_POLITE = (r"then|please|pls|thanks|thank you|ta|cheers|yes please|thanks a lot|that|it|all"
           r"|hmm|hm|um|erm|well|oh|ah|alright")
# Between and after the words: spaces, punctuation and emoji ("send it 👍", "yes 🙂").
_GAP = r"[\s,.!:)\-\u2600-\u27bf\U0001f300-\U0001faff\ufe0f]*"
YES = re.compile(rf"^(?:(?:{_YES_WORDS}|{_POLITE})\b{_GAP})*(?:(?:{_YES_WORDS})\b|👍){_GAP}"
                 rf"(?:(?:{_YES_WORDS}|{_POLITE})\b{_GAP})*$", re.I)
# A yes in the visitor's own words ("spot on, send", "aye", "yes that's ok with me", "all good
# send it on"): every word agrees, sends or is politeness, and one of them agrees or sends. Any
# other word (a detail, "but", "not", "change", "wait", a question word) makes it no plain yes.
_AGREEING = set("""
yes yess yeah yea yeh ya yah ye yep yup yas aye sure ok okay k kk agree agreed consent consented confirm confirmed
correct right fine grand great perfect lovely good absolutely definitely certainly sound spot send sent submit
submitted proceed happy cool brilliant brill super fab deal alright exactly deffo defo def tá accept accepted deadly
oui sí ja snd yh sorted
👍 👌 ✅
""".split())
_AGREEING_PHRASES = re.compile(r"\b(?:no (?:problem|probs|worries|bother)|not a problem|of course"
                               r"|go (?:ahead|on|for it)|all right|fire away|do it|please do|i do|that's it|thats it"
                               r"|fair enough"
                               r"|(?:yeah|yes|ya|sure) course|why not\b\??|100 ?%"
                               # consent in its own words: "you can store them", "happy for you to keep my details"
                               r"|(?:(?:you can|feel free to|happy for you to|fine to|ok to|okay to) )?"
                               r"(?:store|keep|save|hold|use) (?:them|it|my details|my info|my information|those|these"
                               r"|the details)"
                               # "send the request", "send it to the clinic"
                               r"|send (?:the|my) request|send (?:it )?(?:on |over |off )?to the clinic"
                               # "send it to them", "ok you can send it", "yep fire it off", "yes she's happy
                               # with that", "thank you very much for your help"
                               r"|send (?:it )?(?:on |over |off |in |through |across )?to (?:the clinic|clinic|them"
                               r"|the team)|send it (?:in|through|across|over)|(?:you|u) can send(?: it)?"
                               r"|fire it (?:off|away|on)|(?:she|he|they)(?:'s| is|'re| are) (?:happy|ok|okay|fine"
                               r"|grand) with (?:that|it|this)|(?:she|he|they) agrees?"
                               r"|thanks? (?:you )?(?:very much |so much )?for (?:your|ur|all your) help)", re.I)
_ALONG = set("""
it its it's that that's thats this is all everything everything's everythings please pls plz thanks thank you ta
cheers thx ty then now on off away with me by for to of so just and also too well oh ah hmm hm um erm a million
x xx xxx lol haha looks look sounds seems the i i'm im am i'd id be would will very much indeed totally fully
as really quite yes-please one details info ahead go job mate si thn tht
gracias merci danke grazie obrigada obrigado
""".split())


def _word_bag(text: str) -> list[str]:
    text = str(text or "").lower().replace("\u2019", "'")
    text = re.sub(r"(\w)\1{2,}", r"\1", text)  # "yesss", "sooo": one letter
    return re.findall(r"[\w']+|👍|👌|✅", text)


def is_yes(text: str) -> bool:
    """Whether a reply only agrees or says to send: "yes", "spot on, send", "aye", "yes that's
    ok with me", "now send it", "send it xx". A detail, a question, a change or a "not" makes
    it something else."""
    text = str(text or "").strip()
    if YES.match(text):
        return True
    marked = _AGREEING_PHRASES.sub(" yes ", re.sub(r"\bthank u\b", "thank you", text.lower().replace("\u2019", "'")))
    if "?" in marked or "@" in marked or re.search(r"\d", marked):
        return False
    # ("yhh", "yaa", "sendd": a letter doubled at the end in a hurry.)
    words = [w if w in _AGREEING or w in _ALONG else re.sub(r"(\w)\1+$", r"\1", w) for w in _word_bag(marked)]
    return bool(words) and any(w in _AGREEING for w in words) \
        and all(w in _AGREEING or w in _ALONG for w in words)


_NO = (r"no|nope|nah|no thanks|no thank you|not really|i don'?t agree|i do not agree|don'?t|i don'?t|do not"
       r"|rather not|i'?d rather not|no way|not now|not yet|negative")
NO = re.compile(rf"^(?:{_NO})\b", re.I)
# A refusal to have the details kept, anywhere in the reply ("actually don't store anything").
DECLINED = re.compile(r"\b(?:don'?t|do not|didn'?t|did not|rather not|rather you didn'?t|rather you did not)\s+"
                      r"(?:store|keep|save|hold|share|pass on)\b|\bi (?:don'?t|do not) (?:consent|agree)\b"
                      r"|\bno consent\b|\bprefer (?:you|u) (?:didn'?t|did not|don'?t|wouldn'?t)\b"
                      r"|\bnot comfortable\b|\buncomfortable\b", re.I)
# A skip at the concern step: "skip", "skip for now", "i'll skip that", "just skip", "rather not say".
SKIP = re.compile(r"^(?:(?:ok|okay|um|erm|hmm|no|nah|nope|actually|oh|i'?ll|i will|i'?d|id|just|can we|can i"
                  r"|let'?s|lets|we'?ll|please|pls)"
                  r"\s+)*(?:(?:skip|skp|pass)(?:\s+(?:on\s+)?(?:it|this|that|this one|that one|this question"
                  r"|that question"
                  r"|this bit|that bit|this step|that step|the question))?|none|nothing|n/?a|no|nope|nah|no thanks"
                  r"|no thank you|not really|no concern|nothing in particular|nothing specific|nothing to add"
                  r"|(?:i'?d |id )?(?:rather|prefer) not (?:to )?(?:say|share|answer|go into it)|not saying"
                  r"|(?:i )?(?:don'?t|do not) want to (?:say|share|answer)|no comment)"
                  r"(?:\s+(?:for now|for the moment|for the minute|thanks|thank you|thx|please|pls|really|tbh"
                  r"|if that'?s ok"
                  r"|if that'?s okay))*$", re.I)
LEAVING = re.compile(
    r"^(?:(?:ok|okay|actually|oh|ah|um|no|nah|sorry|thanks|thank you|cheers|that'?s ok|thats ok|it'?s ok|its ok"
    r"|it'?s grand|its grand|it'?s fine|its fine)\b[\s,.!]*)*"
    r"(?:stop|cancel|cancel it|cancel that|cancel the request|never ?mind|forget it|forget about it|forget this"
    r"|leave it|don'?t bother|quit|exit|abort|scrap that|i'?ve changed my mind|i changed my mind|changed my mind"
    r"|not interested|i'?m not interested|no thanks|no thank you|bye|bye bye|goodbye|good bye|see ya|see you|cya"
    r"|gotta go|got to go|i have to go|i'?m off|i don'?t want to (?:do this|give my details|be contacted)"
    r"|i'?d rather not give my details|i don'?t want to give (?:you )?my (?:details|number|email|name)"
    r"|don'?t contact me|don'?t send (?:it|anything)|maybe later|not now|not today|another time"
    r"|i'?ll think about it|i'?ll leave it|i'?ll come back|i'?ll call (?:them|you|the clinic) myself|no need"
    # "not ready yet", "nvm", "I'll ring ye myself", "let me think about it first"
    r"|(?:i'?m |im )?not ready(?: yet)?(?![\s,]*(?:till|until|til|before|after|for|\d))|not right now|nvm"
    r"|i'?ll (?:ring|call|phone|contact|email) (?:ye|you|u|them"
    r"|the clinic)|ill (?:ring|call|phone) (?:ye|you|u|them)|(?:let me|i need to|need to|i'?ll have to|i want to)"
    r" (?:think about it|think it over|have a think)"
    r"|no,? (?:i'?m|im|it'?s|its) (?:ok|okay|good|fine|grand)|i'?m (?:ok|okay|good|fine|grand),? thanks)\b.*$", re.I)
NOPE = re.compile(r"^(?:no|nope|nah)\b", re.I)
# A bare "no" to a detail question ("What's your name?" - "no") is a refusal.
BARE_NO = re.compile(rf"^(?:{_NO})[\s.!]*$", re.I)
GOODBYE = re.compile(r"\b(?:bye|goodbye|good bye|see ya|see you|cya|gotta go|got to go|i have to go|i'?m off)\b", re.I)
# "Byrne not Burn", "1243 not 1234", "Tuesday instead of Thursday": a part of a detail respelt.
REPLACED = re.compile(r"^(?P<before>.*?\S)\s*,?\s+(?:not|instead of|rather than)\s+(?P<old>[^,;!?]+?)[\s.!]*$", re.I)
# "or Saturday mornings", "and wrinkles too": more of the detail already given.
JOINED = re.compile(r"^\s*(or|and|also|plus)\b\s+(?!(?:my|the|your|rather|actually|instead|maybe not)\b)", re.I)
# "change my name to John", "my email is actually ...", "make the time mornings instead".
_FIELD = (r"name|e-?mail(?: address)?|phone(?: number)?|number|mobile(?: number)?|contact(?: details)?"
          r"|(?:preferred )?time|day|concern|topic|reason|treatment")
CHANGE_TO = re.compile(rf"\b(?:change|update|switch|set|correct|fix|put)\s+(?:my|the)?\s*(?P<field>{_FIELD})"
                       rf"\s+(?:to|as|into|=|:)\s+(?P<value>.+)$", re.I)
SHOULD_BE = re.compile(rf"\b(?:my|the)\s+(?P<field>{_FIELD})\s+(?:should be|should say|should read|is actually"
                       rf"|'s actually|is now|needs to be|actually is)\s+(?P<value>.+)$"
                       # "the concern is ...": for a name or a contact, "my ... is" introduces it.
                       rf"|\b(?:my|the)\s+(?P<topic>concern|topic|reason|preferred time)\s+is\s+(?P<topic_value>.+)$",
                       re.I)
MAKE_IT = re.compile(rf"\b(?:make\s+(?:it|that|the\s+(?P<field>{_FIELD}))|(?:change|switch)\s+(?:it|that)\s+to)"
                     rf"\s+(?P<value>.+)$", re.I)
CHANGE = re.compile(r"\b(?:change|update|edit|correct|fix|wrong|redo|re-?enter|typo in|mistake in)\b", re.I)

# --- parts of a message ----------------------------------------------------------------------

# Where a message divides into parts ("Dr. Aisha Malik" is one).
# (A label's colon divides too: "Call back request: Eoin Ryan".)
SPLIT = re.compile(r"\s*(?:[,;!?]+|(?<=[a-z]):(?=\s)|(?<!\bdr)(?<!\bmr)(?<!\bms)(?<!\bmrs)(?<!\bst)\.(?:\s+|$)"
                   r"|\s[-–—]+\s|[–—]|\n|\band\b|\bbut\b)\s*", re.I)
QUESTION_START = re.compile(r"^(?:what|where|when|how|why|who|which|whats|what's|wheres|where's|hows|how's"
                            r"|is(?! mise\b)|are"
                            r"|does|do|did|can|could|will|would(?!\s+(?:like|love|prefer|appreciate|be grateful))"
                            r"|should|am i|have you|has|may i)\b", re.I)
# "can someone call me" has a question's shape but asks to be contacted: its details count.
CONTACT_REQUEST = re.compile(r"\b(?:call|ring|phone|contact|email|e-mail|text|txt|reach|get back to|get in touch with)"
                             r"\b(?:\s+\w+)?\s+(?:me|us)\b|\bcall ?backs?\b|\bcall-back\b|\bget in touch\b"
                             r"|\b(?:give|gimme|send)\s+(?:me|us)\s+(?:a|an)\s+(?:ring|call|bell|buzz|shout|text|txt"
                             r"|phone ?call|message|email|e-mail)\b"
                             r"|\b(?:get|have|like|love|want|need|request|arrange|book)\s+(?:a|an)\s+(?:call|ring"
                             r"|phone ?call|callback|call back|text|chat)\b"
                             r"|\bbook\b.*\b(?:consultation|appointment|in)\b"
                             r"|\b(?:consultation|consult|appointment)s?\b"
                             # "I would like to discuss hyperpigmentation. Email: …": with the clinic's team.
                             r"|(?<!n't )(?<!not )(?<!dont )\b(?:like|love|want|wanna|wish|hoping|hope)\s+to\s+"
                             r"(?:discuss(?!\s+(?:whether|if|how|why|what|when|is|does|do|can))|talk to someone"
                             r"|speak to someone|speak with someone|talk to somebody|speak to somebody)\b", re.I)
_EDGE_FILLERS = re.compile(
    rf"^(?:(?:{_GREETING_LEAD}|hi+|hey+|ok|okay|so|well|um|erm|yeah|yes|yep|sure|right|great|cool|oh|ah|sorry|actually"
    r"|i mean|i meant|please|pls|plz|thanks|thank you|cheers|and|also|too|or|lol|haha|then|just|great)\b"
    r"[\s,.!:-]*)+", re.I)
_EDGE_FILLERS_END = re.compile(
    r"(?:[\s,.!:-]*\b(?:please|pls|plz|thanks|thank you|cheers|too|also|lol|haha|then|and|or|on|at|is|are|btw|tbh"
    r"|thx|ty|x{1,3}"
    r"|i mean|sorry)\b)+"
    r"[\s,.!:-]*$", re.I)
# Said just before an email address or phone number ("you can reach me at", "my mobile is",
# "or on") and just after it ("too"): taken out with it.
CONTACT_LEAD = re.compile(
    r"(?:\b(?:(?:you|u) can )?(?:reach|contact|call|ring|text|phone|email|e-mail|get|message) (?:me|us)(?: back)?"
    r"(?: (?:at|on|via|by))?|\b(?:(?:my|the|me|an?) )?(?:e-?mail(?: address)?|mobile(?: number| no\.?)?"
    r"|mob(?: no\.?| number)?|phone(?: number| no\.?)?|number|no\.|tel|cell|contact|whatsapp)"
    r"(?: (?:is|'s|would be))?(?: actually)?"
    r"|\b(?:or|and|at|on|via|by|its|it's|it is)(?: on| at)?"
    # An email signature's labels: "M: +353 87 …", "E: mhennessy@…".
    r"|\b(?:m|e|t|p|ph)(?=\s*:))\s*[:\-]?\s*$", re.I)
# "ring me Tomás 086...": a name can follow the request to be contacted.
CALL_ME = re.compile(r"\b(?:call|ring|phone|text|txt|contact|message|email|e-mail)\s+(?:me|us)"
                     r"(?:\s+(?:back|on|at|please|pls|plz))*\s+", re.I)
# ("… is best", "… works best": said of the contact, no question.)
CONTACT_TAIL = re.compile(r"^\s*(?:too|also|as well|instead|(?:is|would be|works|'s) (?:best|better|easiest|preferred"
                          r"|fine|good|ok|grand))\b", re.I)


def squeeze(text: str) -> str:
    return " ".join(str(text or "").split())


# Emoji and other pictographs around a detail ("aimee walsh 💕", "stretchies 🙈"): no part of it.
_EMOJI = "\u2600-\u27bf\U0001f000-\U0001faff\ufe0f\u200d\u2b50\u2764\u2665"
_EDGE_SYMBOLS = re.compile(rf"^[\s{_EMOJI}]+|[\s{_EMOJI}]+$")


def clean_edges(text: str) -> str:
    """A part of a message without the fillers around it ("ok so, ", " please!!", " 💕")."""
    text = _EDGE_SYMBOLS.sub("", squeeze(text)).strip(" ,.;:!?-–—\"'()")
    for _ in range(3):
        text = _EDGE_FILLERS.sub("", text)
        text = _EDGE_FILLERS_END.sub("", text).strip(" ,.;:!?-–—\"'()")
        text = _EDGE_SYMBOLS.sub("", text).strip(" ,.;:!?-–—\"'()")
    return text


# "can you add that it's about acne scars": a question's shape, a correction's meaning.
CHANGE_REQUEST = re.compile(r"\b(?:can|could|would|will) (?:you|u|ye) (?:please |pls )?(?:add|change|make|put|update"
                            r"|fix|correct|set|switch)\b", re.I)


def is_question(part: str) -> bool:
    part = squeeze(part)
    if CONTACT_REQUEST.search(part) or CHANGE_REQUEST.search(part):
        return False
    return part.endswith("?") or bool(QUESTION_START.match(_EDGE_FILLERS.sub("", part)))


# Irish surnames' article after Mac, Nic, Ní ("Mac an tSaoi", "Nic an Bhaird").
_IRISH_PATRONYMIC = {"mac", "mc", "nic", "ní", "ni", "ó", "o", "ua", "uí"}


def _name_particle(words: list[str], i: int) -> bool:
    return words[i] == "an" and 0 < i < len(words) - 1 and words[i - 1] in _IRISH_PATRONYMIC


_NAME_PARTICLES = {"de", "la", "del", "van", "von", "der", "den", "bin", "bint", "ibn", "da", "dos", "di", "le"}


def plausible_name(text: str) -> bool:
    """Whether ``text`` can be a person's name: one to five words of letters, none of them a
    word that names never hold ("evenings", "where", "acne"), and no everyday word in lower
    case among capitalised ones ("Omar Said" is a name, "Omar said" is not)."""
    text = squeeze(text)
    if not text or len(text) > details.MAX_NAME or "?" in text:
        return False
    words = text.split()
    longest = 6 if any(w.lower() in _NAME_PARTICLES for w in words) else 5
    if not 1 <= len(words) <= longest or not all(re.fullmatch(_NAME_TOKEN, w) for w in words):
        return False
    lowered = [w.lower().strip(".") for w in words]
    if any((w in NOT_NAME or re.sub(r"(\w)\1{2,}", r"\1", w) in NOT_NAME) and not _name_particle(lowered, i)
           for i, w in enumerate(lowered)):
        return False
    if is_yes(text):  # "k", "ya", "go ahead": a yes typed at the wrong question
        return False
    if all(w in NOT_NAME_LOWER for w in lowered):
        return False
    if len(words) >= 2 and text == text.lower() and any(w in NOT_NAME_LOWER for w in lowered):
        return False  # "never heard back", "im thinking": words of a sentence, in lower case
    return not TIME_PHRASE.search(text)


def looks_like_time(text: str) -> bool:
    """Whether ``text`` says when: a day, a part of the day, an hour, "any time"..."""
    return bool(TIME_PHRASE.search(text) or _LOOSE_TIME.search(text))


# "any time really but mornings r better": the time preferred ("mornings but tuesdays are better"
# says both).
_PREFERRED_TIME = re.compile(r"\b(?:any ?time|whenever|any day|either)\b.*?\bbut\s+(?P<time>.+?)\s+"
                             r"(?:r|are|is|'re|'s|would be|work|works|suit|suits)\s+"
                             r"(?:better|best|preferable|ideal|easier|easiest)\b", re.I)
# "after 6pm, i work mornings": why the time suits, said after it; "mornings, i'm free till 12" and
# "tuesday, i'm busy after 3" say more of the time and stay.
_TIME_REASON = re.compile(r",\s*(?:as |because |cos |coz |since )?(?:i|i'm|im|i am)\s+(?:work|working|at work|in work)"
                          r"(?:\s+\w+)?[\s.!]*$", re.I)


# "after 7pm, i work til 6", "between 12 and 1 is best because lunch", "whenever, im off work this
# month": why the time suits, said after it. "mornings, i'm free till 12" and "tuesday, i'm busy
# after 3" say more of the time and stay.
_TIME_ASIDE = re.compile(r"(?:\s*[,.;]\s*|\s+(?:pls|please)\s+|\s+(?=because\b|cos\b|coz\b|since\b|bc\b))"
                         r"(?P<aside>(?P<reason>because|cos|coz|since|bc)\b.*|(?:i|i'm|im|i am|i've|ive|i have|i'll|ill"
                         r"|my)\s+(?!(?:free|busy|available|around|only|not|can|can'?t|cannot|could|out|flexible|easy|be"
                         r"|mean|meant|also|will|finish|start)\b).*|(?:forgot|cause|cuz)\b.*)$", re.I)
# "im on nights so any time after 2", "after work. so like after 6": what leads to the time.
_TIME_PREAMBLE = re.compile(r"^(?:(?:i'?m|im|i am|i)\b[^,.]{0,40}?\bso|[^.]{1,40}\.\s*so)\s+(?:like\s+)?", re.I)
# "not friday, monday or tuesday", "not evenings, mornings before work", "wait no mornings are bad,
# any time after 2": the time taken back first.
_TIME_TAKEN_BACK = re.compile(r"^(?:(?:sorry|actually|no|wait)\s+)*(?:not\s+[^,]+"
                              r"|[^,]+?\s+(?:are|is|r)\s+(?:bad|no good|not good|no use|out))\s*,\s*", re.I)
def time_value(text: str) -> str:
    """A reply to "when?" as the visitor put it, without the lead-in and the comment
    ("I'd prefer mondays" -> "mondays", "evenings are usually best for me" -> "evenings")."""
    value = clean_edges(text)
    preferred = _PREFERRED_TIME.search(value)
    if preferred and looks_like_time(preferred.group("time")):
        value = preferred.group("time")
    reason = _TIME_REASON.search(value)
    if reason and looks_like_time(value[:reason.start()]):
        value = value[:reason.start()]
    aside = _TIME_ASIDE.search(value)
    # An aside that says when stays ("Monday, i work nights so any time after 12", "tomorrow, i
    # finish at 3"); a reason goes unless it makes an exception ("since i work evenings, but not friday").
    if aside and TIME_PHRASE.search(value[:aside.start()]) and (
            not TIME_PHRASE.search(aside.group("aside"))
            or (aside.group("reason") and not re.search(r"\b(?:not|but|except|only)\b", aside.group("aside"), re.I))):
        value = value[:aside.start()]
    for opening in (_TIME_TAKEN_BACK, _TIME_PREAMBLE):
        found = opening.match(value)
        if found and TIME_PHRASE.search(value[found.end():]):
            value = value[found.end():]
    match = TIME_PHRASE.search(value)
    if match:
        lead = TIME_LEAD.search(value[:match.start()])
        if lead:
            value = value[:lead.start()] + value[match.start():]
        match = TIME_PHRASE.search(value)
        tail = TIME_TAIL.match(value[match.end():]) if match else None
        if match and tail:
            value = value[:match.end()] + value[match.end() + tail.end():]
    value = re.sub(r"^(?:(?:honestly|eh|em|erm|um|hmm|well|like|ok|okay|i'?d prefer|i prefer|prefer|ideally|preferably"
                   r"|best(?: is)?|the best time is|usually)[\s,]+)+",
                   "", value, flags=re.I)
    # Fillers go; a hedge after the time stays ("before 11 ideally": the clinic's team learns
    # that 11 is no hard limit).
    value = re.sub(r"(?:\s+(?:instead|actually|please|pls|thanks|really|tbh|tho|though|if poss|if possible"
                   r"|if that'?s (?:ok|okay|alright)|if thats (?:ok|okay|alright)|works|is grand|is fine|so"
                   r"|to be honest|i guess|i think|i suppose))+$", "", value, flags=re.I)
    value = re.sub(r"^on\s+(?=\S)", "", value, flags=re.I)  # "on Monday morning"
    return clean_edges(value)


# "wrinkles n fine lines, I'm 52 so": the visitor's age, said beside the concern.
_AGE_ASIDE = re.compile(r"[\s,;-]+(?:i'?m|im|i am)\s+(?:only\s+|nearly\s+|almost\s+|in my\s+)?\d{2}s?"
                        r"(?:\s*(?:yrs?|years?)(?:\s*old)?)?(?:\s+(?:so|lol|haha|tho|now))*[\s.!]*$", re.I)


# "microneedling for my acne scars", "treating my acne scars": the treatment before the concern it
# is for. Only where a concern follows: "microneedling for my face" says what for.
_TREATMENT_FOR = re.compile(r"^(?:(?:micro[- ]?needling|microneedlign|skin needling|the treatment|treatment)"
                            r"\s+(?:for|on)|treating|treatment for)\s+(?:(?:my|the|some)\s+)?", re.I)


def concern_value(text: str) -> str:
    """A reply to "what is it about?" as the visitor put it, without "it's about my"."""
    value = clean_edges(text)
    value = _CONCERN_FILLER_LEAD.sub("", value)
    treatment = _TREATMENT_FOR.match(value)
    if treatment and CONDITION.match(value[treatment.end():]):
        value = value[treatment.end():]
    value = _CONCERN_FILLER_TAIL.sub("", value)
    value = _AGE_ASIDE.sub("", value)
    taken_back = re.search(r"(?P<comma>\s*,\s*|(?<!\bbut)(?<!\band)\s+)not\s+(?:the\s+|my\s+)?(?P<old>[a-z' -]{1,30})$",
                           value, re.I)
    if taken_back and CONDITION.search(value[:taken_back.start()]) and (
            "," in taken_back.group("comma") or CONDITION.fullmatch(taken_back.group("old").strip())):
        value = value[:taken_back.start()]  # "the scar on my knee from a fall, not acne"
    return value.strip(" ,.;:!?-–—\"'()")




# "change my email": which detail the visitor means, by the words they use.
WHICH_WORDS = {
    NAME: ["name", "spelled", "spelt"],
    CONTACT: ["email", "e-mail", "mail", "phone", "number", "mobile", "contact", "address"],
    TIME: ["time", "when", "day", "morning", "afternoon", "evening"],
    CONCERN: ["concern", "treatment", "about", "topic", "reason"],
}
