"""Which addresses the fetcher may connect to: global unicast only, judged by an explicit table.

`ipaddress.is_global` alone lets through multicast (224.0.0.1), 6to4 and NAT64 addresses that
carry a loopback IPv4 (2002:7f00:1::, 64:ff9b::7f00:1) and unassigned IPv6 space, so the table
below is the rule and `is_global` only a last net. Cloud metadata endpoints are named in it so a
refusal says what was being reached for.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_network

IPAddress = IPv4Address | IPv6Address


@dataclass(frozen=True)
class Rule:
    """A network the fetcher refuses, with the reason a refusal message gives."""

    network: IPv4Network | IPv6Network
    reason: str
    # Reachable when TRACKER_FETCH_ALLOW_PRIVATE is on: a feed server on a developer's machine.
    private: bool = False
    # For translation ranges: the IPv4 address inside, which is judged instead.
    carries: Callable[[IPv6Address], IPv4Address] | None = None


def _last_32_bits(address: IPv6Address) -> IPv4Address:
    return IPv4Address(int(address) & 0xFFFFFFFF)


def _sixtofour(address: IPv6Address) -> IPv4Address:
    # 2002:AABB:CCDD::/48 carries AA.BB.CC.DD in its second and third groups.
    return IPv4Address((int(address) >> 80) & 0xFFFFFFFF)


def _rule(
    network: str,
    reason: str,
    *,
    private: bool = False,
    carries: Callable[[IPv6Address], IPv4Address] | None = None,
) -> Rule:
    return Rule(ip_network(network), reason, private=private, carries=carries)


# The most specific network that holds an address decides (169.254.169.254/32 before
# 169.254.0.0/16), so the order here is for reading only.
RULES: tuple[Rule, ...] = (
    _rule("0.0.0.0/8", "this-network (connecting to it reaches the local host)"),
    _rule("10.0.0.0/8", "private (RFC 1918)", private=True),
    _rule("100.64.0.0/10", "shared address space (CGNAT)"),
    _rule("100.100.100.200/32", "CGNAT (Alibaba Cloud metadata)"),
    _rule("127.0.0.0/8", "loopback", private=True),
    _rule("168.63.129.16/32", "the Azure platform endpoint (wireserver)"),
    _rule("169.254.0.0/16", "link-local"),
    _rule("169.254.169.254/32", "link-local (cloud metadata)"),
    _rule("172.16.0.0/12", "private (RFC 1918)", private=True),
    _rule("192.0.0.0/24", "IETF protocol assignments"),
    _rule("192.0.2.0/24", "documentation (TEST-NET-1)"),
    _rule("192.88.99.0/24", "6to4 relay anycast (deprecated)"),
    _rule("192.168.0.0/16", "private (RFC 1918)", private=True),
    _rule("198.18.0.0/15", "benchmarking"),
    _rule("198.51.100.0/24", "documentation (TEST-NET-2)"),
    _rule("203.0.113.0/24", "documentation (TEST-NET-3)"),
    _rule("224.0.0.0/4", "multicast"),
    _rule("240.0.0.0/4", "reserved"),
    _rule("255.255.255.255/32", "limited broadcast"),
    _rule("::/128", "unspecified"),
    _rule("::1/128", "loopback", private=True),
    _rule("::/96", "IPv4-compatible (deprecated)"),
    _rule("::ffff:0:0/96", "an IPv4-mapped address", carries=_last_32_bits),
    _rule("::ffff:0:0:0/96", "IPv4-translated"),
    _rule("64:ff9b::/96", "a NAT64 address", carries=_last_32_bits),
    # Local-use NAT64 puts the IPv4 address where the operator chose: it cannot be judged.
    _rule("64:ff9b:1::/48", "local-use NAT64"),
    _rule("100::/64", "discard-only"),
    _rule("2001::/23", "IETF protocol assignments"),
    _rule("2001::/32", "Teredo"),
    _rule("2001:db8::/32", "documentation"),
    _rule("2002::/16", "a 6to4 address", carries=_sixtofour),
    _rule("3fff::/20", "documentation"),
    _rule("fc00::/7", "unique local", private=True),
    _rule("fd00:ec2::254/128", "unique local (AWS metadata)"),
    _rule("fe80::/10", "link-local"),
    _rule("fec0::/10", "site-local (deprecated)"),
    _rule("ff00::/8", "multicast"),
)
GLOBAL_UNICAST_V6 = IPv6Network("2000::/3")

# inet_aton reads each dot-separated part as decimal, octal (leading 0) or hex (0x).
_NUMERIC_PART = re.compile(r"0x[0-9a-f]*|[0-9]+", re.IGNORECASE)


def host_parse(host: str) -> IPAddress | None:
    """The address a URL host names literally, or None for a name to resolve.

    Raises ValueError for a host that is a number but not a dotted-decimal IPv4 address
    (`127.1`, `0x7f000001`, `0177.0.0.1`): resolvers and browsers disagree on such spellings.
    """
    if ":" in host:
        try:
            address = IPv6Address(host)
        except ValueError:
            raise ValueError(f"{host} is not a valid IPv6 address") from None
        if address.scope_id:
            raise ValueError(f"{host} names a zone")
        return address
    labels = host.removesuffix(".").split(".")
    if not _NUMERIC_PART.fullmatch(labels[-1]):
        return None
    value = _ipv4_number(labels)
    if value is None:
        raise ValueError(f"{host} is a malformed numeric host")
    ipv4 = IPv4Address(value)
    if str(ipv4) == host:
        return ipv4
    why = _reason(ipv4, allow_private=False)
    denotes = f"{ipv4}, {why}" if why else str(ipv4)
    raise ValueError(f"{host} is a non-canonical spelling of {denotes}")


def _ipv4_number(labels: list[str]) -> int | None:
    if len(labels) > 4:
        return None
    numbers = []
    for label in labels:
        lowered = label.lower()
        if lowered.startswith("0x"):
            digits, base = lowered[2:] or "0", 16
        elif len(label) > 1 and label.startswith("0"):
            digits, base = label[1:], 8
        else:
            digits, base = label, 10
        try:
            numbers.append(int(digits, base))
        except ValueError:
            return None
    # The last part fills every byte the earlier ones leave: 127.1 is 127.0.0.1.
    *leading, last = numbers
    if any(number > 0xFF for number in leading) or last >= 256 ** (4 - len(leading)):
        return None
    value = last
    for position, number in enumerate(leading):
        value += number << (8 * (3 - position))
    return value


def address_check(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why the fetcher must not connect to this address (one line), or None when it may."""
    why = _reason(address, allow_private=allow_private)
    return f"{address} is {why}" if why else None


def rule_for(address: IPAddress) -> Rule | None:
    """The most specific rule whose network holds the address."""
    holding = [
        rule
        for rule in RULES
        if rule.network.version == address.version and address in rule.network
    ]
    return max(holding, key=lambda rule: rule.network.prefixlen, default=None)


def _reason(address: IPAddress, *, allow_private: bool) -> str | None:
    if isinstance(address, IPv6Address) and address.scope_id:
        return "scoped to a zone"
    rule = rule_for(address)
    if rule is None:
        if isinstance(address, IPv6Address) and address not in GLOBAL_UNICAST_V6:
            return "outside global unicast (2000::/3)"
        return None if address.is_global else "not globally routable"
    if rule.carries is not None and isinstance(address, IPv6Address):
        # Translation reaches the IPv4 host: only a global one will do, whatever the setting.
        carried = rule.carries(address)
        why = _reason(carried, allow_private=False)
        return f"{rule.reason} for {carried}, {why}" if why else None
    return None if rule.private and allow_private else rule.reason
