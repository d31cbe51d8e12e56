import pytest

from incidents.ingestion.canonical import TRACKING_PARAMETERS, url_canonical


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        pytest.param(
            "HTTPS://News.Example.COM/Tech/Zoom-Flaw",
            "https://news.example.com/Tech/Zoom-Flaw",
            id="scheme-and-host-lowercased-path-case-kept",
        ),
        pytest.param(
            " \thttps://news.example.com/a\n ", "https://news.example.com/a", id="trimmed"
        ),
        pytest.param(
            "http://news.example.com:80/a", "http://news.example.com/a", id="http-port-80"
        ),
        pytest.param(
            "https://news.example.com:443/a", "https://news.example.com/a", id="https-443"
        ),
        pytest.param(
            "https://news.example.com:8443/a", "https://news.example.com:8443/a", id="port"
        ),
        pytest.param(
            "http://news.example.com:443/a", "http://news.example.com:443/a", id="http-443"
        ),
        pytest.param(
            "https://news.example.com/a#comments", "https://news.example.com/a", id="fragment"
        ),
        pytest.param("https://news.example.com/a?", "https://news.example.com/a", id="empty-query"),
        pytest.param("https://news.example.com", "https://news.example.com/", id="empty-path"),
        pytest.param(
            "https://news.example.com/a/./b/../c", "https://news.example.com/a/c", id="dots"
        ),
        pytest.param(
            "https://news.example.com/../../a", "https://news.example.com/a", id="dots-above-root"
        ),
        pytest.param(
            "https://news.example.com/a/b/..", "https://news.example.com/a/", id="trailing-dots"
        ),
        pytest.param(
            "https://news.example.com/a//b", "https://news.example.com/a//b", id="empty-segment"
        ),
        pytest.param(
            "https://news.example.com/caf%c3%a9?q=%e2%82%ac",
            "https://news.example.com/caf%C3%A9?q=%E2%82%AC",
            id="escape-hex-uppercased",
        ),
        pytest.param(
            "https://news.example.com/%7Eedit/%41-%5f%2e?q=%7a",
            "https://news.example.com/~edit/A-_.?q=z",
            id="unreserved-escapes-decoded",
        ),
        pytest.param(
            "https://news.example.com/a%2Fb?q=a%26b%3Dc",
            "https://news.example.com/a%2Fb?q=a%26b%3Dc",
            id="reserved-escapes-kept",
        ),
        pytest.param(
            "https://news.example.com/%2e%2E/a/%2E/b",
            "https://news.example.com/a/b",
            id="escaped-dots-resolved",
        ),
        pytest.param(
            "https://news.example.com/café?q=zoom call",
            "https://news.example.com/caf%C3%A9?q=zoom%20call",
            id="raw-characters-escaped",
        ),
        pytest.param("https://Bücher.Example/a", "https://xn--bcher-kva.example/a", id="idna-host"),
        pytest.param("https://news.example.com./a", "https://news.example.com/a", id="host-dot"),
        pytest.param("https://www.example.com/", "https://www.example.com/", id="www-kept"),
        pytest.param("http://192.0.2.7/a", "http://192.0.2.7/a", id="ipv4-host"),
        pytest.param(
            "http://[2001:DB8:0:0::1]:8080/a", "http://[2001:db8::1]:8080/a", id="ipv6-host"
        ),
    ],
)
def test_url_canonical_normalises_the_url(url, canonical):
    assert url_canonical(url) == canonical
    assert url_canonical(canonical) == canonical


@pytest.mark.parametrize("name", sorted(TRACKING_PARAMETERS))
def test_url_canonical_removes_each_listed_tracking_parameter_in_any_case(name):
    url = f"https://news.example.com/a?id=7&{name}=abc&page=2&{name.upper()}=def"
    assert url_canonical(url) == "https://news.example.com/a?id=7&page=2"


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        pytest.param(
            "https://news.example.com/a?utm_source=rss&id=7&utm_medium=feed&UTM_Campaign=x",
            "https://news.example.com/a?id=7",
            id="every-utm-parameter",
        ),
        pytest.param(
            "https://news.example.com/a?utm%5Fsource=rss&id=7",
            "https://news.example.com/a?id=7",
            id="escaped-name",
        ),
        pytest.param(
            "https://news.example.com/a?utm_source=rss&fbclid=1#top",
            "https://news.example.com/a",
            id="nothing-left",
        ),
        pytest.param(
            "https://news.example.com/a?b=2&a=1&b=1&ref=home&feature=x&rss=1",
            "https://news.example.com/a?b=2&a=1&b=1&ref=home&feature=x&rss=1",
            id="others-kept-in-order",
        ),
        pytest.param(
            "https://news.example.com/a?amp&q=zoom+security&id=",
            "https://news.example.com/a?amp&q=zoom+security&id=",
            id="values-kept-as-written",
        ),
        pytest.param(
            "https://news.example.com/a?&id=7&&page=2&",
            "https://news.example.com/a?id=7&page=2",
            id="empty-pieces-dropped",
        ),
    ],
)
def test_url_canonical_removes_tracking_parameters_and_keeps_the_rest(url, canonical):
    assert url_canonical(url) == canonical


