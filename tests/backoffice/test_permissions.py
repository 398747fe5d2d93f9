"""The permission matrix: every registered route x every role (and anonymous).

``EXPECTED`` is the specification, written independently of the route declarations: when you
add a route, add its row here. The tests check that

- every route of the app has a row (and every row a route),
- the route declarations agree with the rows,
- the running app behaves accordingly: anonymous visitors are sent to the login page, a
  signed-in user with a role that is not allowed gets 403, an allowed one gets through.
"""

from __future__ import annotations

import re
from typing import Annotated

import fastapi.routing
import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute

from backoffice.app import ROUTERS, create_app
from backoffice.auth.csrf import LOGIN_CSRF_COOKIE
from backoffice.auth.roles import ALL_ROLES, Role
from backoffice.navigation import NAVIGATION
from backoffice.permissions import (
    RoutePermission,
    UnguardedRouteError,
    collect_permissions,
    public_route,
    require_roles,
    route_permissions,
)
from lalisa.core.settings import BackofficeSettings
from lalisa.users.models import User
from tests.backoffice.helpers import COOKIE_DOMAIN, make_client, sign_in_directly

PUBLIC = None
SUPERADMIN_ONLY = frozenset({Role.SUPERADMIN})
# Complaint workflow (backoffice/tickets): who may do what.
TICKET_READERS = frozenset({Role.SUPERADMIN, Role.ADMIN, Role.VERIFIKATOR, Role.PIMPINAN})
TICKET_ADMINS = frozenset({Role.SUPERADMIN, Role.ADMIN})
TICKET_DECIDERS = frozenset({Role.SUPERADMIN, Role.ADMIN, Role.VERIFIKATOR})
DISPATCHERS = frozenset({Role.SUPERADMIN, Role.VERIFIKATOR})
TRC_PAGES = frozenset({Role.SUPERADMIN, Role.KOMANDAN_TRC, Role.PETUGAS_TRC})
# Hotspot map (backoffice/hotspots): not the TRC.
HOTSPOT_MAP = frozenset({Role.SUPERADMIN, Role.ADMIN, Role.VERIFIKATOR, Role.PIMPINAN})
REVIEWERS = frozenset({Role.SUPERADMIN, Role.ADMIN})
# SKM survey page (backoffice/survey).
SURVEY_READERS = frozenset({Role.SUPERADMIN, Role.ADMIN, Role.PIMPINAN})
# Leadership recap: the readers of complaints, pimpinan included.
REPORT_READERS = frozenset({Role.SUPERADMIN, Role.ADMIN, Role.VERIFIKATOR, Role.PIMPINAN})

