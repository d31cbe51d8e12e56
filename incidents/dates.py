"""Dates known to a precision: a fact known only to "March 2020" is ``2020-03``, never 1 March.

A partial date is stored in two columns: the first day of the period (for ordering and range
filters) and its precision. ``PartialDate`` is the one value type that parses and formats it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?)?$")


class Precision(models.TextChoices):
    YEAR = "year", "Year"
    MONTH = "month", "Month"
    DAY = "day", "Day"


@dataclass(frozen=True, order=True)
class PartialDate:
    """A calendar date known to a year, a month or a day."""

    start: dt.date
    precision: Precision

    def __post_init__(self) -> None:
        if self.precision != Precision.DAY and self.start.day != 1:
            raise ValueError(f"a {self.precision} date must start on the 1st, not {self.start}")
        if self.precision == Precision.YEAR and self.start.month != 1:
            raise ValueError(f"a year date must start on 1 January, not {self.start}")

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Parse ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; ValueError names what is wrong."""
        match = _PATTERN.match(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"{text!r} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD")
        year, month, day = match["year"], match["month"], match["day"]
        precision = Precision.DAY if day else Precision.MONTH if month else Precision.YEAR
        try:
            start = dt.date(int(year), int(month or 1), int(day or 1))
        except ValueError:
            raise ValueError(f"{text!r} is not a date on the calendar") from None
        return cls(start, precision)

    @classmethod
    def from_db(cls, start: dt.date | None, precision: str | None) -> PartialDate | None:
        if start is None or precision is None:
            return None
        return cls(start, Precision(precision))

    @classmethod
    def day(cls, date: dt.date) -> PartialDate:
        return cls(date, Precision.DAY)

    @property
    def end(self) -> dt.date:
        """The last day of the period."""
        if self.precision == Precision.DAY:
            return self.start
        if self.precision == Precision.MONTH:
            first_of_next = (self.start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            return first_of_next - dt.timedelta(days=1)
        return self.start.replace(month=12, day=31)

    def isoformat(self) -> str:
        if self.precision == Precision.YEAR:
            return f"{self.start.year:04d}"
        if self.precision == Precision.MONTH:
            return f"{self.start.year:04d}-{self.start.month:02d}"
        return self.start.isoformat()

    def display(self) -> str:
        """Human form: ``2020``, ``March 2020``, ``30 March 2020``."""
        if self.precision == Precision.YEAR:
            return str(self.start.year)
        if self.precision == Precision.MONTH:
            return self.start.strftime("%B %Y")
        return f"{self.start.day} {self.start.strftime('%B %Y')}"

    def __str__(self) -> str:
        return self.isoformat()


def precision_constraints(prefix: str, *, nullable: bool) -> list[models.BaseConstraint]:
    """Constraints holding ``<prefix>`` and ``<prefix>_precision`` to a valid partial date.

    Each term guards its NULLs explicitly: a CHECK whose condition is NULL passes.
    """
    date, precision = prefix, f"{prefix}_precision"
    aligned = models.Q(**{f"{date}__isnull": False}) & (
        models.Q(**{precision: Precision.DAY})
        | models.Q(**{precision: Precision.MONTH, f"{date}__day": 1})
        | models.Q(**{precision: Precision.YEAR, f"{date}__day": 1, f"{date}__month": 1})
    )
    if nullable:
        aligned = models.Q(**{f"{date}__isnull": True, f"{precision}__isnull": True}) | (
            models.Q(**{f"{precision}__isnull": False}) & aligned
        )
    return [models.CheckConstraint(condition=aligned, name=f"%(app_label)s_%(class)s_{date}_prec")]


def refuse_future(**dates: dt.date | None) -> None:
    """Raise a ValidationError naming each field whose date lies after today (UTC)."""
    today = timezone.now().date()
    errors = {
        name: f"{date} is in the future." for name, date in dates.items() if date and date > today
    }
    if errors:
        raise ValidationError(errors)
