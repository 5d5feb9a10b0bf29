"""Vehicle Identification Number checks (ISO 3779; check digit per 49 CFR 565)."""

from __future__ import annotations

from enum import StrEnum

_TRANSLITERATION = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
# World manufacturer identifiers starting with these characters are North American,
# where the ninth character is a mandatory check digit.
_NORTH_AMERICA = frozenset("12345")


class VinStatus(StrEnum):
    """Outcome of a VIN check."""

    VALID = "valid"  # well formed, check digit verified
    UNVERIFIED = (
        "unverified"  # well formed, no mandatory check digit (outside N. America)
    )
    CHECK_DIGIT_MISMATCH = "check_digit_mismatch"  # flagged, not rejected, outside NA


class InvalidVin(ValueError):
    """The VIN is malformed, or a North American VIN fails its check digit."""


def check_digit(vin: str) -> str:
    """Return the expected check digit ("0"-"9" or "X") of a 17-character VIN."""
    total = sum(_TRANSLITERATION[c] * w for c, w in zip(vin, _WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def validate_vin(vin: str) -> tuple[str, VinStatus]:
    """Normalise and check a VIN.

    Args:
        vin: The VIN as typed; spaces are removed and letters upper-cased.

    Returns:
        The normalised VIN and its status.

    Raises:
        InvalidVin: Wrong length, a forbidden letter (I, O, Q) or another character
            that is not a VIN character, or a North American VIN with a wrong check
            digit.
    """
    normal = vin.replace(" ", "").upper()
    if len(normal) != 17:
        raise InvalidVin(f"a VIN has 17 characters, got {len(normal)}")
    bad = sorted({c for c in normal if c not in _TRANSLITERATION})
    if bad:
        raise InvalidVin(f"characters not allowed in a VIN: {''.join(bad)}")
    if check_digit(normal) == normal[8]:
        return normal, VinStatus.VALID
    if normal[0] in _NORTH_AMERICA:
        raise InvalidVin("check digit does not match (North American VIN)")
    return normal, VinStatus.CHECK_DIGIT_MISMATCH if normal[8] in "0123456789X" else (
        VinStatus.UNVERIFIED
    )
