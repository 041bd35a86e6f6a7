"""Geography: states and territories, counties, USCIS offices, named regions.

* States, territories and DC (name, USPS code, FIPS, AP abbreviation) come from the ``us``
  package; county 5-digit FIPS codes from ``addfips`` and ``us`` (Census tables). Nothing here
  is a hand-typed copy of those tables.
* Census regions and divisions, and named regions such as the San Joaquin Valley, are data:
  ``analysis/data/regions.yml``, each with the citation of its definition.
* USCIS service centers: ``analysis/data/uscis_offices.csv``.

Every lookup that fails raises :class:`GeographyError` naming the value and close matches; a
name never silently becomes NaN.

>>> state_code("Calif.")
'CA'
>>> county_fips("Kern", "California")
'06029'
>>> region("san-joaquin-valley").level
'county'
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

import addfips
import us

from analysis.errors import ParoleError
from analysis.limits import load_yaml

# Forms found in published tables that neither package knows (keys are normalised by _norm).
_ALIASES = {
    "calif": "CA",
    "washington dc": "DC",
    "washington d c": "DC",
    "d c": "DC",
    "dist of columbia": "DC",
    "us virgin islands": "VI",
    "u s virgin islands": "VI",
    "united states virgin islands": "VI",
    "virgin islands of the united states": "VI",
    "usvi": "VI",
    "commonwealth of puerto rico": "PR",
    "n mariana islands": "MP",
    "commonwealth of the northern mariana islands": "MP",
    "cnmi": "MP",
}

# County-equivalent words dropped before comparing county names ("Kern County" ~ "Kern").
_COUNTY_WORDS = re.compile(
    r"\b(county|parish|borough|census area|city and borough|municipality|municipio|"
    r"island|district)\b")


class GeographyError(ParoleError):
    """A place name or code that does not resolve."""


class AmbiguousRegionError(GeographyError):
    """A region name with several common definitions; the user must choose one."""

    def __init__(self, name: str, candidates: tuple[str, ...], note: str) -> None:
        self.name = name
        self.candidates = candidates
        super().__init__(
            f"region {name!r} has no single definition: choose one of "
            f"{', '.join(candidates)} ({note})")


def _norm(text: object) -> str:
    """Lower case ASCII words: "Doña Ana" -> "dona ana", "Miami-Dade" -> "miami dade"."""
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    plain = plain.replace("&", " and ")
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9]+", " ", plain.lower())).strip()


def _close(key: str, choices: Iterable[str], n: int = 3) -> str:
    found = difflib.get_close_matches(key, list(choices), n=n, cutoff=0.6)
    return f"; close matches: {', '.join(found)}" if found else ""


# --------------------------------------------------------------------------- states


@dataclass(frozen=True)
class State:
    """A state, territory or DC with its codes and its Census region and division."""

    name: str
    usps: str
    fips: str
    ap_abbr: str | None
    is_territory: bool
    census_region: str | None
    census_division: str | None


def _us_states() -> list:
    return list(us.states.STATES_AND_TERRITORIES)  # 50 states, 5 territories, DC


@functools.cache
def _state_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for state in _us_states():
        names[_norm(state.name)] = state.abbr
        names[_norm(state.abbr)] = state.abbr
        names[state.fips] = state.abbr
        if state.ap_abbr:
            names[_norm(state.ap_abbr)] = state.abbr
    names.update(_ALIASES)
    return names


def state_code(name: str) -> str:
    """USPS code for a state or territory name, USPS/AP abbreviation or 2-digit FIPS code.

    "California", "Calif.", "CA", "06" -> "CA"; "District of Columbia" -> "DC";
    "Virgin Islands", "U.S. Virgin Islands" -> "VI". No fuzzy matching: a name that does
    not resolve raises :class:`GeographyError` listing close matches.
    """
    key = _norm(name)
    code = _state_names().get(key)
    if code is None:
        raise GeographyError(f"{name!r} is not a US state or territory"
                             + _close(key, _state_names()))
    return code


@functools.cache
def _census_of(code: str) -> tuple[str | None, str | None]:
    region_name = division = None
    for reg in regions():
        if code in reg.members and reg.name.startswith("census-region-"):
            region_name = reg.name.removeprefix("census-region-")
        if code in reg.members and reg.name.startswith("census-division-"):
            division = reg.name.removeprefix("census-division-")
    return region_name, division


def state(name: str) -> State:
    """Everything known about a state or territory (see :func:`state_code` for accepted names)."""
    info = us.states.lookup(state_code(name), field="abbr")
    region_name, division = _census_of(info.abbr)
    return State(name=info.name, usps=info.abbr, fips=info.fips, ap_abbr=info.ap_abbr,
                 is_territory=bool(info.is_territory), census_region=region_name,
                 census_division=division)


def states(*, territories: bool = True) -> tuple[State, ...]:
    """All states and DC, and (by default) the five inhabited territories."""
    return tuple(state(s.abbr) for s in _us_states() if territories or not s.is_territory)


def state_name(code: str) -> str:
    """Official name: "CA" -> "California"."""
    return state(code).name


def state_fips(code: str) -> str:
    """2-digit FIPS code: "CA" -> "06"."""
    return state(code).fips


def census_region(name: str) -> str | None:
    """Census region slug ("west") of a state; None for territories, which have none."""
    return state(name).census_region


def census_division(name: str) -> str | None:
    """Census division slug ("pacific") of a state; None for territories."""
    return state(name).census_division


# --------------------------------------------------------------------------- counties


@functools.cache
def _addfips() -> addfips.AddFIPS:
    return addfips.AddFIPS()


@functools.cache
def _county_index(usps: str) -> dict[str, tuple[str, str]]:
    """Normalised county names of a state -> (FIPS, official name), from ``us``."""
    index: dict[str, tuple[str, str]] = {}
    for county in us.states.lookup(usps, field="abbr").counties:
        for key in {_norm(county.name), _COUNTY_WORDS.sub("", _norm(county.name)).strip()}:
            index.setdefault(re.sub(r"\s+", " ", key).strip(), (county.fips, county.name))
    return index


@functools.cache
def _counties_by_fips() -> dict[str, tuple[str, str]]:
    return {fips: (name, s.abbr) for s in _us_states()
            for fips, name in {(c.fips, c.name) for c in s.counties}}


def county_fips(county: str, state: str) -> str:
    """5-digit county FIPS for a county name within a state ("Kern", "CA" -> "06029").

    Accepts "Los Angeles County", "Los Angeles", "Miami-Dade", "Miami Dade County",
    "Doña Ana"/"Dona Ana", "St. Louis city". Raises :class:`GeographyError` naming the value
    and close matches when the county is not in that state.
    """
    usps = state_code(state)
    text = str(county).strip()
    code = _addfips().get_county_fips(text, state=usps) if text else None
    if code is None:
        index = _county_index(usps)
        key = _norm(text)
        hit = index.get(key) or index.get(re.sub(r"\s+", " ", _COUNTY_WORDS.sub("", key)).strip())
        if hit is None:
            raise GeographyError(f"county {county!r} does not resolve in {usps}"
                                 + _close(key, index))
        code = hit[0]
    return code


def county_name(fips: str) -> str:
    """Official name of a county from its 5-digit FIPS code ("06029" -> "Kern County")."""
    hit = _counties_by_fips().get(str(fips))
    if hit is None:
        raise GeographyError(f"{fips!r} is not a 5-digit county FIPS code of a US county"
                             + _close(str(fips), _counties_by_fips()))
    return hit[0]


def county_state(fips: str) -> str:
    """USPS code of the state a county belongs to ("06029" -> "CA")."""
    county_name(fips)
    return _counties_by_fips()[str(fips)][1]


# --------------------------------------------------------------------------- USCIS offices


@dataclass(frozen=True)
class Office:
    """A USCIS office: ``kind`` is "service-center" or "field-office"."""

    code: str
    name: str
    state: str
    kind: str
    aliases: tuple[str, ...] = ()
    receipt_prefix: str = ""
    note: str = ""


@functools.cache
def _offices() -> dict[str, Office]:
    text = resources.files("analysis").joinpath("data/uscis_offices.csv").read_text("utf-8")
    found: dict[str, Office] = {}
    for row in csv.DictReader(io.StringIO(text)):
        aliases = tuple(a for a in row["aliases"].split(";") if a)
        found[row["code"]] = Office(code=row["code"], name=row["name"],
                                    state=state_code(row["state"]), kind=row["kind"],
                                    aliases=aliases, receipt_prefix=row["receipt_prefix"],
                                    note=row["note"])
    return found


def offices() -> tuple[Office, ...]:
    """All USCIS offices bundled in ``uscis_offices.csv`` (the service centers)."""
    return tuple(_offices().values())


def office(code: str) -> Office:
    """A USCIS office by code, alias or receipt prefix ("CSC", "VSC"/"ESC", "TSC"/"SSC", "WAC").

    Only the service centers are bundled; field offices are parsed by the field-office adapter.
    """
    key = str(code).strip().upper()
    table = _offices()
    if key in table:
        return table[key]
    for item in table.values():
        if key in item.aliases or key == item.receipt_prefix or _norm(code) == _norm(item.name):
            return item
    known = [*table, *(a for o in table.values() for a in o.aliases)]
    raise GeographyError(f"{code!r} is not a known USCIS office code"
                         + _close(key, known) + f" (known: {', '.join(sorted(known))})")


# --------------------------------------------------------------------------- regions


@dataclass(frozen=True)
class Region:
    """A named region: a set of states (USPS codes) or counties (5-digit FIPS).

    ``citation`` is the source of the definition; ``note`` says how it was applied (e.g. a
    partial county counted whole). An analysis that uses a region names ``name``.
    """

    name: str
    level: str  # "state" | "county"
    members: tuple[str, ...]
    citation: str
    note: str
    title: str = ""
    member_names: tuple[str, ...] = ()


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _norm(name)).strip("-")


@functools.cache
def _region_data() -> dict:
    text = resources.files("analysis").joinpath("data/regions.yml").read_text("utf-8")
    data = load_yaml(text, "analysis/data/regions.yml")
    if not isinstance(data, dict) or "regions" not in data:
        raise GeographyError("analysis/data/regions.yml has no 'regions' mapping")
    return data


def _build(name: str, spec: dict, specs: dict, seen: tuple[str, ...] = ()) -> Region:
    """Region ``name`` from its record in regions.yml: its own members, then those of the
    regions it unites (checked: same level, no region defined in terms of itself)."""
    if name in seen:
        raise GeographyError(f"regions.yml: region {name!r} is defined in terms of itself")
    for key in ("citation", "level"):
        if not spec.get(key):
            raise GeographyError(f"regions.yml: region {name!r} has no {key}")
    level = spec["level"]
    members = _own_members(name, level, spec)
    for part in spec.get("union", []):
        members.update(_united_members(name, level, part, specs, (*seen, name)))
    if not members:
        raise GeographyError(f"regions.yml: region {name!r} has no members")
    ordered = sorted(members)
    return Region(name=name, level=level, members=tuple(ordered),
                  citation=" ".join(str(spec["citation"]).split()),
                  note=" ".join(str(spec.get("note", "")).split()),
                  title=spec.get("title", name),
                  member_names=tuple(members[m] for m in ordered))


def _own_members(name: str, level: str, spec: dict) -> dict[str, str]:
    """The states (USPS code -> name) or counties (FIPS -> official name) a region lists
    itself; a county's label must match its official name."""
    if level == "state":
        return {state_code(code): us.states.lookup(state_code(code), field="abbr").name
                for code in spec.get("states", [])}
    if level != "county":
        raise GeographyError(f"regions.yml: region {name!r} has level {level!r} "
                             "(expected state or county)")
    members = {}
    for fips, label in (spec.get("counties") or {}).items():
        fips = str(fips).zfill(5)
        official = county_name(fips)
        if _COUNTY_WORDS.sub("", _norm(official)).strip() != _norm(label):
            raise GeographyError(f"regions.yml: region {name!r} lists {fips} as {label!r}, "
                                 f"but {fips} is {official}")
        members[fips] = official
    return members


