"""Whose attribute a value is: the person an age, name, condition or custody
value describes, and that person's role in the story.

A news story names many people besides the one who was shot: officials ("the
secretary, 54"), relatives ("her brother, 29"), neighbours who speak, the
officer who fired. A value a claim cue finds is bound to the person mention it
is attached to in its clause (the noun after "37-year-old", the name or noun
before "Name, 41,", the subject of "was released from the hospital", the noun
an appositive name stands beside), and that person to a role through the words
that describe them and through the article's coreference (the `Cast`: the
named victim and shooter, people the rules know, and nouns the article has
used for someone who was shot: "the driver", "the man who was shot").

claims.py keeps a victim slot's value only when its holder is the victim or
unknown (nothing contradicts it), and a shooter's name only for shooter_name.
Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from monitor.analysis.claim_values import names_agree
from monitor.model import Entity, EntityKind


class Role(StrEnum):
    """What a person is in the story of a shooting."""

    VICTIM = "victim"
    SHOOTER = "shooter"
    OFFICIAL = "official"
    RELATIVE = "relative"
    WITNESS = "witness"
    OTHER = "other"
    UNKNOWN = "unknown"


# Slots whose value describes the person shot, and the one that describes who fired.
VICTIM_SLOTS = frozenset({"victim_age", "victim_name", "victim_condition", "in_custody"})
SHOOTER_SLOTS = frozenset({"shooter_name"})

_NOUNS: dict[Role, str] = {
    Role.SHOOTER: r"officers?|agents?|deput(?:y|ies)|troopers?|shooters?|gunm[ae]n",
    Role.OFFICIAL: (
        r"secretary|mayor|governor|gov|chief|spokes(?:person|man|woman)|senator|sen|rep"
        r"|representative|congress(?:man|woman)|president|commissioner|sheriff|director"
        r"|officials?|council\s?(?:member|man|woman)|lawmakers?|leaders?|judge|prosecutors?"
        r"|administrator|superintendent|czar"
    ),
    Role.RELATIVE: (
        r"brothers?|sisters?|mothers?|fathers?|sons?|daughters?|wife|husband|uncles?|aunts?"
        r"|cousins?|grand(?:mother|father|son|daughter|parent)s?|nieces?|nephews?|partner"
        r"|fianc[ée]e?|boyfriend|girlfriend|step(?:father|mother|son|daughter)s?|parents?"
        r"|siblings?|relatives?|mom|dad|family member"
    ),
    Role.WITNESS: r"(?:eye)?witness(?:es)?|neighbou?rs?|onlookers?|passers?-?by",
    Role.OTHER: (
        r"friends?|co-?workers?|colleagues?|classmates?|pastors?|teachers?|lawyers?"
        r"|attorneys?|employers?|boss|roommates?|landlords?|organi[sz]ers?"
    ),
    Role.VICTIM: r"victims?",
}
# Nouns for people in general: they say nothing of the role by themselves.
PERSON_NOUNS = (
    r"people|persons?|m[ae]n|wom[ae]n|drivers?|passengers?|individuals?|protesters?"
    r"|bystanders?|children|child|teen(?:ager)?s?|boys?|girls?|citizens?|immigrants?"
    r"|motorists?|pedestrians?|residents?|others|suspects?|occupants?|activists?|migrants?"
    r"|workers?|students?|observers?|journalists?"
)
# Every noun for a person, of any role: what a coordinated count adds up.
PEOPLE_NOUNS = "|".join([*_NOUNS.values(), PERSON_NOUNS])
_ANY_NOUN = PEOPLE_NOUNS
# "her brother", "the victim's mother", "Good's sister": a relative of someone.
_POSSESSED = re.compile(r"(?i:(?:\b(?:his|her|their|my|our)|'s|’s)\s+(?:[\w-]+\s+)?$)")
_KIN_OF = re.compile(r"(?i:^\s+of\s+(?:the\s+)?(?:victim|dead|slain|man|woman|(?-i:[A-Z])))")
# "a 3-year-old daughter": a kin word after an age, then what follows it. The kin is
# the person shot only when described ("mother of three") or said to be shot.
_AGED_KIN = re.compile(
    rf"(?i:^\s+(?:[\w'’-]+\s+)?(?P<kin>{_NOUNS[Role.RELATIVE]})\b(?P<rest>.{{0,60}}))"
)
_KIN_SHOT_OR_DESCRIBED = re.compile(
    r"(?i:^\s+(?:of\s+(?:\d+|two|three|four|five|six|seven|eight|nine|ten|several)\b"
    r"|(?:who|that)?\s*(?:was|were|had been|is)\s+(?:\w+\s+)?"
    r"(?:shot|hit|struck|wounded|killed|injured)\b))"
)
_SHOT_VERB = re.compile(
    r"(?i:\b(?:shot|killed|wounded|injured|shooting of|killing of|death of)"
    r"(?:\s+(?:and\s+)?(?:killed|wounded))?\s+(?:(?!by\b)[\w-]+\s+){0,3}?$)"
)
_WHO_FIRED = re.compile(r"(?i:^,?\s+(?:who|that)\s+(?:\w+\s+)?(?:shot|fired|killed|opened fire))")
_WHO_WAS_SHOT = re.compile(
    r"(?i:^,?\s+(?:who|that)\s+(?:was|had been|were)\s+(?:\w+\s+)?(?:shot|killed|wounded))"
)
# "X, 60, said": an age whose holder goes on to speak.
_SPEAKS_AFTER = re.compile(r"(?i:^\s*,?\s*(?:said|says|told|recalled|added|explained)\b)")
_SAY_CUT = re.compile(
    r"(?i:\b(?:said|says|say|told\s+\w+|stated|confirmed|reported|added|wrote|explained"
    r"|described|characteri[sz]ed|listed|according\s+to\s+[^,]+,)\s+(?:that\s+)?)"
)
_SUBORDINATE_OPENER = re.compile(r"(?i:^\W*(?:after|when|as|before|while|since|once|because)\b)")
_LEARN_VICTIM_NOUN = (
    re.compile(
        rf"(?i:\b(?:shot|killed|wounded)(?:\s+and\s+(?:killed|wounded))?\s+(?:an?|the)\s+"
        rf"(?:[\w'’-]+\s+){{0,3}}?(?P<noun>{_ANY_NOUN})\b)"
    ),
    re.compile(
        rf"(?i:\b(?P<noun>{_ANY_NOUN})\s+(?:who|that)\s+(?:was|had been|were)\s+"
        rf"(?:\w+\s+)?(?:shot|killed|wounded)\b)"
    ),
    re.compile(
        rf"(?i:\b(?P<noun>{_ANY_NOUN})\s+(?:was|were|had been)\s+(?:\w+ly\s+)?"
        rf"(?:shot|killed|wounded)\b(?!\s+at\b))"
    ),
    # "the man shot in the leg by an officer", "the woman killed Wednesday": a noun the
    # participle describes (not "the driver shot at agents", nor "the officer shot him").
    re.compile(
        rf"(?i:\b(?:the|an?)\s+(?:[\w'’-]+\s+){{0,2}}?(?P<noun>{_ANY_NOUN})\s+(?:\w+ly\s+)?"
        rf"(?:shot|killed|wounded)\s+(?:in|by|on"
        rf"|during|near|outside|inside|last|early|late|this|Monday|Tuesday|Wednesday|Thursday"
        rf"|Friday|Saturday|Sunday|Jan|Feb|Mar|and)\b)"
    ),
)
_ROLE_TEXT = (
    (Role.SHOOTER, re.compile(r"(?i:\bwho (?:shot|fired|killed)\b)")),
    (Role.VICTIM, re.compile(r"(?i:\b(?:shot|killed|wounded)\b)")),
    (Role.OFFICIAL, re.compile(rf"(?i:\b(?:{_NOUNS[Role.OFFICIAL]})\b)")),
)


@dataclass(slots=True)
class Cast:
    """The article's people so far: who is the victim, who fired, who else."""

    names: list[tuple[str, Role]] = field(default_factory=list)
    victim_nouns: set[str] = field(default_factory=set)

    def role_of_name(self, name: str) -> Role:
        """The role of a person known by this name (latest first), else UNKNOWN."""
        for known, role in reversed(self.names):
            if names_agree(name, known):
                return role
        return Role.UNKNOWN

    def learn_name(self, name: str, role: Role) -> None:
        """Remember that `name` is the victim or the shooter (from an accepted claim)."""
        if self.role_of_name(name) is Role.UNKNOWN:
            self.names.append((name, role))

    def learn_sentence(self, text: str) -> None:
        """Remember the nouns this sentence uses for someone who was shot."""
        for pattern in _LEARN_VICTIM_NOUN:
            for found in pattern.finditer(text):
                noun = _singular(found.group("noun"))
                if _noun_role(noun) not in (Role.SHOOTER, Role.OFFICIAL):
                    self.victim_nouns.add(noun)


