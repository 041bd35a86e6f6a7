"""How reporters write: each trap of issue 19 on a tiny sentence written for the test.

The sentences are composed here (not copied from any article); the expected keys are what a
careful reader takes from the words.
"""

from __future__ import annotations

from datetime import date

import pytest

from analysis.claims.document import normalise, read
from analysis.claims.infer import claims_from_text, infer_sentence
from analysis.claims.when import When, find_periods


def claims(sentence: str, **kw) -> list[dict]:
    return [d.values for d in infer_sentence(sentence, **kw) if not d.outside]


def test_respectively_binds_each_figure_to_its_own_place():
    got = claims("In fiscal 2021, Ohio, Iowa and Utah took in 1,204, 903 and 311 unaccompanied "
                 "children, respectively.")
    assert [(c["geo"], c["value"]) for c in got] == [("OH", 1204), ("IA", 903), ("UT", 311)]


def test_places_with_figures_in_brackets_and_in_a_list():
    got = claims("Released unaccompanied children went to Ohio (1,204), Iowa (903) and Utah "
                 "(311) in fiscal 2021.")
    assert [(c["geo"], c["value"]) for c in got] == [("OH", 1204), ("IA", 903), ("UT", 311)]
    got = claims("In fiscal 2021, Ohio received 1,204 UACs, Iowa 903, and Utah 311.")
    assert [(c["geo"], c["value"]) for c in got] == [("OH", 1204), ("IA", 903), ("UT", 311)]


@pytest.mark.parametrize("words, label", [
    ("between March and June 2022", "2022-03/2022-06"),
    ("from November 2022 through January 2023", "2022-11/2023-01"),
    ("in the second half of 2022", "2022-07/2022-12"),
    ("in the first half of fiscal 2022", "FY2022-Q1/FY2022-Q2"),
    ("between the second and fourth quarters of fiscal 2024", "FY2024-Q2/FY2024-Q4"),
    ("in fiscal year 2019 (October 2018 to September 2019)", "FY2019"),
    ("in fiscal year 2019 (October 2018 to March 2019)", "2018-10/2019-03"),
])
def test_period_ranges_are_summed_not_collapsed(words, label):
    assert [h.label for h in find_periods(f"Figures were counted {words}.")] == [label]


def test_relative_periods_need_the_article_date():
    hits = find_periods("Requests rose last fiscal year.", When.of(date(2023, 11, 20)))
    assert [h.label for h in hits] == ["FY2023"]
    hits = find_periods("Requests rose last fiscal year.")
    assert hits[0].kind == "needs-date"
    d = infer_sentence("USCIS received 9,000 humanitarian parole requests last fiscal year.")[0]
    assert "period" in d.missing


def test_a_fiscal_year_named_by_its_start_anchors_last_fiscal_year():
    got = claims("This fiscal year, which began on October 1, 2012, 900 unaccompanied children "
                 "were released, against 700 released all of last fiscal year.")
    assert got[-1]["period"] == "FY2012"


def test_year_to_date_is_a_window_no_table_publishes():
    c = claims("So far in fiscal 2022, 4,100 unaccompanied children were released to sponsors.")
    assert c[0]["window"].startswith("fiscal 2022 to date")
    c = claims("So far this fiscal year through March, 4,100 unaccompanied children were "
               "released.", when=When.of(date(2022, 4, 10)))
    assert c[0]["period"] == "2021-10/2022-03" and "window" not in c[0]


def test_a_typical_year_is_not_a_published_period():
    c = claims("USCIS typically approves about 400 humanitarian parole requests a year.")
    assert "typical year" in c[0]["window"]


def test_spelled_out_percentages_and_numbers():
    c = claims("Forty-two percent of unaccompanied children released in fiscal 2020 went to "
               "Texas.")
    assert c[0]["value"] == pytest.approx(0.42) and c[0]["metric"] == "share"


def test_ranks_and_multiples():
    c = claims("Ohio received the sixth largest number of unaccompanied children in fiscal "
               "2019.")
    assert c[0]["metric"] == "rank" and c[0]["value"] == 6 and c[0]["geo"] == "OH"
    c = claims("Parole in place requests more than tripled from fiscal 2020 to fiscal 2023.")
    assert (c[0]["metric"], c[0]["value"], c[0]["comparator"]) == ("comparison", 3.0,
                                                                   "more-than")
    c = claims("Releases of unaccompanied children rose nearly five-fold between fiscal 2020 "
               "and fiscal 2022.")
    assert c[0]["value"] == 5.0


@pytest.mark.parametrize("sentence", [
    "On May 3, officials said nothing about humanitarian parole.",
    "Children under 18 may apply for humanitarian parole.",
    "She ranked in the top 10 of humanitarian parole lawyers.",
])
def test_incidental_numbers_are_not_claims(sentence):
    assert claims(sentence) == []


def test_measure_words():
    c = claims("USCIS rejected 812 humanitarian parole requests in fiscal 2023.")
    assert c[0]["measure"] == "denied"


def test_demonyms_and_programs():
    c = claims("Under the CHNV processes, 8,000 Haitians were paroled in March 2023.")
    assert c[0]["category"] == "chnv-parole-haiti"
    c = claims("Uniting for Ukraine brought 20,000 people in May 2022.")
    assert c[0]["unpublished"]


@pytest.mark.parametrize("sentence, population", [
    ("About 9,000 unaccompanied children entered ORR shelters in fiscal 2019.", "uc-referrals"),
    ("HHS cared for 40,000 unaccompanied children in fiscal 2019.", "uc-served"),
    ("Border agents apprehended 30,000 unaccompanied minors in fiscal 2019.",
     "uc-apprehensions"),
    ("Port officials granted parole to 5,000 people in fiscal 2023.", "port-of-entry-parole"),
    ("The state granted medical parole to 12 prison inmates in 2022.", "state-prison-parole"),
])
def test_confusable_neighbours_are_never_substituted(sentence, population):
    c = claims(sentence)
    assert c[0]["category"] == population and c[0]["unpublished"]


def test_context_from_the_previous_sentence():
    previous = ["USCIS approved 1,000 humanitarian parole requests in fiscal 2023."]
    c = claims("Another 930 were denied in fiscal 2023.", previous=previous)
    assert c[0]["category"] == "humanitarian-parole" and c[0]["measure"] == "denied"


def test_numbers_outside_the_data_are_listed_once_not_claims():
    text = ("Parole for a sick child\n\nA petition with 5,000 signatures reached 12 members "
            "of Congress.\nTreatment costs $9,000 a month.\n")
    loaded, _ = claims_from_text(text, article="t.txt")
    assert not loaded.claims and not loaded.incomplete
    assert [o["figure"] for o in loaded.outside] == ["5,000", "12", "$9,000"]


def test_document_drops_boilerplate_and_reads_the_date_line():
    doc = read("A headline about parole numbers\nPublished: March 4, 2024\nLoading...\n"
               "Donate today\nUSCIS received 9,000 requests.\n")
    assert doc.title == "A headline about parole numbers"
    assert doc.date == date(2024, 3, 4)
    assert [s.text for s in doc.sentences if not s.is_title] == ["USCIS received 9,000 "
                                                                  "requests."]


def test_invisible_characters_and_other_digits_are_normalised():
    assert normalise("5\u200b000 and \uff15,\uff10\uff10\uff10") == "5000 and 5,000"


def test_article_size_is_limited():
    from analysis.errors import ParoleError

    with pytest.raises(ParoleError, match="max_article_chars"):
        claims_from_text("x" * 600_001, article="big.txt")