def _united_members(name: str, level: str, part: str, specs: dict,
                    seen: tuple[str, ...]) -> dict[str, str]:
    """The members of region ``part``, which region ``name`` unites (same level required)."""
    if part not in specs:
        raise GeographyError(f"regions.yml: region {name!r} unites unknown region {part!r}")
    other = _build(part, specs[part], specs, seen)
    if other.level != level:
        raise GeographyError(f"regions.yml: region {name!r} ({level}) unites {part!r} "
                             f"({other.level})")
    return dict(zip(other.members, other.member_names, strict=True))


@functools.cache
def _regions() -> dict[str, Region]:
    specs = _region_data()["regions"]
    return {name: _build(name, spec, specs) for name, spec in specs.items()}


@functools.cache
def _aliases() -> dict[str, str]:
    found = {}
    for name, spec in _region_data()["regions"].items():
        for alias in spec.get("aliases", []):
            found[_slug(alias)] = name
    return found


def regions() -> tuple[Region, ...]:
    """Every region defined in ``regions.yml`` (ambiguous names are not regions)."""
    return tuple(_regions().values())


def ambiguous_regions() -> dict[str, tuple[str, ...]]:
    """Names with several common definitions ("central-california") -> candidate regions."""
    return {name: tuple(spec["candidates"])
            for name, spec in (_region_data().get("ambiguous") or {}).items()}