def cast_from_entities(entities: Iterable[Entity]) -> Cast:
    """The people the rules know, with the role their description gives."""
    cast = Cast()
    for entity in entities:
        if entity.kind is not EntityKind.PERSON:
            continue
        role = next((r for r, p in _ROLE_TEXT if p.search(entity.role)), Role.UNKNOWN)
        if role is not Role.UNKNOWN:
            for name in (entity.name, *entity.aliases):
                cast.names.append((name, role))
    return cast


def fits(slot: str, role: Role) -> bool:
    """Whether a value held by a person of `role` may fill `slot`."""
    if slot in VICTIM_SLOTS:
        return role in (Role.VICTIM, Role.UNKNOWN)
    if slot in SHOOTER_SLOTS:
        return role in (Role.SHOOTER, Role.UNKNOWN)
    return True


def holder_role(slot: str, clause: str, start: int, end: int, cast: Cast) -> Role:
    """The role of the person the value at clause[start:end] describes."""
    if slot in ("victim_name", "shooter_name"):
        return _name_role(clause, start, end, cast)
    if slot == "victim_age":
        return _age_role(clause, start, end, cast)
    if slot == "victim_condition":
        return _subject_role(clause[:start], cast)
    if slot == "in_custody":
        return _first_role(clause[start:end], cast)
    return Role.UNKNOWN