EXPECTED: dict[tuple[str, str], frozenset[Role] | None] = {
    ("GET", "/"): ALL_ROLES,
    ("GET", "/health"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): ALL_ROLES,
    ("GET", "/account/password"): ALL_ROLES,
    ("POST", "/account/password"): ALL_ROLES,
    ("GET", "/users"): SUPERADMIN_ONLY,
    ("POST", "/users"): SUPERADMIN_ONLY,
    ("GET", "/users/{user_id}"): SUPERADMIN_ONLY,
    ("POST", "/users/{user_id}/role"): SUPERADMIN_ONLY,
    ("POST", "/users/{user_id}/deactivate"): SUPERADMIN_ONLY,
    ("POST", "/users/{user_id}/activate"): SUPERADMIN_ONLY,
    ("POST", "/users/{user_id}/reset-password"): SUPERADMIN_ONLY,
    ("GET", "/audit"): SUPERADMIN_ONLY,
    ("GET", "/aduan"): TICKET_READERS,
    ("GET", "/aduan/ringkasan"): TICKET_READERS,
    ("GET", "/aduan/{number}"): TICKET_READERS,
    ("GET", "/aduan/{number}/media/{media_id}"): ALL_ROLES,
    ("POST", "/aduan/{number}/verifikasi"): TICKET_ADMINS,
    ("POST", "/aduan/{number}/disposisi"): DISPATCHERS,
    ("POST", "/aduan/{number}/tolak"): TICKET_DECIDERS,
    ("POST", "/aduan/{number}/alihkan"): TICKET_ADMINS,
    ("POST", "/aduan/{number}/duplikat"): TICKET_ADMINS,
    ("POST", "/aduan/{number}/selesai"): TICKET_ADMINS,
    ("POST", "/aduan/{number}/buka-kembali"): TICKET_ADMINS,
    ("POST", "/aduan/{number}/tinjau"): TICKET_ADMINS,
    ("POST", "/aduan/{number}/catatan"): TICKET_DECIDERS,
    ("POST", "/aduan/{number}/identitas"): TICKET_ADMINS,
    ("POST", "/aduan/{number}/notifikasi/{message_id}/kirim-ulang"): TICKET_ADMINS,
    ("GET", "/trc"): TRC_PAGES,
    ("GET", "/trc/{dispatch_id}"): TRC_PAGES,
    ("POST", "/trc/{dispatch_id}/berangkat"): TRC_PAGES,
    ("POST", "/trc/{dispatch_id}/tiba"): TRC_PAGES,
    ("POST", "/trc/{dispatch_id}/laporan"): TRC_PAGES,
    ("GET", "/trc/foto/{photo_id}"): ALL_ROLES,
    ("GET", "/petugas-trc"): SUPERADMIN_ONLY,
    ("POST", "/petugas-trc/{user_id}/nomor"): SUPERADMIN_ONLY,
    ("GET", "/pengaturan"): SUPERADMIN_ONLY,
    ("POST", "/pengaturan/{key}"): SUPERADMIN_ONLY,
    ("POST", "/pengaturan/{key}/bawaan"): SUPERADMIN_ONLY,
    ("GET", "/pengaturan/{key}/riwayat"): SUPERADMIN_ONLY,
    ("GET", "/peta-rawan"): HOTSPOT_MAP,
    ("GET", "/peta-rawan/batas/{tingkat}"): HOTSPOT_MAP,
    ("GET", "/peta-rawan/data"): HOTSPOT_MAP,
    ("GET", "/peta-rawan/titik"): HOTSPOT_MAP,
    ("GET", "/peta-rawan/aduan"): HOTSPOT_MAP,
    # Conversation review (backoffice/conversations/review_views.py).
    ("GET", "/tinjau"): REVIEWERS,
    ("POST", "/tinjau/filter"): REVIEWERS,
    ("POST", "/tinjau/filter/{filter_id}/hapus"): REVIEWERS,
    ("GET", "/tinjau/statistik"): REVIEWERS,
    ("GET", "/tinjau/ekspor"): REVIEWERS,
    ("GET", "/tinjau/ekspor/reviewed.yml"): REVIEWERS,
    ("GET", "/tinjau/ekspor/stories.yml"): REVIEWERS,
    ("GET", "/tinjau/{conversation_id}"): REVIEWERS,
    ("POST", "/tinjau/{conversation_id}/ditinjau"): REVIEWERS,
    ("POST", "/tinjau/{conversation_id}/tag"): REVIEWERS,
    ("POST", "/tinjau/{conversation_id}/tag/hapus"): REVIEWERS,
    ("POST", "/tinjau/{conversation_id}/catatan"): REVIEWERS,
    ("POST", "/tinjau/{conversation_id}/pesan/{turn_id}/tandai"): REVIEWERS,
    ("POST", "/tinjau/{conversation_id}/pesan/{turn_id}/anotasi"): REVIEWERS,
    ("GET", "/tinjau/{conversation_id}/story.yml"): REVIEWERS,
    ("GET", "/tinjau/{conversation_id}/training-story.yml"): REVIEWERS,
    # Human takeover (backoffice/takeover).
    ("GET", "/perlu-petugas"): TICKET_ADMINS,
    ("GET", "/perlu-petugas/ringkasan"): TICKET_ADMINS,
    ("GET", "/ambil-alih/{sender_ref}"): TICKET_ADMINS,
    ("POST", "/ambil-alih/{sender_ref}"): TICKET_ADMINS,
    ("GET", "/ambil-alih/{sender_ref}/pesan"): TICKET_ADMINS,
    ("POST", "/ambil-alih/{sender_ref}/kembalikan"): TICKET_ADMINS,
    ("POST", "/ambil-alih/{sender_ref}/balas"): TICKET_ADMINS,
    ("GET", "/survei"): SURVEY_READERS,
    ("GET", "/survei/ekspor.csv"): SURVEY_READERS,
    # Leadership recap (backoffice/reports).
    ("GET", "/rekap"): REPORT_READERS,
    ("GET", "/rekap/aduan"): REPORT_READERS,
    ("POST", "/rekap/ekspor"): REPORT_READERS,
    ("GET", "/rekap/ekspor/{job_id}"): REPORT_READERS,
    ("GET", "/rekap/ekspor/{job_id}/status"): REPORT_READERS,
    ("GET", "/rekap/ekspor/{job_id}/unduh"): REPORT_READERS,
}
"""(method, path) -> roles allowed, or PUBLIC."""

