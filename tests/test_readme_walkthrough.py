"""The README's curl walkthrough works as written, against a live server."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from incidents.models import Incident
from incidents.seeding import seed_apply

README = Path(__file__).resolve().parents[1] / "README.md"
MARKER = "<!-- walkthrough:"


def walkthrough() -> str:
    text = README.read_text()
    after = text[text.index(MARKER) :]
    return re.search(r"```sh\n(.*?)```", after, re.S).group(1)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_readme_walkthrough_runs_as_written(live_server, tmp_path):
    bash, curl = shutil.which("bash"), shutil.which("curl")
    assert bash, "the walkthrough needs bash"
    assert curl, "the walkthrough needs curl"
    seed_apply()
    get_user_model().objects.create_superuser("admin", password="walk-through-pass")
    result = subprocess.run(
        [bash, "-euo", "pipefail", "-c", walkthrough()],
        cwd=tmp_path,
        env={
            "PATH": f"{Path(curl).parent}:/usr/bin:/bin",
            "API": f"{live_server.url}/api/v1",
            "VCWATCH_PASSWORD": "walk-through-pass",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]

    incident = Incident.objects.get(slug="council-meeting-intrusion-2020")
    assert incident.status == Incident.Status.CONFIRMED
    reported = incident.timeline.exclude(kind="status_change")
    assert reported.count() == 2
    assert all(event.citations.count() == 1 for event in reported)

    lines = result.stdout.splitlines()
    found = [json.loads(line) for line in lines if line.startswith('{"next"')]
    assert [row["slug"] for row in found[0]["results"]] == [incident.slug]  # q=council...
    assert found[1]["results"][0]["title"] == "Intruders disrupt a council meeting on Zoom"
    exported = (tmp_path / "confirmed-zoom.csv").read_text()
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert incident.slug in {row["slug"] for row in rows}, exported[:300]
    stix = json.loads((tmp_path / "council.stix.json").read_text())
    assert stix["type"] == "bundle"
    veris = json.loads((tmp_path / "council.veris.json").read_text())
    assert veris["timeline"]["incident"] == {"year": 2020, "month": 4}
