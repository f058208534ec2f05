"""Argument types for tools: a JSON Schema an LLM can read, and validation with stable error codes.

Each type runs the domain rule and reports a failure as a pydantic custom error whose
`type` is our `ErrorCode`, so the MCP boundary can hand agents the same code whether
a value failed here or deeper in a service.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from localshelf.domain.errors import ErrorCode, InvalidInput
from localshelf.domain.geo import MAX_RADIUS_KM, validate_radius
from localshelf.domain.gtin import normalize_gtin
from localshelf.domain.hours import validate_opening_hours, validate_timezone
from localshelf.domain.ids import validate_public_id
from localshelf.domain.money import MAX_AMOUNT_MINOR, normalize_currency
from localshelf.domain.text import query_terms

T = TypeVar("T")


def _domain(rule: Callable[[T], Any], returns_value: bool = False) -> AfterValidator:
    def check(value: T) -> T:
        try:
            result = rule(value)
        except InvalidInput as exc:
            raise PydanticCustomError(exc.code.value, exc.message) from None
        return result if returns_value else value

    return AfterValidator(check)


def _whole_number(code: ErrorCode) -> BeforeValidator:
    """JSON true/false must not pass as 1/0 for a price or a quantity."""

    def check(value: Any) -> Any:
        if isinstance(value, bool):
            raise PydanticCustomError(code.value, "Expected a whole number, got a boolean.")
        return value

    return BeforeValidator(check)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        raise PydanticCustomError(ErrorCode.INVALID_ARGUMENT.value, "Numbers must be finite (no NaN or infinity).")
    return value


def _in_range(low: float, high: float, code: ErrorCode, what: str) -> Callable[[float], float]:
    def check(value: float) -> float:
        if not math.isfinite(value) or not low <= value <= high:
            raise InvalidInput(f"{what} must be between {low:g} and {high:g}, got {value!r}.", code)
        return value

    return check


def _id_of(kind: str) -> AfterValidator:
    def check(value: str) -> str:
        return validate_public_id(value, kind)

    return _domain(check, returns_value=True)


OrganizationId = Annotated[
    str, Field(description="Organization id.", max_length=64, examples=["org_7k3m9x2p4q8r"]), _id_of("organization")
]
LocationId = Annotated[
    str, Field(description="Store location id.", max_length=64, examples=["loc_7k3m9x2p4q8r"]), _id_of("location")
]
ProductId = Annotated[
    str, Field(description="Product id.", max_length=64, examples=["prd_7k3m9x2p4q8r"]), _id_of("product")
]
OfferId = Annotated[str, Field(description="Offer id.", max_length=64, examples=["ofr_7k3m9x2p4q8r"]), _id_of("offer")]


Latitude = Annotated[
    float,
    BeforeValidator(_finite),
    Field(
        description="Latitude in decimal degrees (WGS84), -90 to 90.",
        examples=[45.5152],
        json_schema_extra={"minimum": -90, "maximum": 90},
    ),
    _domain(_in_range(-90, 90, ErrorCode.INVALID_COORDINATES, "latitude")),
]
Longitude = Annotated[
    float,
    BeforeValidator(_finite),
    Field(
        description="Longitude in decimal degrees (WGS84), -180 to 180.",
        examples=[-122.6784],
        json_schema_extra={"minimum": -180, "maximum": 180},
    ),
    _domain(_in_range(-180, 180, ErrorCode.INVALID_COORDINATES, "longitude")),
]
RadiusKm = Annotated[
    float,
    BeforeValidator(_finite),
    Field(
        description=f"Search radius in km, above 0 and at most {MAX_RADIUS_KM:g}.",
        examples=[5],
        json_schema_extra={"exclusiveMinimum": 0, "maximum": MAX_RADIUS_KM},
    ),
    _domain(validate_radius),
]
Gtin = Annotated[
    str,
    Field(
        description="Barcode number: GTIN-8, UPC-A (12), EAN-13 or GTIN-14 digits; spaces and dashes are ignored.",
        max_length=32,
        examples=["036000291452", "4006381333931"],
    ),
    _domain(normalize_gtin, returns_value=True),
]
Currency = Annotated[
    str,
    Field(description="ISO 4217 currency code, e.g. 'USD'.", max_length=3, examples=["USD", "EUR"]),
    _domain(normalize_currency, returns_value=True),
]
PriceMinor = Annotated[
    int,
    _whole_number(ErrorCode.INVALID_PRICE),
    Field(
        description="Price as an integer in the currency's minor unit (cents): 1099 means 10.99 USD; 500 means 500 JPY.",
        examples=[1099],
        json_schema_extra={"minimum": 0, "maximum": MAX_AMOUNT_MINOR},
    ),
    _domain(_in_range(0, MAX_AMOUNT_MINOR, ErrorCode.INVALID_PRICE, "price_minor")),
]
Quantity = Annotated[
    int,
    _whole_number(ErrorCode.INVALID_QUANTITY),
    Field(
        description="Units on hand at this store, 0 or more.",
        examples=[12],
        json_schema_extra={"minimum": 0, "maximum": 10**9},
    ),
    _domain(_in_range(0, 10**9, ErrorCode.INVALID_QUANTITY, "quantity_on_hand")),
]
SearchQuery = Annotated[
    str,
    Field(description="What the shopper is looking for, in plain words.", max_length=200, examples=["cordless drill"]),
    _domain(query_terms),
]


def _is_encodable(text: str) -> bool:
    """False for a lone surrogate (JSON can carry "\\ud800"), which neither database can store."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _stripped(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:  # PostgreSQL text cannot hold NUL; refuse it on every backend
        raise PydanticCustomError(ErrorCode.INVALID_ARGUMENT.value, "Text must not contain NUL (\\x00) characters.")
    if isinstance(value, str) and not _is_encodable(value):
        raise PydanticCustomError(
            ErrorCode.INVALID_ARGUMENT.value, "Text must be valid Unicode (no lone surrogate code points)."
        )
    return value.strip() if isinstance(value, str) else value


