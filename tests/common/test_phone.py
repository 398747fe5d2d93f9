"""Phone numbers: the input rules of lalisa_common.phone, for the blind index and for sending."""

from __future__ import annotations

import pytest

from lalisa_common.phone import international_digits, normalise_sender_id, recipient_fields

CANONICAL = "6281234567890"


@pytest.mark.parametrize(
    "spelling",
    [
        "6281234567890",  # WhatsApp's wa_id
        "+6281234567890",  # E.164
        "+62 812-3456-7890",  # spaces and hyphens
        "0812 3456 7890",  # national trunk prefix 0 becomes 62
        "081234567890",
        "(0812) 3456.7890",  # parentheses and dots
        "0812/3456/7890",  # slashes
        "  6281234567890 \n",  # surrounding whitespace
    ],
)
def test_spellings_of_one_number(spelling: str) -> None:
    assert international_digits(spelling) == CANONICAL
    assert normalise_sender_id(spelling) == CANONICAL
    assert recipient_fields(spelling) == {"to": "+" + CANONICAL}


def test_other_countries_stay_as_written() -> None:
    assert international_digits("+1 (555) 010-9999") == "15550109999"


@pytest.mark.parametrize("value", ["ID.13491208655302741918", "Test-User", "62812abc", "++62812"])
def test_values_that_are_not_phone_numbers(value: str) -> None:
    assert international_digits(value) is None
    assert normalise_sender_id(value) == value.strip().lower()
    assert recipient_fields(value) == {"recipient": value}


def test_non_ascii_digits_are_not_a_number() -> None:
    assert international_digits("٠٨١٢٣٤٥٦٧٨٩") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("6281234567890", "6281234567890"),
        ("+62 812-3456-7890", "6281234567890"),
        ("081234567890", "6281234567890"),
        ("0812 3456 7890", "6281234567890"),
        ("(0812) 3456.7890", "6281234567890"),
        (" +6281234567890 ", "6281234567890"),
        ("Default", "default"),
        ("user-1", "user-1"),
    ],
)
def test_normalise_sender_id(raw: str, expected: str) -> None:
    assert normalise_sender_id(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "+", " - "])
def test_normalise_rejects_empty(raw: str) -> None:
    with pytest.raises(ValueError):
        normalise_sender_id(raw)


@pytest.mark.parametrize("empty", ["", "   "])
def test_empty_recipients_are_refused(empty: str) -> None:
    with pytest.raises(ValueError):
        recipient_fields(empty)
