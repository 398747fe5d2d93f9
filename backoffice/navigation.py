"""The navigation menu: which links each role sees.

Add an entry when you add a page; the roles must match the page's ``require_roles`` (a test
checks that every entry leads to a page its roles may open).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from backoffice.auth.roles import ALL_ROLES, Role


class _HasRole(Protocol):
    @property
    def role(self) -> Role: ...


@dataclass(frozen=True)
class NavItem:
    """One link of the menu.

    Attributes:
        label: Text shown (Bahasa Indonesia).
        path: Target path (a GET route).
        roles: Roles that see the link.
        badge_url: JSON endpoint (same roles) whose ``waiting`` count is shown next to the
            label on every page, so work waiting for a person is seen from anywhere
            (``static/nav-badge.js`` polls it).
    """

    label: str
    path: str
    roles: frozenset[Role]
    badge_url: str | None = None


_TICKET_READERS = frozenset({Role.SUPERADMIN, Role.ADMIN, Role.VERIFIKATOR, Role.PIMPINAN})

NAVIGATION: list[NavItem] = [
    NavItem("Beranda", "/", ALL_ROLES),
    NavItem("Aduan", "/aduan", _TICKET_READERS),
    NavItem(
        "Perlu petugas",
        "/perlu-petugas",
        frozenset({Role.SUPERADMIN, Role.ADMIN}),
        badge_url="/perlu-petugas/ringkasan",
    ),
    NavItem("Tinjau percakapan", "/tinjau", frozenset({Role.SUPERADMIN, Role.ADMIN})),
    NavItem("Rekap", "/rekap", _TICKET_READERS),
    NavItem("Peta Rawan", "/peta-rawan", _TICKET_READERS),
    NavItem(
        "Survei Kepuasan (SKM)", "/survei", frozenset({Role.SUPERADMIN, Role.ADMIN, Role.PIMPINAN})
    ),
    NavItem("Tugas TRC", "/trc", frozenset({Role.SUPERADMIN, Role.KOMANDAN_TRC, Role.PETUGAS_TRC})),
    NavItem("Nomor WA TRC", "/petugas-trc", frozenset({Role.SUPERADMIN})),
    NavItem("Pengguna", "/users", frozenset({Role.SUPERADMIN})),
    NavItem("Log audit", "/audit", frozenset({Role.SUPERADMIN})),
    NavItem("Pengaturan", "/pengaturan", frozenset({Role.SUPERADMIN})),
    NavItem("Kata sandi", "/account/password", ALL_ROLES),
]
"""Menu entries in display order; add the entries of a new domain here."""


def nav_for(user: _HasRole | None) -> list[NavItem]:
    """Return the menu entries a user sees (none for anonymous visitors).

    Args:
        user: The signed-in user, or ``None``.

    Returns:
        The entries whose roles include the user's role.
    """
    if user is None:
        return []
    return [item for item in NAVIGATION if user.role in item.roles]