# --------------------------------------------------------------------- binding

# "... is NAME", "... was identified as NAME": the name is the subject's.
_COPULA_END = re.compile(
    r"(?i:\b(?:is|was|(?:identified|named)(?:\s+(?!as\b)[\w.]+){0,3}?\s+as)\s+$)"
)
# ", a neighbor," after a name: a noun phrase closed by a comma (", his cousin said" is not).
_APPOSITIVE = re.compile(
    r"\s*,\s+((?:an?|the|his|her|their)\s+(?:[\w'’-]+\s+){0,3}?[\w'’-]+)\s*(?:,|$)"
)
# "shot by an Immigration and Customs Enforcement officer": who acted, up to where the
# subject's own predicate or a place or time resumes.
_BY_PHRASE = re.compile(
    r"(?i:\bby\s+(?:(?!(?:is|was|were|are|has|have|had|in|on|at|near|during|after|when|who"
    r"|outside|inside)\b)[\w'’.()-]+\s*){1,8})"
)
_TOKEN = re.compile(r"[\w'’.-]+|,")
_PRONOUN = re.compile(r"(?i:he|she|they|him|her|them|his|their)")


def _name_role(clause: str, start: int, end: int, cast: Cast) -> Role:
    """A name's role: what the article knows of it, else the words around it."""
    known = cast.role_of_name(clause[start:end])
    if known is not Role.UNKNOWN:
        return known
    before, after = clause[:start], clause[end:]
    if _WHO_FIRED.match(after):
        return Role.SHOOTER
    if _SHOT_VERB.search(before) or _WHO_WAS_SHOT.match(after):
        return Role.VICTIM  # the object of the shooting, whatever else they are
    # "Secretary Kristi Noem", "neighbor Carla Mendes", "the driver, Marco Diaz,"
    titled = _tail_role(before + "Name", cast)
    if titled is not Role.UNKNOWN:
        return titled
    # "Marco Diaz, a neighbor, said"
    if apposed := _APPOSITIVE.match(after):
        return _tail_role(apposed.group(1), cast)
    if _COPULA_END.search(before):  # "The man who shot him is Jonathan Ross"
        return _subject_role(before, cast)
    return Role.UNKNOWN


_IS_A = re.compile(r"(?i:\b(?:is|was)\s+(?:an?\s+)?$)")


def _age_role(clause: str, start: int, end: int, cast: Cast) -> Role:
    """An age's holder: the noun after "37-year-old", the name or noun before "X, 41,"."""
    before, after = clause[:start], clause[end:]
    if after.startswith("-year-old"):
        rest = after[len("-year-old") :]
        role = _first_role(rest[:60], cast)
        if role is Role.UNKNOWN and _someone_elses_kin(rest, cast):
            return Role.RELATIVE
        if role is Role.UNKNOWN and (copula := _IS_A.search(before)):
            # "The man who was shot is a 24-year-old father": the subject's age.
            return _subject_role(before[: copula.start()], cast)
        return role
    if re.search(r"(?i:\b(?:is|was)\s+$)", before):  # "the man ... was 29 years old"
        return _subject_role(before, cast)
    holder = re.sub(r"(?i:\s*,?\s*(?:aged\s*)?$)", "", before)
    role = _tail_role(holder, cast)
    if role is Role.UNKNOWN and _SPEAKS_AFTER.match(after.lstrip(" ,0123456789")):
        return Role.WITNESS  # "Carla Mendes, 60, said she heard shots"
    return role