REGISTRY = collect_permissions(ROUTERS)
VISITORS: list[Role | None] = [None, *Role]
# A path parameter is filled with an id that does not exist: the guard decides before the
# handler looks anything up, and an allowed request then ends in 404 without changing data.
MISSING_ID = "987654321"
_PARAM = re.compile(r"\{[^}]+\}")


def _served_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every API route the app answers, however FastAPI stores them."""
    iter_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if iter_contexts is not None:
        pairs = [(ctx.original_route, ctx.path) for ctx in iter_contexts(app.routes)]
    else:
        pairs = [(route, getattr(route, "path", "")) for route in app.routes]
    return {
        (method, path)
        for route, path in pairs
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }


def test_every_route_has_an_expected_row() -> None:
    registered = {(entry.method, entry.path) for entry in REGISTRY}
    assert registered - set(EXPECTED) == set(), "add these routes to EXPECTED"
    assert set(EXPECTED) - registered == set(), "these rows name no route"


def test_declarations_match_the_specification() -> None:
    for entry in REGISTRY:
        assert entry.roles == EXPECTED[(entry.method, entry.path)], entry.describe()


def test_the_app_serves_exactly_the_registered_routes(lalisa_env: dict[str, str]) -> None:
    app = create_app(BackofficeSettings())
    registered = {(entry.method, entry.path) for entry in route_permissions(app)}
    assert _served_routes(app) == registered


def test_every_menu_entry_leads_to_a_page_its_roles_may_open() -> None:
    gets = {entry.path: entry for entry in REGISTRY if entry.method == "GET"}
    for item in NAVIGATION:
        assert item.path in gets, item
        for role in item.roles:
            assert gets[item.path].allows(role), (item.label, role)
            if item.badge_url is not None:
                assert gets[item.badge_url].allows(role), (item.badge_url, role)


def _case_id(case: tuple[RoutePermission, Role | None]) -> str:
    entry, role = case
    return f"{entry.method} {entry.path} as {role.value if role else 'anonymous'}"


CASES = [(entry, role) for entry in REGISTRY for role in VISITORS]


@pytest.mark.parametrize("case", CASES, ids=[_case_id(case) for case in CASES])
async def test_permission_matrix(
    case: tuple[RoutePermission, Role | None],
    app: FastAPI,
    users: dict[Role, User],
    settings: BackofficeSettings,
) -> None:
    entry, role = case
    expected = EXPECTED[(entry.method, entry.path)]
    allowed = expected is None or (role is not None and role in expected)
    path = _PARAM.sub(MISSING_ID, entry.path)

    if role is None:
        client = make_client(app)
        csrf = "token-sebelum-masuk"
        client.cookies.set(LOGIN_CSRF_COOKIE, csrf, domain=COOKIE_DOMAIN)
    else:
        signed_in = await sign_in_directly(app, users[role], settings)
        client, csrf = signed_in.client, signed_in.csrf
        if expected is None:  # a public form (login) uses the pre-session token
            client.cookies.set(LOGIN_CSRF_COOKIE, csrf, domain=COOKIE_DOMAIN)
    async with client:
        if entry.method == "GET":
            response = await client.get(path)
        else:
            response = await client.request(entry.method, path, data={"csrf_token": csrf})

    location = response.headers.get("location", "")
    sent_to_login = response.status_code == 303 and location.startswith("/login?next=")
    assert response.status_code < 500, response.text
    if allowed:
        assert response.status_code != 403
        assert not sent_to_login
    elif role is None:
        assert sent_to_login
    else:
        assert response.status_code == 403
        assert "Akses ditolak" in response.text


def test_a_route_without_roles_stops_the_app() -> None:
    router = APIRouter()

    @router.get("/lupa")
    async def forgotten() -> dict[str, str]:
        return {}

    with pytest.raises(UnguardedRouteError, match="/lupa"):
        collect_permissions([router])


def test_conflicting_declarations_stop_the_app() -> None:
    router = APIRouter()

    @router.get("/ragu", dependencies=[Depends(public_route())])
    async def unsure(
        user: Annotated[User, Depends(require_roles(Role.ADMIN))],
    ) -> dict[str, str]:
        return {}

    with pytest.raises(UnguardedRouteError, match="conflicting"):
        collect_permissions([router])


def test_nested_routers_are_refused() -> None:
    outer, inner = APIRouter(), APIRouter()

    @inner.get("/dalam", dependencies=[Depends(public_route())])
    async def nested() -> dict[str, str]:
        return {}

    outer.include_router(inner)
    with pytest.raises(UnguardedRouteError):
        collect_permissions([outer])


def test_require_roles_needs_a_role() -> None:
    with pytest.raises(ValueError, match="at least one role"):
        require_roles()
