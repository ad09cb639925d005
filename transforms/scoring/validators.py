"""Named checks that a pattern alone cannot express, referenced from signals by name.

A signal's regex finds the shape (ten digits, a date after "DOB"); its validator decides whether
the shape is real (a valid check digit, a date that can be someone's birthday). Each validator
takes the matched text and returns True to keep the match.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

NHS_NUMBER_SEPARATORS = re.compile(r"[\s-]")
OLDEST_PLAUSIBLE_AGE = 120

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_NAME = "|".join(sorted(MONTHS, key=len, reverse=True))
NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?!\d)")
ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
DAY_MONTH_YEAR = re.compile(
    rf"(?i)(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_NAME})\.?,?\s+(\d{{4}})(?!\d)"
)
MONTH_DAY_YEAR = re.compile(
    rf"(?i)\b({_MONTH_NAME})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})(?!\d)"
)


def nhs_number(text: str) -> bool:
    """Ten digits (spaces and dashes allowed) whose last is the modulus-11 check digit.

    A remainder giving a check value of 10 is never issued, so such numbers are rejected.
    """
    digits = NHS_NUMBER_SEPARATORS.sub("", text)
    if len(digits) != 10 or not digits.isdigit():
        return False
    weighted = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - weighted % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def date_of_birth(text: str, today: date | None = None) -> bool:
    """The text holds a real calendar date in the past, no more than 120 years ago.

    Accepts day-first numeric dates (03/02/1941, 3.2.41), ISO dates and dates with month names.
    A two-digit year may be read in this century or the last, whichever is plausible.
    """
    today = today or date.today()
    for found in _candidate_dates(text, today):
        if found <= today and today.year - found.year <= OLDEST_PLAUSIBLE_AGE:
            return True
    return False


def _candidate_dates(text: str, today: date) -> list[date]:
    parts: list[tuple[int, int, int]] = []
    for day, month, year in NUMERIC_DATE.findall(text):
        parts += [(full, int(month), int(day)) for full in _full_years(year, today)]
    for year, month, day in ISO_DATE.findall(text):
        parts.append((int(year), int(month), int(day)))
    for day, month, year in DAY_MONTH_YEAR.findall(text):
        parts.append((int(year), MONTHS[month.lower()], int(day)))
    for month, day, year in MONTH_DAY_YEAR.findall(text):
        parts.append((int(year), MONTHS[month.lower()], int(day)))
    dates = []
    for year, month, day in parts:
        try:
            dates.append(date(year, month, day))
        except ValueError:
            continue  # 31/02 and the like are not dates
    return dates


def _full_years(year: str, today: date) -> list[int]:
    """A two-digit year could be this century or the last; the caller keeps the past one."""
    if len(year) == 4:
        return [int(year)]
    century = today.year // 100 * 100
    return [century + int(year), century - 100 + int(year)]


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "nhs_number": nhs_number,
    "date_of_birth": date_of_birth,
}
