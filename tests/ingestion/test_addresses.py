"""The address policy: the deny table, private ranges behind the setting, odd IPv4 spellings."""

from ipaddress import IPv4Address, IPv6Address, ip_address

import pytest

from incidents.ingestion.addresses import RULES, address_check, host_parse, rule_for


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: str(rule.network))
def test_every_network_in_the_table_is_refused_from_its_first_to_its_last_address(rule):
    addresses = [rule.network[0], rule.network[-1]]
    if rule.carries is None:  # a translation range is judged by the IPv4 address it carries
        addresses.append(rule.network[rule.network.num_addresses // 2])
    for address in addresses:
        reason = address_check(address, allow_private=False)
        assert reason is not None, address
        assert reason.startswith(f"{address} is "), reason
        assert rule_for(address).reason in reason
        assert "\n" not in reason


@pytest.mark.parametrize(
    "rule", [rule for rule in RULES if rule.private], ids=lambda rule: str(rule.network)
)
def test_private_networks_are_allowed_only_with_the_setting(rule):
    address = rule.network[-1]
    assert address_check(address, allow_private=False) == f"{address} is {rule.reason}"
    assert address_check(address, allow_private=True) is None


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("169.254.169.254", "link-local (cloud metadata)"),
        ("169.254.170.2", "link-local"),
        ("fd00:ec2::254", "unique local (AWS metadata)"),
        ("100.100.100.200", "CGNAT (Alibaba Cloud metadata)"),
        ("168.63.129.16", "Azure platform endpoint"),
        ("0.0.0.0", "this-network"),  # noqa: S104 - an address judged, not bound
        ("100.64.0.1", "shared address space (CGNAT)"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "limited broadcast"),
        ("fe80::1", "link-local"),
        ("::", "unspecified"),
        ("::ffff:127.0.0.1", "IPv4-mapped address for 127.0.0.1, loopback"),
        ("::ffff:10.0.0.1", "IPv4-mapped address for 10.0.0.1, private (RFC 1918)"),
        ("64:ff9b::7f00:1", "NAT64 address for 127.0.0.1, loopback"),
        ("64:ff9b:1::a00:1", "local-use NAT64"),
        ("2002:a00:1::", "6to4 address for 10.0.0.1, private (RFC 1918)"),
        ("::7f00:1", "IPv4-compatible (deprecated)"),
    ],
)
def test_metadata_link_local_and_translated_private_addresses_stay_refused_with_the_setting(
    address, reason
):
    message = address_check(ip_address(address), allow_private=True)
    assert message is not None
    assert reason in message


@pytest.mark.parametrize(
    "address",
    [
        "93.184.216.34",
        "8.8.8.8",
        "1.1.1.1",
        "2606:4700::1111",
        "2001:4860:4860::8888",
        "::ffff:93.184.216.34",
        "64:ff9b::5db8:d822",
        "2002:5db8:d822::1",
    ],
)
def test_public_addresses_are_allowed_with_or_without_the_setting(address):
    assert address_check(ip_address(address), allow_private=False) is None
    assert address_check(ip_address(address), allow_private=True) is None


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("224.0.0.1", "multicast"),
        ("ff0e::1", "multicast"),
        ("2002:7f00:1::", "6to4 address for 127.0.0.1, loopback"),
        ("64:ff9b::a9fe:a9fe", "NAT64 address for 169.254.169.254, link-local (cloud metadata)"),
        ("4000::1", "outside global unicast (2000::/3)"),
        ("3fff::1", "documentation"),
    ],
)
def test_addresses_python_calls_global_are_refused_by_the_table(address, reason):
    assert ip_address(address).is_global
    assert reason in address_check(ip_address(address), allow_private=True)


@pytest.mark.parametrize(
    ("host", "address", "reason"),
    [
        ("2130706433", "127.0.0.1", "loopback"),
        ("0x7f000001", "127.0.0.1", "loopback"),
        ("0X7F.0.0.1", "127.0.0.1", "loopback"),
        ("0x7f.1", "127.0.0.1", "loopback"),
        ("0177.0.0.1", "127.0.0.1", "loopback"),
        ("017700000001", "127.0.0.1", "loopback"),
        ("127.1", "127.0.0.1", "loopback"),
        ("127.0.1", "127.0.0.1", "loopback"),
        ("127.0.0.1.", "127.0.0.1", "loopback"),
        ("0", "0.0.0.0", "this-network"),  # noqa: S104 - an address judged, not bound
        ("169.254.43518", "169.254.169.254", "cloud metadata"),
        ("1572395042", "93.184.216.34", None),
    ],
)
def test_ipv4_in_any_spelling_but_dotted_decimal_is_refused_naming_what_it_denotes(
    host, address, reason
):
    with pytest.raises(ValueError, match="non-canonical") as refused:
        host_parse(host)
    message = str(refused.value)
    assert message.startswith(f"{host} is a non-canonical spelling of {address}")
    assert reason is None or reason in message


@pytest.mark.parametrize(
    "host", ["1.2.3.09", "1.2.3.4.5", "256.0.0.1", "4294967296", "1.16777216", "1.0x1g.1", "1..2"]
)
def test_malformed_numeric_hosts_are_refused(host):
    with pytest.raises(ValueError, match="malformed numeric host"):
        host_parse(host)


def test_canonical_addresses_parse_and_names_are_left_to_resolve():
    assert host_parse("93.184.216.34") == IPv4Address("93.184.216.34")
    assert host_parse("::ffff:127.0.0.1") == IPv6Address("::ffff:7f00:1")
    assert host_parse("2606:4700::1111") == IPv6Address("2606:4700::1111")
    for name in ("example.com", "feeds.test", "1e100.net", "123.example", "localhost"):
        assert host_parse(name) is None


@pytest.mark.parametrize(
    ("host", "message"), [("1::2::3", "not a valid"), ("fe80::1%eth0", "names a zone")]
)
def test_bad_or_zoned_ipv6_literals_are_refused(host, message):
    with pytest.raises(ValueError, match=message):
        host_parse(host)
