"""Region definitions (analysis/data/regions.yml) and membership."""

from __future__ import annotations

import dataclasses

import pytest

from analysis.contract import geo


def test_every_region_loads_with_citation_and_members():
    regions = geo.regions()
    assert len(regions) >= 20
    for reg in regions:
        assert reg.citation.strip(), reg.name
        assert reg.level in ("state", "county")
        assert reg.members and len(set(reg.members)) == len(reg.members)
        assert len(reg.member_names) == len(reg.members)


def test_region_is_frozen_dataclass_with_contract_fields():
    reg = geo.region("san-joaquin-valley")
    names = [f.name for f in dataclasses.fields(reg)][:5]
    assert names == ["name", "level", "members", "citation", "note"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        reg.name = "x"  # type: ignore[misc]


def test_san_joaquin_valley_is_the_8_sjvapcd_counties():
    reg = geo.region("San Joaquin Valley")
    assert reg.level == "county"
    assert set(reg.members) == {"06077", "06099", "06047", "06039", "06019", "06031", "06107",
                                "06029"}
    assert "Kern County" in reg.member_names
    assert "Air Pollution Control District" in reg.citation
    assert "Kern" in reg.note  # partial county counted whole is disclosed
    assert geo.region("sjv") == reg


def test_county_membership():
    assert geo.in_region("06029", "san-joaquin-valley")  # Kern
    assert not geo.in_region("06037", "san-joaquin-valley")  # Los Angeles
    assert geo.in_region("06037", "southern-california")
    assert geo.in_region("06037", "scag-region")
    assert not geo.in_region("06073", "scag-region")  # San Diego is not in SCAG
    assert geo.in_region("06053", "central-coast")  # Monterey
    assert geo.in_region("06067", "central-valley")  # Sacramento
    assert not geo.in_region("06067", "san-joaquin-valley")
    assert geo.region_mask(["06019", "12086", "06111"], "southern-california") == [
        False, False, True]
    assert geo.region_of_county("06107", "central-valley")  # Tulare


def test_state_membership_and_counties_in_state_regions():
    border = geo.region("us-mexico-border-states")
    assert border.level == "state" and set(border.members) == {"CA", "AZ", "NM", "TX"}
    assert geo.in_region("Texas", border)
    assert geo.in_region("N.M.", "border-states")
    assert not geo.in_region("FL", border)
    assert geo.in_region("12086", "census-region-south")  # a county in a state-level region
    assert not geo.in_region("06037", "census-region-south")


def test_census_regions_cover_50_states_and_dc_once():
    regions = [geo.region(f"census-region-{n}") for n in ("northeast", "midwest", "south", "west")]
    members = [m for r in regions for m in r.members]
    assert len(members) == len(set(members)) == 51
    assert "PR" not in members
    divisions = [r for r in geo.regions() if r.name.startswith("census-division-")]
    assert len(divisions) == 9
    assert sorted(m for d in divisions for m in d.members) == sorted(members)
    assert all("Census Bureau" in r.citation for r in [*regions, *divisions])


def test_central_california_must_be_chosen():
    with pytest.raises(geo.AmbiguousRegionError) as err:
        geo.region("Central California")
    message = str(err.value)
    for candidate in ("central-california-sjv", "central-california-sjv-plus",
                      "central-california-central-valley"):
        assert candidate in message
    assert isinstance(err.value, geo.GeographyError)
    assert geo.ambiguous_regions()["central-california"] == err.value.candidates


def test_central_california_candidates_differ_and_cite_sources():
    sjv = set(geo.region("central-california-sjv").members)
    plus = set(geo.region("central-california-sjv-plus").members)
    valley = set(geo.region("central-california-central-valley").members)
    assert sjv < plus and sjv < valley
    assert len(sjv) == 8 and len(plus) == 13 and len(valley) == 19
    assert "06053" in plus and "06053" not in valley  # Monterey: coast, not valley
    for name in ("central-california-sjv", "central-california-sjv-plus",
                 "central-california-central-valley"):
        assert "no official" in geo.region(name).citation


def test_unknown_region_lists_close_matches():
    with pytest.raises(geo.GeographyError,
                       match=r"unknown region 'san joaquin'.*close matches:.*san-joaquin-valley"):
        geo.region("san joaquin")


def test_region_file_refuses_fips_that_do_not_match_their_name():
    spec = {"level": "county", "citation": "test", "counties": {"06029": "Fresno"}}
    with pytest.raises(geo.GeographyError, match="06029 is Kern County"):
        geo._build("bad", spec, {"bad": spec})
    with pytest.raises(geo.GeographyError, match="has no citation"):
        geo._build("bad", {"level": "state", "states": ["CA"]}, {})
