"""The analyst's admin workflow in a real browser: log in, file an incident with two timeline
events inline, move it through the workflow and read its history, with the admin's own CSS and
JavaScript (inline rows, slug prepopulation, platform autocomplete) loaded and no console error
or Content-Security-Policy violation on the way."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from playwright.sync_api import Page, expect

from incidents.models import Incident, Platform, TimelineEvent
from incidents.workflow import allowed_transitions
from tests.browser.conftest import BrowserProblems, screenshot_on_failure

# Live server and browser share committed data; the migrations' groups survive the flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

Status = Incident.Status
PASSWORD = "correct horse battery staple"  # the analyst persona's (tests/conftest.py)
TITLE = "Intruders in a city council meeting"
SLUG = "intruders-in-a-city-council-meeting"
EVENTS = [
    ("2020-04", "Report", "Council reports the intrusion."),
    ("2020-04-02", "Response", "Meeting moved behind a waiting room."),
]
MOVES = [Status.INVESTIGATING, Status.CONFIRMED, Status.MITIGATED, Status.RESOLVED]


def test_analyst_files_moves_and_reads_the_history_of_an_incident_in_chromium(
    page: Page, browser_problems: BrowserProblems, analyst, tmp_path
):
    # The seed's platforms are not in the test database.
    Platform.objects.create(slug="zoom", name="Zoom")
    with screenshot_on_failure(page, tmp_path, browser_problems):
        _log_in(page, analyst.username)
        _assert_admin_styles_loaded(page)
        _file_incident(page)

        incident = Incident.objects.get(slug=SLUG)
        assert (incident.status, incident.created_by) == (Status.REPORTED, analyst)
        assert [p.slug for p in incident.platforms.all()] == ["zoom"]
        typed = incident.timeline.exclude(kind=TimelineEvent.Kind.STATUS_CHANGE)
        assert [(e.when.isoformat(), e.get_kind_display(), e.description) for e in typed] == EVENTS
        assert {e.created_by for e in typed} == {analyst}

        for to_status in MOVES:
            _move(page, to_status)
        incident.refresh_from_db()
        assert incident.status == Status.RESOLVED
        moves = incident.timeline.filter(kind=TimelineEvent.Kind.STATUS_CHANGE)
        assert [(e.from_status, e.to_status, e.created_by) for e in moves] == [
            (Status.REPORTED, Status.INVESTIGATING, analyst),
            (Status.INVESTIGATING, Status.CONFIRMED, analyst),
            (Status.CONFIRMED, Status.MITIGATED, analyst),
            (Status.MITIGATED, Status.RESOLVED, analyst),
        ]

        _assert_history(page, analyst.username)
    assert browser_problems == [], "the browser reported problems:\n" + "\n".join(browser_problems)


def _log_in(page: Page, username: str) -> None:
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/$"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.get_by_role("heading", name=admin.site.index_title)).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text(username)


def _assert_admin_styles_loaded(page: Page) -> None:
    """Every stylesheet the admin links was served and parsed (a blocked or missing one has no
    rules)."""
    page.wait_for_load_state("load")  # every stylesheet loaded or failed
    sheets = page.evaluate(
        """() => [...document.querySelectorAll('link[rel="stylesheet"]')].map(
             (link) => [link.href, link.sheet ? link.sheet.cssRules.length : 0])"""
    )
    assert any("/static/admin/css/base.css" in href for href, _ in sheets), sheets
    assert all(rules > 0 for _, rules in sheets), sheets


def _file_incident(page: Page) -> None:
    page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Incidents", exact=True)
    ).get_by_role("link", name="Add").click()
    expect(page.get_by_role("heading", name="Add incident")).to_be_visible()
    # The admin's scripts (jQuery, inlines, prepopulate, autocomplete) ran before typing starts.
    page.wait_for_load_state("load")
    assert page.evaluate("() => typeof window.django?.jQuery") == "function"

    # Typed key by key: prepopulate.js fills the slug from the title as it is typed.
    page.get_by_label("Title").press_sequentially(TITLE)
    expect(page.get_by_label("Slug")).to_have_value(SLUG)
    page.get_by_label("Summary").fill("Uninvited participants disrupted a public meeting.")
    page.get_by_label("Category").select_option(label="Intrusion")
    page.get_by_label("Severity").select_option(label="High")
    page.get_by_label("Occurred on").fill("2020-04")
    _choose_platform(page, "Zoom")

    timeline = page.locator("#timeline-group")
    # The inline shows one empty row; inlines.js adds the second.
    timeline.get_by_role("button", name=re.compile("Add another timeline event", re.I)).click()
    for index, (date, kind, description) in enumerate(EVENTS):
        timeline.locator(f'[name="timeline-{index}-date"]').fill(date)
        timeline.locator(f'[name="timeline-{index}-kind"]').select_option(label=kind)
        timeline.locator(f'[name="timeline-{index}-description"]').fill(description)

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=TITLE))
    expect(row).to_contain_text("Reported")
    expect(row).to_contain_text("Zoom")
    row.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name="Change incident")).to_be_visible()


def _choose_platform(page: Page, name: str) -> None:
    """The admin's autocomplete widget (select2 over the admin's autocomplete view)."""
    field = page.locator(".field-platforms")
    field.get_by_role("searchbox").click()
    field.get_by_role("searchbox").fill(name[:3])
    page.get_by_role("option", name=name, exact=True).click()
    # The widget's own <select> (hidden behind it) now holds the choice.
    expect(page.locator('select[name="platforms"]')).to_have_values([re.compile(r"^\d+$")])


def _move(page: Page, to_status: str) -> None:
    label = Status(to_status).label
    page.get_by_role("link", name=f"Move to {label.lower()}", exact=True).click()
    expect(page.get_by_label("To status")).to_have_value(to_status)
    page.get_by_label("Note").fill(f"Now {label.lower()}.")
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.locator(".messagelist")).to_have_text(f"{TITLE} is now {label.lower()}.")
    expect(page.locator(".field-status .readonly")).to_have_text(label)
    moves_offered = page.get_by_role("link", name=re.compile(r"^Move to "))
    expect(moves_offered).to_have_text(
        [f"Move to {Status(s).label.lower()}" for s in allowed_transitions(to_status)]
    )


def _assert_history(page: Page, username: str) -> None:
    page.get_by_role("link", name="History", exact=True).click()
    expect(page.get_by_role("heading", name=f"History: {TITLE}")).to_be_visible()
    history = page.locator("#change-history")
    pairs = [("reported", "investigating"), ("investigating", "confirmed")]
    pairs += [("confirmed", "mitigated"), ("mitigated", "resolved")]
    filed = history.get_by_role("row").filter(has_text="Incident insert")
    expect(filed).to_contain_text(f"title: {TITLE}")
    expect(filed).to_contain_text(username)
    for old, new in pairs:
        row = history.get_by_role("row").filter(has_text=f"status: {old} → {new}")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(username)
        expect(row).to_contain_text("Incident update")
    for _, _, description in EVENTS:
        row = history.get_by_role("row").filter(has_text=f"description: {description}")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(username)
        expect(row).to_contain_text("TimelineEvent insert")
