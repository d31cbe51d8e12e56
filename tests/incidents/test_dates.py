import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from incidents.dates import PartialDate, Precision
from incidents.models import Incident
from tests.factories import IncidentFactory


@pytest.mark.parametrize(
    ("text", "start", "precision", "display"),
    [
        ("2020", dt.date(2020, 1, 1), Precision.YEAR, "2020"),
        ("2020-03", dt.date(2020, 3, 1), Precision.MONTH, "March 2020"),
        ("2020-03-30", dt.date(2020, 3, 30), Precision.DAY, "30 March 2020"),
        ("2020-02-29", dt.date(2020, 2, 29), Precision.DAY, "29 February 2020"),
    ],
)
def test_partial_date_parses_formats_and_round_trips(text, start, precision, display):
    value = PartialDate.parse(text)
    assert (value.start, value.precision) == (start, precision)
    assert value.isoformat() == text
    assert str(value) == text
    assert value.display() == display
    assert PartialDate.parse(value.isoformat()) == value


@pytest.mark.parametrize(
    "text", ["", "20", "2020-3", "2020-13", "2020-02-30", "2021-02-29", "March 2020", "2020-03-"]
)
def test_partial_date_refuses_what_is_not_a_date(text):
    with pytest.raises(ValueError, match="date"):
        PartialDate.parse(text)


@pytest.mark.parametrize(
    ("text", "end"),
    [
        ("2020", dt.date(2020, 12, 31)),
        ("2020-02", dt.date(2020, 2, 29)),
        ("2020-12", dt.date(2020, 12, 31)),
        ("2020-03-30", dt.date(2020, 3, 30)),
    ],
)
def test_partial_date_end_is_the_last_day_of_its_period(text, end):
    assert PartialDate.parse(text).end == end


def test_a_month_date_must_start_on_the_first():
    with pytest.raises(ValueError, match="must start on the 1st"):
        PartialDate(dt.date(2020, 3, 15), Precision.MONTH)


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["2020", "2020-03", "2020-03-30"])
def test_partial_date_round_trips_through_the_database(text):
    value = PartialDate.parse(text)
    incident = IncidentFactory(occurred_on=value.start, occurred_on_precision=value.precision)
    stored = Incident.objects.get(pk=incident.pk)
    assert stored.occurred == value
    assert stored.occurred.isoformat() == text


@pytest.mark.django_db
def test_database_refuses_a_month_date_not_on_the_first():
    with pytest.raises(IntegrityError, match="occurred_on_prec"):
        IncidentFactory(occurred_on=dt.date(2020, 3, 15), occurred_on_precision=Precision.MONTH)


@pytest.mark.django_db
def test_database_refuses_a_date_without_its_precision():
    with pytest.raises(IntegrityError, match="occurred_on_prec"):
        IncidentFactory(occurred_on=dt.date(2020, 3, 1), occurred_on_precision=None)


@pytest.mark.django_db
def test_model_validation_refuses_a_future_date():
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)
    incident = IncidentFactory.build(occurred_on=tomorrow, occurred_on_precision=Precision.DAY)
    with pytest.raises(ValidationError) as error:
        incident.full_clean()
    assert "occurred_on" in error.value.message_dict
