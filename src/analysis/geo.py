"""Geography: US states and territories, counties (5-digit FIPS) and name normalisation.

State facts come from the ``us`` package and county FIPS codes from ``addfips`` (Census
tables), not from hand-typed lists.
"""

from __future__ import annotations

import difflib
import functools
import re

import addfips
import us

from .errors import ParoleError

# Forms found in published tables that the packages do not know.
_ALIASES = {
    "calif": "CA",
    "washington dc": "DC",
    "washington d c": "DC",
    "d c": "DC",
    "us virgin islands": "VI",
    "u s virgin islands": "VI",
}


class GeographyError(ParoleError):
    """A place name or code that does not resolve."""


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]+", " ", str(text).lower()).strip().replace("  ", " ")


def _all_states():
    return [*us.states.STATES_AND_TERRITORIES, us.states.DC]


@functools.cache
def _state_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for state in _all_states():
        names[_norm(state.name)] = state.abbr
        names[_norm(state.abbr)] = state.abbr
        if getattr(state, "ap_abbr", None):
            names[_norm(state.ap_abbr)] = state.abbr
    names.update(_ALIASES)
    return names


def state_code(name: str) -> str:
    """USPS code for a state or territory name, USPS or AP abbreviation ("Calif.", "PR").

    Raises :class:`GeographyError` listing close matches when it does not resolve.
    """
    key = _norm(name)
    code = _state_names().get(key)
    if code is None:
        state = us.states.lookup(str(name).strip())
        code = state.abbr if state else None
    if code is None:
        close = difflib.get_close_matches(key, _state_names(), n=3)
        hint = f"; close matches: {', '.join(close)}" if close else ""
        raise GeographyError(f"{name!r} is not a US state or territory{hint}")
    return code


def state_name(code: str) -> str:
    state = us.states.lookup(state_code(code))
    return state.name


def state_fips(code: str) -> str:
    return us.states.lookup(state_code(code)).fips


@functools.cache
def _addfips() -> addfips.AddFIPS:
    return addfips.AddFIPS()


def county_fips(county: str, state: str) -> str:
    """5-digit county FIPS for a county name within a state ("Kern", "CA" -> "06029")."""
    code = _addfips().get_county_fips(str(county).strip(), state=state_code(state))
    if code is None:
        raise GeographyError(f"county {county!r} does not resolve in {state_code(state)}")
    return code
