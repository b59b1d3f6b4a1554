"""DNS names no public certificate authority can issue for: special-use and private-use suffixes."""

from __future__ import annotations

# Special-use domain names (IANA registry, https://www.iana.org/assignments/special-use-domain-names/):
# RFC 6761 (example, invalid, localhost, test and example.com/.net/.org), RFC 6762 (local: mDNS),
# RFC 7686 (onion), RFC 8375 (home.arpa), RFC 9476 (alt), RFC 8880 (ipv4only.arpa); the registry names the rest.
SPECIAL_USE = frozenset(
    {
        "alt",
        "example",
        "example.com",
        "example.net",
        "example.org",
        "home.arpa",
        "invalid",
        "ipv4only.arpa",
        "local",
        "localhost",
        "onion",
        "resolver.arpa",
        "service.arpa",
        "test",
    }
)
# Names used privately that no public CA will certify: `internal`, reserved by ICANN for private use
# (board resolution 2024.07.29.06), and the private top-level names RFC 6762 Appendix G lists.
PRIVATE_USE = frozenset({"corp", "home", "internal", "intranet", "lan", "private"})


def non_public_suffix(hostname: str) -> str | None:
    """The special- or private-use suffix `hostname` ends in (e.g. 'internal'), or None for a public name."""
    labels = hostname.lower().rstrip(".").split(".")
    for i in range(len(labels)):
        suffix = ".".join(labels[i:])
        if suffix in SPECIAL_USE or suffix in PRIVATE_USE:
            return suffix
    return None
