"""Roles of the back office, their Bahasa Indonesia labels and handy groups."""

from __future__ import annotations

from lalisa.users.models import Role

__all__ = [
    "ALL_ROLES",
    "ROLE_DESCRIPTIONS",
    "ROLE_LABELS",
    "TRC_ROLES",
    "Role",
    "role_label",
]

ALL_ROLES: frozenset[Role] = frozenset(Role)
"""Every role: use for pages any signed-in officer may open."""

TRC_ROLES: frozenset[Role] = frozenset({Role.KOMANDAN_TRC, Role.PETUGAS_TRC})
"""The field team (Tim Reaksi Cepat)."""

ROLE_LABELS: dict[Role, str] = {
    Role.SUPERADMIN: "Superadmin",
    Role.ADMIN: "Admin La-Lisa",
    Role.VERIFIKATOR: "Verifikator (jajaran)",
    Role.KOMANDAN_TRC: "Komandan TRC",
    Role.PETUGAS_TRC: "Petugas TRC",
    Role.PIMPINAN: "Pimpinan",
}

ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.SUPERADMIN: "Mengelola pengguna, pengaturan, dan melihat log audit.",
    Role.ADMIN: "Menerima aduan, memverifikasi, dan memberi kabar kepada pelapor.",
    Role.VERIFIKATOR: "Menganalisis aduan, memutuskan, dan menugaskan TRC.",
    Role.KOMANDAN_TRC: "Menerima penugasan tim TRC dan melaporkan hasil di lapangan.",
    Role.PETUGAS_TRC: "Menerima penugasan dan melaporkan hasil di lapangan.",
    Role.PIMPINAN: "Melihat rekap dan capaian (hanya baca).",
}


def role_label(role: Role | str) -> str:
    """Return the label of a role for officers.

    Args:
        role: A :class:`Role` or its machine value.

    Returns:
        The Bahasa Indonesia label, or the raw value when it is not a known role.
    """
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return str(role)
