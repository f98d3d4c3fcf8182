"""Where a webhook may go (SSRF): https to a public address, or, when an admin allowed it
for that endpoint, http or https to a private or loopback one.

The check runs when an endpoint is saved and again before every delivery, since a name can
resolve elsewhere later. Delivery then connects to the very address that was checked (the
request goes to the IP, with the host name in the Host header and for TLS), so a second
lookup cannot swap it, and redirects are never followed.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

from portal.errors import DomainError

MAX_URL = 2000


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written (lower case), for Host and TLS
    port: int
    address: str  # the checked IP address to connect to
    path: str  # path and query


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return _is_public(ip.ipv4_mapped)
    return not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
                or ip.is_reserved or ip.is_unspecified or not ip.is_global)


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to now (an IP literal is itself)."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    return sorted({str(info[4][0]).split("%")[0] for info in infos})


def check(url: str, allow_private: bool) -> Target:
    """The target ``url`` names, checked; DomainError (field "url") in words otherwise."""
    url = (url or "").strip()
    if not url or len(url) > MAX_URL:
        raise DomainError(_l("Enter the full address, starting with https://."), field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise DomainError(_l("Enter the full address, starting with https://."),
                          field="url") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in ("https", "http") or not host:
        raise DomainError(_l("Enter the full address, starting with https://."), field="url")
    if parts.username or parts.password:
        raise DomainError(_l("Leave the user name and password out of the address."),
                          field="url")
    if scheme == "http" and not allow_private:
        raise DomainError(_l("Use https. Plain http is only for an internal system on a "
                             "private address, when you allow that below."), field="url")
    port = port or (443 if scheme == "https" else 80)
    addresses = resolve(host, port)
    if not addresses:
        raise DomainError(_l("This address cannot be found (its name does not resolve)."),
                          field="url")
    private = [a for a in addresses if not _is_public(ipaddress.ip_address(a))]
    if private and not allow_private:
        raise DomainError(_l("This address leads to a private, loopback or link-local "
                             "network (%(address)s). Allow private addresses for this "
                             "endpoint only if it is one of your internal systems.",
                             address=private[0]), field="url")
    if scheme == "http" and len(private) != len(addresses):
        raise DomainError(_l("Use https. Plain http is only for an internal system on a "
                             "private address, when you allow that below."), field="url")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=scheme, host=host, port=port, address=addresses[0], path=path)
