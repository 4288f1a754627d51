"""Which network addresses a crawl that must stay on the public internet may not reach: loopback,
private, link-local, cloud metadata and other non-public ones (SSRF). Used when a crawl URL is
submitted (jobs/web/guards.py) and again when the crawler connects (crawler/resolver.py): a name
that resolved to a public address when it was checked can resolve to 127.0.0.1 a second later."""
from __future__ import annotations

import ipaddress

__all__ = ["refused_address"]

# Cloud metadata services: never a government site, and the first target of an SSRF.
_METADATA = {ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")}


def refused_address(address: str) -> str | None:
    """Why a crawl may not go to *address* (loopback, private, ...), or None when it may."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in _METADATA:
        return f"{ip} is a cloud metadata address"
    for test, what in ((ip.is_loopback, "loopback"), (ip.is_link_local, "link-local"),
                       (ip.is_private, "private"), (ip.is_multicast, "multicast"),
                       (ip.is_unspecified, "unspecified"), (ip.is_reserved, "reserved")):
        if test:
            return f"{ip} is a {what} address"
    if not ip.is_global:
        return f"{ip} is not a public address"
    return None
