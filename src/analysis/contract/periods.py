"""Reporting periods: US federal fiscal years and quarters, and calendar months.

Period labels used in every table:

``FY2023``          the fiscal year, 1 Oct 2022 to 30 Sep 2023
``FY2023-Q2``       a fiscal quarter (Q1 is Oct-Dec), here 1 Jan 2023 to 31 Mar 2023
``FY2023-YTD-Q2``   fiscal year to date through the end of Q2, 1 Oct 2022 to 31 Mar 2023
``FY2024-YTD-2024-07``  fiscal year to date through the end of a month that is not a quarter's
                    end, here 1 Oct 2023 to 31 Jul 2024 (DHS OHSS publishes "2024 YTD" totals
                    through the latest month). Through a quarter's last month the quarter form
                    is the one label: :func:`fiscal_ytd_month` returns ``FY2024-YTD-Q3`` for June.
``2023-05``         a calendar month

The arithmetic is pandas' fiscal periods anchored on September (``Q-SEP`` / ``Y-SEP``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pandas as pd

_FY = re.compile(r"^FY(?P<fy>\d{4})$")
_FYQ = re.compile(r"^FY(?P<fy>\d{4})-Q(?P<q>[1-4])$")
_YTD = re.compile(r"^FY(?P<fy>\d{4})-YTD-Q(?P<q>[1-4])$")
_YTD_MONTH = re.compile(r"^FY(?P<fy>\d{4})-YTD-(?P<y>\d{4})-(?P<m>0[1-9]|1[0-2])$")
_MONTH = re.compile(r"^(?P<y>\d{4})-(?P<m>0[1-9]|1[0-2])$")

#: A regular expression every valid period label matches.
PERIOD_PATTERN = (r"^(FY\d{4}(-Q[1-4]|-YTD-Q[1-4]|-YTD-\d{4}-(0[1-9]|1[0-2]))?"
                  r"|\d{4}-(0[1-9]|1[0-2]))$")


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date
    fiscal_year: int

    @property
    def quarter(self) -> int | None:
        """The fiscal quarter number (1 is October to December) of a quarter label, else None."""
        m = _FYQ.match(self.label)
        return int(m["q"]) if m else None


def _quarter(fy: int, q: int) -> pd.Period:
    return pd.Period(f"{fy}Q{q}", freq="Q-SEP")


def fiscal_quarter(fy: int, q: int) -> Period:
    p = _quarter(fy, q)
    return Period(f"FY{fy}-Q{q}", p.start_time.date(), p.end_time.date(), fy)


def fiscal_year(fy: int) -> Period:
    p = pd.Period(str(fy), freq="Y-SEP")
    return Period(f"FY{fy}", p.start_time.date(), p.end_time.date(), fy)


def fiscal_ytd(fy: int, q: int) -> Period:
    start = _quarter(fy, 1).start_time.date()
    end = _quarter(fy, q).end_time.date()
    return Period(f"FY{fy}-YTD-Q{q}", start, end, fy)


def fiscal_ytd_month(fy: int, year: int, month_number: int) -> Period:
    """Fiscal year ``fy`` to date through the end of calendar month ``year``-``month_number``.

    A quarter's last month gives the quarter form (``FY2024-YTD-Q3`` for June 2024); the month
    must lie in the fiscal year (raises ``ValueError`` otherwise)."""
    through = month(year, month_number)
    if through.fiscal_year != fy:
        raise ValueError(f"{year}-{month_number:02d} is not in fiscal year FY{fy}")
    if month_number % 3 == 0:
        return fiscal_ytd(fy, (month_number - 10) % 12 // 3 + 1)
    start = _quarter(fy, 1).start_time.date()
    return Period(f"FY{fy}-YTD-{year}-{month_number:02d}", start, through.end, fy)


def month(year: int, month_number: int) -> Period:
    p = pd.Period(year=year, month=month_number, freq="M")
    fy = pd.Period(p.start_time, freq="Q-SEP").qyear
    return Period(f"{year}-{month_number:02d}", p.start_time.date(), p.end_time.date(), fy)


def fiscal_quarter_of(day: date | pd.Timestamp | str) -> Period:
    """The fiscal quarter a date falls in (Q1 is October to December)."""
    q = pd.Period(pd.Timestamp(day), freq="Q-SEP")
    return fiscal_quarter(q.qyear, q.quarter)


def quarter_ended_by(day: date | pd.Timestamp | str) -> Period:
    """The latest fiscal quarter that has ended by ``day`` (the quarter of ``day`` when it is
    that quarter's last day, else the one before)."""
    q = pd.Period(pd.Timestamp(day), freq="Q-SEP")
    if q.end_time.date() != pd.Timestamp(day).date():
        q -= 1
    return fiscal_quarter(q.qyear, q.quarter)


def fiscal_month(fy: int, month_number: int) -> Period:
    """Calendar month ``month_number`` of fiscal year ``fy`` (October to December fall in the
    calendar year before ``fy``)."""
    if not 1 <= month_number <= 12:
        raise ValueError(f"month {month_number} outside 1..12")
    return month(fy - 1 if month_number >= 10 else fy, month_number)


def fiscal_year_of(day: date | pd.Timestamp | str) -> int:
    """The US federal fiscal year a date falls in (October starts the next one)."""
    return pd.Period(pd.Timestamp(day), freq="Q-SEP").qyear


def parse(label: str) -> Period:
    """Parse a period label; raises ``ValueError`` naming the accepted forms."""
    text = str(label).strip()
    if m := _FYQ.match(text):
        return fiscal_quarter(int(m["fy"]), int(m["q"]))
    if m := _YTD.match(text):
        return fiscal_ytd(int(m["fy"]), int(m["q"]))
    if m := _YTD_MONTH.match(text):
        period = fiscal_ytd_month(int(m["fy"]), int(m["y"]), int(m["m"]))
        if period.label != text:
            raise ValueError(f"period {label!r} ends at a quarter's end: write {period.label}")
        return period
    if m := _FY.match(text):
        return fiscal_year(int(m["fy"]))
    if m := _MONTH.match(text):
        return month(int(m["y"]), int(m["m"]))
    raise ValueError(
        f"unknown period {label!r}: expected FY2023, FY2023-Q2, FY2023-YTD-Q2, "
        "FY2024-YTD-2024-07 or 2023-05"
    )


# -- fiscal arithmetic on many dates, and the same rule as SQL for query engines ------------

def fiscal_years(dates: pd.Series) -> pd.Series:
    """The fiscal year of each date in ``dates`` (int64; October starts the next one)."""
    d = pd.to_datetime(dates)
    return (d.dt.year + (d.dt.month >= 10).astype("int64")).astype("int64")


def fiscal_year_sql(column: str) -> str:
    """SQL (DuckDB and Spark alike) for the fiscal year of the date in ``column``: the rule
    of :func:`fiscal_year_of`, written once for query engines."""
    return f"(year({column}) + CASE WHEN month({column}) >= 10 THEN 1 ELSE 0 END)"


def fiscal_quarter_sql(column: str) -> str:
    """SQL for the fiscal quarter (1 = Oct-Dec) of the date in ``column``."""
    return f"(CAST(floor(((month({column}) + 2) % 12) / 3) AS INT) + 1)"


def label(fiscal_year_number: int, quarter: int | None = None) -> str:
    """The label ``FY2023`` (``quarter`` None) or ``FY2023-Q2``."""
    return f"FY{fiscal_year_number}" if quarter is None else f"FY{fiscal_year_number}-Q{quarter}"


def labels_of(dates: pd.Series, freq: str) -> pd.Series:
    """The fiscal-year (``freq="FY"``) or fiscal-quarter (``"quarter"``) label of each date."""
    if freq not in ("FY", "quarter"):
        raise ValueError(f"freq={freq!r}: expected FY or quarter")
    p = pd.PeriodIndex(pd.to_datetime(dates), freq="Q-SEP")
    codes, uniq = pd.factorize(p)
    names = [label(u.qyear, None if freq == "FY" else u.quarter) for u in uniq]
    return pd.Series(pd.Index(names, dtype=object).take(codes).to_numpy(), index=dates.index)


def labels_between(first: str, last: str, freq: str) -> list[str]:
    """Every fiscal-year or fiscal-quarter label from the one holding ``first`` to the one
    holding ``last`` (both period labels), in order."""
    if freq not in ("FY", "quarter"):
        raise ValueError(f"freq={freq!r}: expected FY or quarter")
    a, b = parse(first), parse(last)
    q, qb = (pd.Period(pd.Timestamp(x.start), freq="Q-SEP") for x in (a, b))
    out: list[str] = []
    while q <= qb:
        lab = label(q.qyear, None if freq == "FY" else q.quarter)
        if lab not in out:
            out.append(lab)
        q += 1
    return out


def previous_quarters(quarter_label: str, n: int) -> list[str]:
    """The ``n`` fiscal quarters ending with ``quarter_label`` (``FY2024-Q3``), oldest first."""
    p = parse(quarter_label)
    q = pd.Period(pd.Timestamp(p.start), freq="Q-SEP")
    return [label((q - i).qyear, (q - i).quarter) for i in range(n)][::-1]


def coverage(label_text: str, as_of: object) -> tuple[float, bool]:
    """Share of the period ``label_text`` covered up to ``as_of`` (0..1), and whether the whole
    period is covered (a part-year or part-quarter is not)."""
    per = parse(label_text)
    start, end, stop = pd.Timestamp(per.start), pd.Timestamp(per.end), pd.Timestamp(as_of)
    covered = (min(stop, end) - start).days + 1
    total = (end - start).days + 1
    return max(covered, 0) / total, covered >= total


#: Words of a note that mean the figure covers only part of its period (a publisher's or
#: compiler's "partial year", "part-year figure", "year to date").
PART_YEAR_NOTE = re.compile(r"\b(?:partial year|part[- ]year|year[- ]to[- ]date|incomplete year)\b",
                            re.IGNORECASE)


def _today() -> date:
    return date.today()


def part_year(period: str, note: object = None, *, as_of: date | None = None) -> bool:
    """True when the figure for ``period`` covers only part of it: the note says so
    ("partial year"), the period is year-to-date (``FY2023-YTD-Q2``), or the period has not
    ended yet on ``as_of`` (default today: the current fiscal year)."""
    if isinstance(note, str) and PART_YEAR_NOTE.search(note):
        return True
    label = str(period or "").strip()
    if not label:
        return False
    if "-YTD-" in label:
        return True
    try:
        parsed = parse(label)
    except ValueError:
        return False
    return parsed.end > (as_of or _today())


# -- dates and month names written in words (title lines, file names, articles) ------------
# The one place month names are spelled; dates are read by dateparser (English, month first).

MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august",
               "september", "october", "november", "december")
