"""Value normalisation for claims: counts, clock times and personal names.

Input: the raw text a cue captured. Output: a JSON-able value (int, "HH:MM",
a cleaned name, a known person's name as news writes it) or None when the text
is not a usable value. Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from monitor.model import Entity, EntityKind

# Spelled-out counts a reporter uses. Longer phrases come first in the regex so
# "a dozen" wins over "a". "both" is two; "no one" is zero.
NUMBER_WORDS: dict[str, int] = {
    "no one": 0, "nobody": 0, "none": 0, "no": 0,
    "a single": 1, "a lone": 1, "single": 1, "a": 1, "an": 1, "one": 1,
    "two": 2, "both": 2, "a pair of": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "a dozen": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "a hundred": 100, "one hundred": 100,
}  # fmt: skip

_ARTICLES = {"a", "an", "a single", "a lone", "single", "a pair of"}
_NEGATIVES = {"no one", "nobody", "none", "no"}
_DIGITS = r"\d{1,3}(?:,\d{3})+|\d+"


def _alternation(words: list[str]) -> str:
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered)


# Numbers without "a"/"an" and "no": safe wherever a noun follows loosely.
COUNT_WORDS = (
    rf"{_DIGITS}|"
    + _alternation([w for w in NUMBER_WORDS if w not in _ARTICLES and w not in _NEGATIVES])
    + r"|a\s+dozen|a\s+hundred"
)
# Numbers including "a"/"an"/"no": only where a specific noun must follow.
COUNT_WORDS_WITH_ARTICLES = rf"{_DIGITS}|" + _alternation(list(NUMBER_WORDS))


def parse_count(text: str) -> int | None:
    """'2,000' -> 2000, 'two' -> 2, 'a' -> 1, 'the two' -> 2; None if not a count."""
    words = " ".join(text.lower().split())
    words = words.removeprefix("the ")
    if re.fullmatch(_DIGITS, words):
        return int(words.replace(",", ""))
    return NUMBER_WORDS.get(words)


# ------------------------------------------------------------------------- times

PM_ASSUMED = "pm_assumed"
_TIME = re.compile(r"(\d{1,2})(?::(\d{2}))?\s*(?:([ap])\.?\s?m\b\.?)?", re.IGNORECASE)


def parse_time(text: str, *, is_afternoon: bool) -> tuple[str, str | None] | None:
    """A clock time as ('HH:MM' in 24h local time, qualifier) or None.

    An explicit a.m./p.m. decides. "noon"/"midnight" are 12:00/00:00. A bare
    "h:mm" with an hour of 1-6 is read as p.m.: shootings reported with a bare
    "2:19" are afternoon events in practice. When the article itself says
    afternoon (`is_afternoon`), that reading is certain; otherwise it is marked
    with the qualifier PM_ASSUMED so comparison can accept the a.m. reading too.
    Bare hours 7-12 are taken as written (morning, or 12 noon), likewise marked.
    """
    lowered = text.strip().lower()
    if lowered == "noon":
        return "12:00", None
    if lowered == "midnight":
        return "00:00", None
    found = _TIME.fullmatch(lowered)
    if found is None:
        return None
    hour, minute = int(found.group(1)), int(found.group(2) or 0)
    meridiem = found.group(3)
    if hour > 23 or minute > 59:
        return None
    qualifier: str | None = None
    if meridiem == "p" and hour < 12:
        hour += 12
    elif meridiem == "a" and hour == 12:
        hour = 0
    elif meridiem is None and 1 <= hour <= 12:
        if hour <= 6:
            hour += 12
        qualifier = None if is_afternoon and hour > 12 else PM_ASSUMED
    return f"{hour:02d}:{minute:02d}", qualifier


def time_readings(value: str, qualifier: str | None) -> set[int]:
    """Minutes after midnight of every reading of a time (both halves if assumed)."""
    hour, minute = (int(part) for part in value.split(":"))
    minutes = {hour * 60 + minute}
    if qualifier == PM_ASSUMED:
        minutes.add(((hour + 12) % 24) * 60 + minute)
    return minutes


# ------------------------------------------------------------------------- names

_TITLES = {
    "mr", "mr.", "ms", "ms.", "mrs", "mrs.", "miss", "dr", "dr.", "officer", "agent",
    "chief", "mayor", "gov", "gov.", "governor", "sen", "sen.", "senator", "rep",
    "rep.", "secretary", "president", "vice", "judge", "sheriff", "police", "council",
    "homeland", "security", "attorney", "general", "deputy", "director", "sgt", "sgt.",
    "lt", "lt.", "commissioner", "spokesperson", "spokesman", "spokeswoman", "us", "u.s.",
}  # fmt: skip
_NOT_NAME_WORDS = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december", "the", "a", "an", "in", "on",
    "immigration", "customs", "enforcement", "border", "patrol", "department", "federal",
    "minneapolis", "portland", "minnesota", "oregon", "ice", "dhs", "fbi", "cbp",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
}  # fmt: skip
# A personal name as a cue captures it (group `value`): an honorific and a surname
# ("Ms Good"), or two to four capitalised words ("Ana Maria Ruiz Lopez"), with a
# middle initial, dotted or bare ("John Q. Smith", "John Q Smith").
NAME_PATTERN = (
    r"(?P<value>(?-i:(?:Mr|Ms|Mrs|Dr)\.?\s+[A-Z][\w'’-]+"
    r"|[A-Z][\w'’-]+(?:\s+[A-Z]\.?(?=\s+[A-Z]))?(?:\s+[A-Z][\w'’-]+){1,3}))"
)
# "Ms Good": an honorific and a surname (group 1).
HONORIFIC = re.compile(r"(?-i:\b(?:Mr|Ms|Mrs|Dr)\.?\s+([A-Z][\w'’-]+))")


def clean_name(text: str, *, keep_titles: bool = False) -> str | None:
    """A personal name without titles or trailing day words, or None if not a name.

    Names need two words ("Renee Good") unless they came with an honorific
    ("Ms Good"), which `keep_titles` keeps so aliases can resolve it.
    """
    words = text.replace("’", "'").split()
    honorific = bool(words) and words[0].lower().rstrip(".") in {"mr", "ms", "mrs", "dr"}
    while words and words[-1].lower().strip(".,") in _NOT_NAME_WORDS:
        words.pop()
    if not keep_titles or not honorific:
        while words and words[0].lower() in _TITLES:
            words.pop(0)
    if any(w.lower().strip(".,") in _NOT_NAME_WORDS for w in words):
        return None
    # "John Q Smith" is written "John Q. Smith" too: one spelling for both.
    words = [f"{w}." if len(w) == 1 and w.isupper() else w for w in words]
    needed = 2
    return " ".join(words) if len(words) >= needed else None


def name_tokens(name: str) -> set[str]:
    """Lower-case name words without honorifics or initials."""
    words = {w.lower().strip(".,'") for w in name.replace("’", "'").split()}
    return {w for w in words if len(w) > 1 and w not in _TITLES}


def names_agree(first: str, second: str) -> bool:
    """'Renee Good' agrees with 'Renee Nicole Good' and 'Ms Good' (word subset)."""
    a, b = name_tokens(first), name_tokens(second)
    return bool(a) and bool(b) and (a <= b or b <= a)


def canonical_person(raw: str, entities: Sequence[Entity]) -> str | None:
    """A name as news usually writes a known person ("Renee Nicole Good" -> "Renee Good")."""
    name = clean_name(raw, keep_titles=True)
    if name is None:
        return None
    tokens = name_tokens(name)
    people = [e for e in entities if e.kind is EntityKind.PERSON]
    matching = [e for e in people if tokens and tokens <= _entity_tokens(e)]
    if len(matching) == 1:
        return display_name(matching[0])
    return None if HONORIFIC.fullmatch(name) else name


def _entity_tokens(entity: Entity) -> set[str]:
    tokens = name_tokens(entity.name)
    for alias in entity.aliases:
        tokens |= name_tokens(alias)
    return tokens


def display_name(entity: Entity) -> str:
    """The shortest full name (two words or more) among the entity's names."""
    full = [a for a in (entity.name, *entity.aliases) if len(a.split()) >= 2]
    return min(full, key=len) if full else entity.name


AT_LEAST = "at_least"

# How a qualifier reads in an alert: "more_than" 2000 -> "more than 2,000".
QUALIFIER_WORDS: dict[str, str] = {
    "more_than": "more than",
    "at_least": "at least",
    "about": "about",
    "almost": "almost",
    "fewer_than": "fewer than",
    "at_most": "at most",
    "shortly_before": "shortly before",
    "shortly_after": "shortly after",
    "just_before": "just before",
    "just_after": "just after",
}


def shown_value(value: int | str | bool, qualifier: str | None) -> str:
    """A value as a reader writes it: '2,000', 'about 14:15', '14:19 (no a.m./p.m. given)'."""
    text = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
    if qualifier == PM_ASSUMED:
        return f"{text} (no a.m./p.m. given)"
    words = QUALIFIER_WORDS.get(qualifier or "")
    return f"{words} {text}" if words else text
