"""The named validators that keep only real NHS numbers and plausible dates of birth."""

from datetime import date

import pytest

from transforms.scoring.validators import VALIDATORS, date_of_birth, nhs_number

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    "text",
    ["9434765919", "943 476 5919", "943-476-5919", "999 123 4519", "401 023 2137"],
)
def test_nhs_number_accepts_a_valid_check_digit(text: str) -> None:
    assert nhs_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "943 476 5918",  # wrong check digit
        "943 476 591",  # nine digits
        "943 476 59190",  # eleven digits
        "943/476/5919",  # slashes are not NHS-number separators
        "abc 476 5919",
    ],
)
def test_nhs_number_rejects_malformed_or_wrong_numbers(text: str) -> None:
    assert not nhs_number(text)


def test_nhs_number_rejects_a_check_value_of_ten() -> None:
    # 0,0,0,0,0,0,0,0,6 weighs 6 x 2 = 12; 11 - 12 % 11 = 10, a value never issued.
    for last in "0123456789":
        assert not nhs_number("000000006" + last)


def test_nhs_number_maps_a_check_value_of_eleven_to_zero() -> None:
    # Nine zeros weigh 0; 11 - 0 = 11, which becomes a check digit of 0.
    assert nhs_number("0000000000")
    assert not nhs_number("0000000001")


@pytest.mark.parametrize(
    "text",
    [
        "DOB 03/02/1941",
        "d.o.b. 3.2.41",
        "born 1941-02-03",
        "DOB: 3rd February 1941",
        "date of birth February 3, 1941",
        "DOB 25/11/2026",  # today counts as the past
    ],
)
def test_date_of_birth_accepts_a_plausible_past_date(text: str) -> None:
    assert date_of_birth(text, today=TODAY)


@pytest.mark.parametrize(
    "text",
    [
        "DOB 31/02/1990",  # not a calendar date
        "DOB 01/12/2030",  # in the future
        "DOB 26/11/2026",  # tomorrow
        "born 01/01/1850",  # older than anyone alive
        "DOB unknown",
        "DOB 13/13/1990",
    ],
)
def test_date_of_birth_rejects_impossible_dates(text: str) -> None:
    assert not date_of_birth(text, today=TODAY)


def test_two_digit_years_are_read_as_the_latest_past_year() -> None:
    assert date_of_birth("DOB 01/01/26", today=TODAY)  # 2026
    assert date_of_birth("DOB 01/12/26", today=TODAY)  # 1926: December 2026 is in the future


def test_validators_are_registered_by_name() -> None:
    assert VALIDATORS["nhs_number"] is nhs_number
    assert VALIDATORS["date_of_birth"] is date_of_birth