# Free text; a tool narrows the description with Annotated[Text200, Field(description=...)].
Text20 = Annotated[str, BeforeValidator(_stripped), Field(min_length=1, max_length=20)]
Text40 = Annotated[str, BeforeValidator(_stripped), Field(min_length=1, max_length=40)]
Text64 = Annotated[str, BeforeValidator(_stripped), Field(min_length=1, max_length=64)]
Text100 = Annotated[str, BeforeValidator(_stripped), Field(min_length=1, max_length=100)]
Text200 = Annotated[str, BeforeValidator(_stripped), Field(min_length=1, max_length=200)]
Text255 = Annotated[str, BeforeValidator(_stripped), Field(min_length=1, max_length=255)]
Text300 = Annotated[str, BeforeValidator(_stripped), Field(min_length=1, max_length=300)]
Text500 = Annotated[str, BeforeValidator(_stripped), Field(min_length=1, max_length=500)]
Text2000 = Annotated[str, BeforeValidator(_stripped), Field(min_length=1, max_length=2000)]
BrandRef = Annotated[Text200, Field(description="Brand name or brand id (brd_...).", examples=["DeWalt"])]

CountryCode = Annotated[
    str,
    BeforeValidator(lambda v: v.strip().upper() if isinstance(v, str) else v),
    Field(description="ISO 3166-1 alpha-2 country code, e.g. 'US'.", pattern=r"^[A-Z]{2}$", examples=["US"]),
]
TimeZone = Annotated[
    str,
    Field(description="IANA time zone.", max_length=64, examples=["America/Los_Angeles"]),
    _domain(validate_timezone, returns_value=True),
]
OpeningHours = Annotated[
    dict[str, list[list[str]]],
    Field(
        description="Weekday (mon..sun) to [open, close] pairs in 24-hour 'HH:MM'; [] means closed.",
        examples=[{"mon": [["09:00", "18:00"]], "sat": [["10:00", "16:00"]], "sun": []}],
    ),
    _domain(validate_opening_hours, returns_value=True),
]
WebUrl = Annotated[
    str,
    BeforeValidator(_stripped),
    Field(description="http(s) URL.", max_length=500, pattern=r"^https?://[^\s]+$", examples=["https://example.com"]),
]