def region(name: str | Region) -> Region:
    """The region called ``name`` ("San Joaquin Valley", "san-joaquin-valley", "sjv").

    An ambiguous name ("central-california") raises :class:`AmbiguousRegionError` listing the
    candidate definitions; an unknown name raises :class:`GeographyError` with close matches.
    """
    if isinstance(name, Region):
        return name
    key = _slug(name)
    table = _regions()
    key = _aliases().get(key, key)
    if key in table:
        return table[key]
    ambiguous = _region_data().get("ambiguous") or {}
    if key in ambiguous:
        spec = ambiguous[key]
        raise AmbiguousRegionError(key, tuple(spec["candidates"]),
                                   " ".join(str(spec.get("note", "")).split()))
    raise GeographyError(f"unknown region {name!r}"
                         + _close(key, [*table, *ambiguous, *_aliases()], n=5)
                         + "; geo.regions() lists all")


def in_region(code: str, name: str | Region) -> bool:
    """Whether a place is in a region.

    ``code`` is a USPS code / state name for a state-level region, or a 5-digit county FIPS
    for either level (a county is in a state-level region when its state is).
    """
    reg = region(name)
    text = str(code).strip()
    if reg.level == "county":
        if not re.fullmatch(r"\d{5}", text):
            raise GeographyError(f"{code!r}: region {reg.name!r} is a set of counties; "
                                 "give a 5-digit county FIPS code")
        county_name(text)
        return text in reg.members
    if re.fullmatch(r"\d{5}", text):
        return county_state(text) in reg.members
    return state_code(text) in reg.members


def region_mask(codes: Iterable[str], name: str | Region) -> list[bool]:
    """:func:`in_region` for each code (e.g. a DataFrame's ``geo_code`` column)."""
    reg = region(name)
    return [in_region(code, reg) for code in codes]


def region_of_county(fips: str, name: str | Region) -> bool:
    """Whether county ``fips`` lies in region ``name`` (alias of :func:`in_region`)."""
    return in_region(fips, name)
