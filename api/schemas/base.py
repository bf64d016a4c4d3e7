"""What a request may send: the base of every body schema, and the patterns and types of inputs the OpenAPI
document describes as precisely as the server checks them (tests/api/test_openapi_inputs.py holds them together).

`InSchema` is the base of every schema a request body is read with (and of every object nested in one).

ninja's `Schema` is made for the way out: it validates `from_attributes`, wrapping whatever it is given in a
`DjangoGetter` so that a model instance reads like a dict. On the way in that wrapper lets any JSON value through:
a list, a string or a number has no attribute `version`, so `[{"version": 1}]` posted to a body whose fields all
have defaults validated as `{}` (200, the stale-version check skipped), and a field named like a method of `str`
or `list` (`count`, `index`, `title`) would have read that method. `InSchema` validates a JSON object as a JSON
object: anything else is 422 `model_type`, nested objects included. tests/api/test_request_bodies.py checks that
every operation's body is an `InSchema` all the way down, and that every wrong-typed body answers 422.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import (
    BeforeValidator,
    ConfigDict,
    ModelWrapValidatorHandler,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError


class InSchema(Schema):
    model_config = ConfigDict(from_attributes=False)

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(
        cls, values: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo
    ) -> Any:
        # Replaces (by name) ninja's validator that wraps `values` in a DjangoGetter: a dict is validated as it
        # is, and anything else fails pydantic's own `model_type` check.
        return handler(values)


# --- inputs the OpenAPI document describes as precisely as the server checks them ------------------------------
# `[0-9]`, never `\d` (which matches every script's digits) and no `\s`: a generated client or a fuzzer
# produces exactly what the server takes.

# near=LAT,LON in decimal degrees (the range is checked after the pattern: 422 on `near` either way).
NEAR_PATTERN = r"^ *(-?[0-9]+(?:\.[0-9]+)?) *, *(-?[0-9]+(?:\.[0-9]+)?) *$"
# A calendar month YYYY-MM from the year 2000 on (backend/reports/selectors.py checks it: 422 `invalid_month`).
MONTH_PATTERN = r"^[2-9][0-9]{3}-(0[1-9]|1[0-2])$"
# A phone as people type it: digits with spaces, dots, dashes or brackets, an optional leading +. Anything else is
# refused at once; what matches is then checked as a number (backend/accounts/phones.py: 422 `invalid_phone`).
PHONE_PATTERN = r"^ *(\+?[0-9(][0-9 ().-]*)? *$"
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# An ISO 8601 date and time with its offset: 2026-11-28T09:30:00+07:00, ...T02:30:00Z, seconds and fractions
# optional. `T` or a space between date and time, as datetime.fromisoformat reads them.
_ISO_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(?P<offset>Z|z|[+-][0-9]{2}:?[0-9]{2})?"
)


def _iso_date_only(value: Any) -> Any:
    # pydantic alone also reads a number (or a string of digits) as a Unix time: due_before=0 was 1 January 1970.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise PydanticCustomError("date_parsing", "Input should be a date as YYYY-MM-DD")


# A date written YYYY-MM-DD, nothing else.
IsoDate = Annotated[
    date, BeforeValidator(_iso_date_only), WithJsonSchema({"type": "string", "format": "date"})
]


def _iso_datetime_only(value: Any) -> Any:
    # pydantic alone reads a number (or a string of digits) as a Unix time: `"occurred_at": 0` was 1970, and
    # `1700000000` a plausible moment. A naive time is refused too: Indonesia has three zones (WIB, WITA, WIT),
    # so a time without its offset is ambiguous by up to two hours, and a phone always knows its own offset.
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return value
    if isinstance(value, str):
        match = _ISO_DATETIME.fullmatch(value)
        if match and match["offset"]:
            return value
        if match:
            raise PydanticCustomError(
                "timezone_required", "Input should have a time zone offset, e.g. 2026-11-28T09:30:00+07:00"
            )
    raise PydanticCustomError(
        "datetime_parsing",
        "Input should be an ISO 8601 date and time with an offset, e.g. 2026-11-28T09:30:00+07:00",
    )


# A date and time written ISO 8601 with its offset (`Z` or `+07:00`), nothing else: no number, no naive time.
IsoDatetime = Annotated[
    datetime, BeforeValidator(_iso_datetime_only), WithJsonSchema({"type": "string", "format": "date-time"})
]
# An optional header that must be a UUID (the service answers 422 with its own code when it is not).
UuidHeader = Annotated[str | None, WithJsonSchema({"type": "string", "format": "uuid"})]
