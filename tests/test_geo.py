"""Geography: states, territories, counties, USCIS offices, name normalisation."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from analysis.contract import geo

PUBLISHED = Path(__file__).resolve().parents[1] / "data" / "raw" / "published"


@pytest.mark.parametrize(("name", "code"), [
    ("California", "CA"), ("Calif.", "CA"), ("CA", "CA"), ("calif", "CA"), ("06", "CA"),
    ("PR", "PR"), ("Puerto Rico", "PR"), ("District of Columbia", "DC"), ("D.C.", "DC"),
    ("Washington, D.C.", "DC"), ("Virgin Islands", "VI"), ("U.S. Virgin Islands", "VI"),
    ("N.M.", "NM"), ("W.Va.", "WV"), ("Guam", "GU"), (" texas ", "TX"),
])
def test_state_code_normalises_names(name, code):
    assert geo.state_code(name) == code


def test_state_facts_come_with_census_region_and_division():
    ca = geo.state("Calif.")
    assert (ca.name, ca.usps, ca.fips, ca.ap_abbr) == ("California", "CA", "06", "Calif.")
    assert (ca.census_region, ca.census_division) == ("west", "pacific")
    dc = geo.state("District of Columbia")
    assert (dc.fips, dc.census_region, dc.census_division) == ("11", "south", "south-atlantic")
    pr = geo.state("PR")
    assert pr.is_territory and pr.census_region is None and pr.fips == "72"
    assert geo.census_division("Texas") == "west-south-central"
    assert geo.census_region("Ohio") == "midwest"


def test_states_lists_50_states_dc_and_5_territories():
    everything = geo.states()
    assert len(everything) == 56
    assert len(geo.states(territories=False)) == 51
    # every state and DC is in exactly one Census division
    assert all(s.census_division for s in everything if not s.is_territory)


def test_unknown_state_names_value_and_close_matches():
    with pytest.raises(geo.GeographyError, match=r"'Kalifornia'.*close matches: california"):
        geo.state_code("Kalifornia")
    with pytest.raises(geo.GeographyError, match="'Atlantis'"):
        geo.state_code("Atlantis")


@pytest.mark.parametrize(("county", "state", "fips"), [
    ("Los Angeles County", "CA", "06037"), ("Los Angeles", "California", "06037"),
    ("Kern", "CA", "06029"), ("Kern County", "Calif.", "06029"),
    ("Miami-Dade County", "FL", "12086"), ("Miami Dade County", "Florida", "12086"),
    ("Jefferson Parish", "LA", "22051"), ("Doña Ana County", "NM", "35013"),
    ("Dona Ana", "NM", "35013"), ("St. Louis city", "MO", "29510"),
    ("Prince George's County", "MD", "24033"), ("DeKalb County", "GA", "13089"),
    ("District of Columbia", "DC", "11001"),
])
def test_county_fips(county, state, fips):
    assert geo.county_fips(county, state) == fips


def test_county_name_and_state_from_fips():
    assert geo.county_name("06029") == "Kern County"
    assert geo.county_state("12086") == "FL"
    with pytest.raises(geo.GeographyError, match="'99999'"):
        geo.county_name("99999")


def test_unknown_county_names_value_state_and_close_matches():
    with pytest.raises(geo.GeographyError,
                       match=r"county 'Los Angelos' does not resolve in CA; close matches: "
                             r"los angeles"):
        geo.county_fips("Los Angelos", "CA")
    with pytest.raises(geo.GeographyError, match="'Kern' does not resolve in TX"):
        geo.county_fips("Kern", "TX")


def test_uscis_service_centers():
    assert geo.office("CSC").name == "California Service Center"
    assert geo.office("CSC").state == "CA"
    assert geo.office("VSC") == geo.office("ESC")
    assert geo.office("ESC").state == "VT"
    assert geo.office("TSC").code == "SSC"
    assert geo.office("SSC").state == "TX"
    assert geo.office("nbc").name == "National Benefits Center"
    assert geo.office("NSC").state == "NE"
    assert geo.office("YSC").name == "Potomac Service Center"
    assert geo.office("WAC").code == "CSC"  # receipt-number prefix
    assert {o.kind for o in geo.offices()} == {"service-center"}
    assert len(geo.offices()) == 6


def test_unknown_office_lists_close_matches():
    with pytest.raises(geo.GeographyError, match=r"'XSC'.*close matches: .*YSC"):
        geo.office("XSC")


def _rows(name: str) -> list[dict[str, str]]:
    path = PUBLISHED / name
    if not path.is_file():
        pytest.skip(f"{path} not bundled")
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_state_in_bundled_orr_data_resolves_to_fips():
    names = {r["state_name"] for r in _rows("hhs_orr_uc_released_by_state.csv")} - {"TOTAL"}
    assert len(names) >= 50
    fips = {name: geo.state_fips(name) for name in names}
    assert all(len(code) == 2 and code.isdigit() for code in fips.values())
    assert fips["California"] == "06" and fips["Virgin Islands"] == "78"


def test_every_county_in_bundled_orr_data_resolves_to_fips():
    rows = _rows("hhs_orr_uc_released_by_county_fy2021.csv")
    found = {(r["state"], r["county_name"]): geo.county_fips(r["county_name"], r["state"])
             for r in rows}
    assert len(found) == len(rows) > 30
    assert found["CA", "Los Angeles County"] == "06037"
    assert found["FL", "Miami-Dade County"] == "12086"
    assert found["LA", "Jefferson Parish"] == "22051"
    assert found["NY", "Kings County"] == "36047"  # Brooklyn, not Kings County CA
    assert all(code[:2] == geo.state_fips(state) for (state, _), code in found.items())
