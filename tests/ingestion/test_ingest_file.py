"""`manage.py ingest_file`: a text or HTML document through the pipeline, and each refusal in
one line with nothing stored."""

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from incidents.dates import Precision
from incidents.ingestion import documents
from incidents.models import Article

STORY = (
    "Zoom fixes a flaw that let intruders join meetings\n\n"
    "Zoom has patched a vulnerability that let intruders guess meeting IDs and join calls "
    "without a password. Researchers reported the flaw to the company in the spring and say it "
    "was exploited against schools.\n\n"
    "The company urges hosts to turn on waiting rooms and meeting passwords.\n"
)
PAGE = (
    "<!DOCTYPE html><html lang='en'><head><title>Zoom fixes a flaw | Example News</title>"
    "<meta property='og:title' content='Zoom fixes a flaw that let intruders join meetings'>"
    "<meta name='date' content='2020-04-02'></head><body><nav>Home | World</nav>"
    "<article><h1>Zoom fixes a flaw that let intruders join meetings</h1>"
    + "".join(f"<p>{p}</p>" for p in STORY.split("\n\n")[1:])
    + "<p><script>alert(1)</script>More on the fix follows in a later report.</p>"
    "</article><footer>Copyright</footer></body></html>"
)


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.django_db
def test_a_text_file_is_stored_with_its_language_relevance_and_date(tmp_path, capsys):
    path = _write(tmp_path, "story.txt", STORY)

    call_command("ingest_file", str(path), "--published", "2020-04")

    article = Article.objects.get()
    assert article.title == "Zoom fixes a flaw that let intruders join meetings"
    assert article.language == "en"
    assert article.relevance > 0.5
    assert "vocabulary:vulnerability" in {m["key"] for m in article.matched_terms}
    assert article.published_on == dt.date(2020, 4, 1)
    assert article.published_on_precision == Precision.MONTH
    assert article.url.startswith("urn:sha256:")
    out = capsys.readouterr().out
    assert f"article {article.pk} (en, relevance" in out
    assert "new; linked 0; queued 0" in out


@pytest.mark.django_db
def test_a_given_language_url_and_title_are_taken(tmp_path):
    path = _write(tmp_path, "story.txt", STORY)
    call_command(
        "ingest_file",
        str(path),
        "--language",
        "NL",
        "--url",
        "https://news.example.org/zoom-flaw?utm_source=x#top",
        "--title",
        "Zoom dicht lek",
    )
    article = Article.objects.get()
    assert article.language == "nl"
    assert article.url == "https://news.example.org/zoom-flaw"
    assert article.title == "Zoom dicht lek"


@pytest.mark.django_db
def test_an_html_file_is_extracted_and_sanitised(tmp_path):
    path = _write(tmp_path, "page.html", PAGE)

    call_command("ingest_file", str(path))

    article = Article.objects.get()
    assert article.title == "Zoom fixes a flaw that let intruders join meetings"
    assert "patched a vulnerability" in article.text
    assert "Home | World" not in article.text  # the page's furniture is left out
    assert "<" not in article.text
    assert "alert(1)" not in article.text
    assert article.published_on == dt.date(2020, 4, 2)
    assert article.language == "en"


@pytest.mark.django_db
def test_the_same_document_twice_is_stored_once(tmp_path, capsys):
    path = _write(tmp_path, "story.txt", STORY)
    call_command("ingest_file", str(path))
    call_command("ingest_file", str(path))
    assert Article.objects.count() == 1
    assert "known; linked 0; queued 0" in capsys.readouterr().out


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("make", "options", "message"),
    [
        (lambda tmp: tmp / "missing.txt", [], "No such file or directory"),
        (lambda tmp: tmp, [], "is a directory"),
        (lambda tmp: _write(tmp, "empty.txt", ""), [], "the document has no text"),
        (lambda tmp: _write(tmp, "blank.txt", " \n\x00\n "), [], "the document has no text"),
        (
            lambda tmp: _write(tmp, "latin1.txt", "Sécurité de Zoom".encode("latin-1")),
            [],
            "not UTF-8 text",
        ),
        (
            lambda tmp: _write(tmp, "nav.html", "<html><body><nav>Home</nav></body></html>"),
            [],
            "no article text could be extracted",
        ),
        (lambda tmp: _write(tmp, "s.txt", STORY), ["--language", "dutch"], "--language"),
        (lambda tmp: _write(tmp, "s.txt", STORY), ["--url", "ftp://x.org/a"], "--url"),
        (lambda tmp: _write(tmp, "s.txt", STORY), ["--url", "https://u:p@x.org/"], "--url"),
        (lambda tmp: _write(tmp, "s.txt", STORY), ["--published", "2020-02-30"], "--published"),
        (lambda tmp: _write(tmp, "s.txt", STORY), ["--published", "March"], "--published"),
    ],
)
def test_refusals_say_why_in_one_line_and_store_nothing(tmp_path, make, options, message):
    path = make(tmp_path)
    with pytest.raises(CommandError, match=message) as refusal:
        call_command("ingest_file", str(path), *options)
    assert "\n" not in str(refusal.value)
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_an_oversized_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(documents, "MAX_BYTES", 1000)
    path = _write(tmp_path, "big.txt", STORY * 10)
    with pytest.raises(CommandError, match="larger than"):
        call_command("ingest_file", str(path))
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_a_text_whose_language_cannot_be_told_is_refused(tmp_path):
    path = _write(tmp_path, "numbers.txt", "12345 67890\n\n2020-04-01 13:37")
    with pytest.raises(CommandError, match="language"):
        call_command("ingest_file", str(path))
    assert not Article.objects.exists()