#: every spelling of a month a publisher uses (names and abbreviations, lower case) -> 1..12
MONTHS: dict[str, int] = {
    **{name: number for number, name in enumerate(MONTH_NAMES, start=1)},
    **{name[:3]: number for number, name in enumerate(MONTH_NAMES, start=1)},
    "sept": 9,
}
#: a regular-expression alternation of :data:`MONTHS`, longest first ("sept" before "sep");
#: compile it with ``re.IGNORECASE``
MONTH_PATTERN = "|".join(sorted(MONTHS, key=len, reverse=True))
_DATE_WORDS = (rf"(?:(?:{MONTH_PATTERN})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s*(?:\d{{4}})?"
               r"|\d{4}-\d{2}-\d{2}(?:T[\d:]+)?|\d{1,2}/\d{1,2}/\d{4})")
#: a range of two dates in a line ("October 1, 2023 - December 31, 2023", "Oct. 1 to Dec. 31,
#: 2023", "10/1/2023 through 12/31/2023")
DATE_RANGE = re.compile(rf"(?P<d1>{_DATE_WORDS})\s*(?:[-\u2013\u2014]+|to|through)\s*"
                        rf"(?P<d2>{_DATE_WORDS})", re.IGNORECASE)


def month_of_name(name: str) -> int | None:
    """The month (1 to 12) a name or abbreviation spells ("Sept.", "october"), else None."""
    return MONTHS.get(name.strip().lower().rstrip("."))


