"""Serializer fields of the API."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.dates import PartialDate


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$",
        "example": "2020-03",
        "description": "A date at its precision: YYYY, YYYY-MM or YYYY-MM-DD.",
    }
)
class PartialDateField(serializers.Field):
    """``2020``, ``2020-03`` or ``2020-03-30``, read and written at its precision."""

    def to_representation(self, value: PartialDate) -> str:
        return value.isoformat()

    def to_internal_value(self, data) -> PartialDate:
        if not isinstance(data, str):
            raise serializers.ValidationError(
                "Give the date as a string: YYYY, YYYY-MM or YYYY-MM-DD.", code="invalid"
            )
        try:
            return PartialDate.parse(data)
        except ValueError as error:
            raise serializers.ValidationError(str(error), code="invalid") from None


class OptionalURLField(serializers.URLField):
    """A URL, or null where none is known (never an empty string, which is no URL)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value: str) -> str | None:
        return value or None
