"""Which addresses a fetch may reach: every address a URL's host resolves to must be public.

`check_address` names why an address is not public (loopback, private, CGNAT,
link-local, ...), after unpacking the IPv4 address an IPv6 one embeds (mapped,
SIIT-translated, NAT64, 6to4, Teredo), so `::ffff:127.0.0.1` is loopback too.
`refuse_non_public` applies the policy to one hop: if *any* resolved address is
non-public the URL is refused, even if others are public (a name that mixes public
and private records is more likely an attack than a mistake), unless the host is
exempt (MONITOR_ALLOWED_HOSTS, MONITOR_ALLOW_PRIVATE_NETWORKS). Pinning the
connection to the checked address is the fetcher's part (`monitor.ingest.fetch`).

Pure: it reads no setting, resolves no name and opens no connection.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Iterable

from monitor.errors import BlockedAddressError

_IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Checked in order; the first match names the reason. Embedded IPv4 addresses
# (mapped, SIIT-translated, NAT64, 6to4, Teredo) are unpacked before this table
# is consulted.
_NON_PUBLIC_NETWORKS: tuple[tuple[_IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(cidr), reason)
    for cidr, reason in (
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "CGNAT"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "reserved"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmark"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "reserved"),  # IPv4-compatible, deprecated
        ("64:ff9b:1::/48", "private"),  # local-use NAT64
        ("100::/64", "reserved"),  # discard-only
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),
        ("2001::/23", "reserved"),  # IETF protocol assignments
        ("fc00::/7", "private"),  # unique local
        ("fe80::/10", "link-local"),
        ("fec0::/10", "private"),  # site-local, deprecated
        ("ff00::/8", "multicast"),
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# IPv4-translated addresses (SIIT, RFC 2765 and RFC 6052): ::ffff:0:a.b.c.d.
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")


def check_address(ip: str) -> str | None:
    """None if `ip` is a public address, else why not ("loopback", "private", "CGNAT", ...)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "invalid"
    if isinstance(address, ipaddress.IPv6Address):
        address = ipaddress.IPv6Address(address.packed)  # drop any %zone
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return check_address(str(embedded))
    for network, reason in _NON_PUBLIC_NETWORKS:
        if address.version == network.version and address in network:
            return reason
    if not address.is_global:
        return "reserved"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, IPv4-translated, NAT64, 6to4 or Teredo address
    reaches, if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64 or address in _IPV4_TRANSLATED:
        return ipaddress.IPv4Address(address.packed[-4:])
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client; the server is the relay
    return None


def refuse_non_public(
    where: str,
    host: str,
    port: int,
    addresses: Iterable[str],
    *,
    allow_private: bool,
    allowed_hosts: Collection[str],
) -> None:
    """BlockedAddressError naming the first non-public address, unless the host is exempt.

    `allowed_hosts` holds hostnames and host:port pairs (`feeds.example:8080`,
    `[::1]:8080`), lower case, as `Settings.allowed_host_list` gives them.
    """
    if allow_private or host in allowed_hosts or _host_port(host, port) in allowed_hosts:
        return
    for ip in addresses:
        reason = check_address(ip)
        if reason is not None:
            raise BlockedAddressError(_blocked_message(where, host, port, ip, reason))


def _blocked_message(where: str, host: str, port: int, ip: str, reason: str) -> str:
    article = "an" if reason[0].lower() in "aeiou" else "a"
    what = f"{ip} is {article} {reason} address"
    if host != ip:
        what = f"{host} resolves to {ip}, {article} {reason} address"
    return (
        f"fetch: refused {where}: {what}; set MONITOR_ALLOWED_HOSTS={_host_port(host, port)} "
        "to allow this host, or MONITOR_ALLOW_PRIVATE_NETWORKS=1 (development only)"
    )


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
