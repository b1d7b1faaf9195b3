"""Numbers as words, for speech ("step three of five", "hold for fifteen seconds")."""

from __future__ import annotations

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORDINALS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}


def words(n: int) -> str:
    """``words(45) == "forty-five"``; 0 to 999."""
    if not 0 <= n < 1000:
        raise ValueError(f"{n} is out of range for spoken numbers")
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    hundreds, rest = divmod(n, 100)
    return f"{_ONES[hundreds]} hundred" + (f" and {words(rest)}" if rest else "")


def ordinal(n: int) -> str:
    """``ordinal(3) == "third"``, ``ordinal(21) == "twenty-first"``."""
    spoken = words(n)
    head, sep, last = spoken.rpartition("-") if "-" in spoken else ("", "", spoken)
    if last in _ORDINALS:
        last = _ORDINALS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return f"{head}{sep}{last}"