def _someone_elses_kin(rest: str, cast: Cast) -> bool:
    """ "a 3-year-old daughter", "their 2-year-old son": a kin word the article never
    used for the person shot, neither described as a person ("a mother of three") nor
    said to be shot, is somebody's relative."""
    aged = _AGED_KIN.match(rest)
    if aged is None or _singular(_plain(aged.group("kin"))) in cast.victim_nouns:
        return False
    return not _KIN_SHOT_OR_DESCRIBED.match(aged.group("rest"))


def _subject_role(before: str, cast: Cast) -> Role:
    """The role of whom a predicate speaks: the last person before it in its clause.

    What a speaker said starts after the verb of saying; a subordinate opener
    ("After the agent fired, ...") and "by ..." phrases name someone else.
    """
    cuts = list(_SAY_CUT.finditer(before))
    text = before[cuts[-1].end() :] if cuts else before
    if _SUBORDINATE_OPENER.match(text) and "," in text:
        text = text[text.index(",") + 1 :]
    text = _BY_PHRASE.sub(" ", text)
    for token in reversed(list(_TOKEN.finditer(text))):
        role = _token_role(text, token, cast)
        if role is not None:
            return role
    return Role.UNKNOWN


def _first_role(text: str, cast: Cast) -> Role:
    """The role of the first person named in `text` (its first four words)."""
    for token in list(_TOKEN.finditer(text))[:4]:
        role = _token_role(text, token, cast)
        if role is not None:
            return role
    return Role.UNKNOWN


def _tail_role(text: str, cast: Cast) -> Role:
    """The role of the person `text` ends with: a name and its title or appositive noun,
    or a noun ("the secretary", "her brother", "Homeland Security Secretary Kristi Noem")."""
    tokens = list(_TOKEN.finditer(text[-100:]))
    text = text[-100:]
    name: list[str] = []
    while tokens and _is_name_word(tokens[-1].group(), cast):
        name.insert(0, tokens.pop().group())
    if name and (known := cast.role_of_name(" ".join(name))) is not Role.UNKNOWN:
        return known
    if name and tokens and tokens[-1].group() == ",":
        tokens.pop()  # "the driver, Marco Diaz"
    if not tokens:
        return Role.UNKNOWN
    titled = _token_role(text, tokens[-1], cast)
    return Role.UNKNOWN if titled is None else titled


def _is_name_word(word: str, cast: Cast) -> bool:
    if not word[:1].isupper() or word == ",":
        return False
    return _token_noun_role(word, cast) is None


def _token_role(text: str, token: re.Match[str], cast: Cast) -> Role | None:
    """The role a word gives its person; None when the word names no person."""
    word = token.group()
    noun = _token_noun_role(word, cast)
    if noun is None:
        if _PRONOUN.fullmatch(word):
            return Role.UNKNOWN
        name = _name_at(text, token.start())
        known = cast.role_of_name(name) if name else Role.UNKNOWN
        return None if known is Role.UNKNOWN else known
    if _noun_role(_plain(word)) is Role.RELATIVE:
        # "her brother" is someone's relative, even when the article's victim is a brother.
        kin = _POSSESSED.search(text[: token.start()]) or _KIN_OF.match(text[token.end() :])
        if kin or word.lower().startswith("relative"):
            return Role.RELATIVE
        return Role.VICTIM if noun is Role.VICTIM else Role.UNKNOWN
    return noun


def _token_noun_role(word: str, cast: Cast) -> Role | None:
    """The role of a noun for people (UNKNOWN for "man"); None if not such a noun."""
    noun = _plain(word)
    if _singular(noun) in cast.victim_nouns:
        return Role.VICTIM
    role = _noun_role(noun)
    if role is not Role.UNKNOWN:
        return role
    return Role.UNKNOWN if re.fullmatch(PERSON_NOUNS, noun, re.IGNORECASE) else None


def _plain(word: str) -> str:
    return word.rstrip(".,").lower().replace("’", "'").removesuffix("'s")


def _name_at(text: str, start: int) -> str:
    """The capitalised run starting at `start` ("Carla Mendes")."""
    run = re.match(r"(?-i:[A-Z][\w'’-]+(?:\s+[A-Z]\.?)?(?:\s+[A-Z][\w'’-]+){0,3})", text[start:])
    return run.group() if run else ""


def _noun_role(noun: str) -> Role:
    for role, pattern in _NOUNS.items():
        if re.fullmatch(pattern, noun, re.IGNORECASE):
            return role
    return Role.UNKNOWN


def _singular(noun: str) -> str:
    """'Officers' -> 'officer'; possessives dropped: the key the cast remembers."""
    word = noun.lower().replace("’", "'").removesuffix("'s")
    return word[:-1] if word.endswith("s") and not word.endswith(("ss", "us")) else word