def parse_date(text: str, year: int | None = None) -> date:
    """A date written in words or numbers ("October 1, 2023", "Oct. 1 2023", "1st October
    2023", "2023-10-01", "10/1/2023": month before day), read by dateparser. ``year``
    completes a date written without one ("October 1"). Raises ValueError for anything that is
    not a whole, possible date."""
    import dateparser

    settings = {"DATE_ORDER": "MDY", "PREFER_DAY_OF_MONTH": "first",
                "REQUIRE_PARTS": ["day", "month"] + ([] if year else ["year"])}
    if year:
        settings["RELATIVE_BASE"] = pd.Timestamp(year=year, month=1, day=1).to_pydatetime()
    value = text.strip().rstrip(",")
    found = dateparser.parse(value, languages=["en"], settings=settings) if value else None
    if found is None:
        raise ValueError(f"{text!r} is not a date")
    return found.date()


def date_range(text: str) -> tuple[date, date, re.Match[str]] | None:
    """The first :data:`DATE_RANGE` in ``text`` as dates (the end's year completes a start
    written without one), with the match; None when there is none. Raises ValueError for an
    impossible date."""
    m = DATE_RANGE.search(text)
    if not m:
        return None
    end = parse_date(m["d2"])
    return parse_date(m["d1"], end.year), end, m