@pytest.mark.parametrize(
    ("url", "base", "canonical"),
    [
        pytest.param(
            "../story?id=1",
            "https://news.example.com/feeds/rss/",
            "https://news.example.com/feeds/story?id=1",
            id="relative-path",
        ),
        pytest.param(
            "/2024/05/zoom-flaw",
            "https://news.example.com/feed.xml",
            "https://news.example.com/2024/05/zoom-flaw",
            id="absolute-path",
        ),
        pytest.param(
            "//cdn.example.net/a",
            "https://news.example.com/",
            "https://cdn.example.net/a",
            id="scheme-relative",
        ),
        pytest.param(
            " story#top ",
            " HTTPS://News.Example.com:443/feeds/ ",
            "https://news.example.com/feeds/story",
            id="base-canonicalised-too",
        ),
        pytest.param(
            "?page=2",
            "https://news.example.com/list?page=1",
            "https://news.example.com/list?page=2",
            id="query-only",
        ),
        pytest.param(
            "https://other.example.org/a",
            "https://news.example.com/",
            "https://other.example.org/a",
            id="absolute-url-ignores-base",
        ),
    ],
)
def test_url_canonical_resolves_a_relative_link_against_its_base(url, base, canonical):
    assert url_canonical(url, base=base) == canonical


@pytest.mark.parametrize(
    ("url", "base", "message"),
    [
        pytest.param("", None, "empty", id="empty"),
        pytest.param("  ", "https://news.example.com/", "empty", id="blank-with-base"),
        pytest.param("/2024/05/zoom-flaw", None, "relative", id="relative-path"),
        pytest.param("story.html", None, "relative", id="relative-name"),
        pytest.param("//cdn.example.net/a", None, "relative", id="scheme-relative"),
        pytest.param("story.html", "/feeds/", "relative", id="relative-base"),
        pytest.param("ftp://files.example.com/a", None, "scheme 'ftp'", id="ftp"),
        pytest.param("mailto:press@example.com", None, "scheme 'mailto'", id="mailto"),
        pytest.param("javascript:alert(1)", None, "scheme 'javascript'", id="javascript"),
        pytest.param("file:///etc/passwd", None, "scheme 'file'", id="file"),
        pytest.param("data:text/html,hi", None, "scheme 'data'", id="data"),
        pytest.param("story.html", "ftp://files.example.com/", "scheme 'ftp'", id="ftp-base"),
        pytest.param("https://ann:secret@news.example.com/", None, "credentials", id="password"),
        pytest.param("https://ann@news.example.com/", None, "credentials", id="user"),
        pytest.param("https://@news.example.com/", None, "credentials", id="empty-user"),
        pytest.param("http:///a", None, "host", id="no-host"),
        pytest.param("http:story", None, "host", id="no-authority"),
        pytest.param("https://news..example.com/", None, "host", id="empty-label"),
        pytest.param("https://" + "x" * 64 + ".example/", None, "host", id="label-too-long"),
        pytest.param("https://news example.com/", None, "host", id="space-in-host"),
        pytest.param("https://news.example.com../", None, "host", id="two-trailing-dots"),
        pytest.param("http://[::zz]/", None, "not a valid URL", id="bad-ipv6"),
        pytest.param("https://news.example.com:99999/", None, "port", id="port-out-of-range"),
        pytest.param("https://news.example.com:https/", None, "port", id="port-not-a-number"),
    ],
)
def test_url_canonical_refuses_what_is_not_an_http_article_url(url, base, message):
    with pytest.raises(ValueError, match=message) as refusal:
        url_canonical(url, base=base)
    assert "\n" not in str(refusal.value)
