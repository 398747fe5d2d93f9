"""Route permissions: every route declares who may use it, in exactly one place.

Declare the roles of a route with one guard, either as a parameter (when the handler needs the
user) or in the decorator::

    @router.get("/aduan")
    async def inbox(user: Annotated[User, Depends(require_roles(Role.ADMIN, Role.VERIFIKATOR))]):
        ...

    @router.post("/aduan/{number}/catatan", dependencies=[Depends(require_roles(Role.ADMIN))])
    async def add_note(...): ...

    @router.get("/health", dependencies=[Depends(public_route())])

A guard sends anonymous visitors to the login page, answers 403 to a signed-in user with
another role, and checks the CSRF token of every state-changing request. :func:`create_app`
refuses to start when a route has no guard, and :func:`route_permissions` lists every route with
its roles (the permission-matrix test walks that list).
"""

# No ``from __future__ import annotations`` here: FastAPI reads the guards' ``__call__``
# annotations at runtime and cannot resolve strings on callable instances.

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from backoffice.auth.csrf import LOGIN_CSRF_COOKIE, check_csrf
from backoffice.auth.deps import PasswordChangeRequired, current_user
from backoffice.auth.roles import ALL_ROLES, Role, role_label
from lalisa.users.models import User

__all__ = [
    "PublicGuard",
    "RoleGuard",
    "RoutePermission",
    "UnguardedRouteError",
    "collect_permissions",
    "public_route",
    "require_login",
    "require_roles",
    "route_permissions",
]


class RoleGuard:
    """Dependency that admits only signed-in users with one of the given roles."""

    def __init__(self, roles: frozenset[Role], *, allow_password_change_pending: bool) -> None:
        """Create the guard.

        Args:
            roles: Roles admitted.
            allow_password_change_pending: Admit users who still must replace a generated
                password (only the password page and logout do).
        """
        if not roles:
            raise ValueError("a route must admit at least one role")
        self.roles = roles
        self.allow_password_change_pending = allow_password_change_pending

    def __repr__(self) -> str:
        """Show the roles (appears in error messages about routes)."""
        return f"RoleGuard({', '.join(sorted(role.value for role in self.roles))})"

    async def __call__(
        self, request: Request, user: Annotated[User, Depends(current_user)]
    ) -> User:
        """Check role, pending password change and CSRF token, then hand over the user.

        Args:
            request: The incoming request.
            user: The signed-in user (anonymous visitors were redirected already).

        Returns:
            The user.

        Raises:
            HTTPException: 403 when the user's role is not admitted.
            PasswordChangeRequired: The user must choose a password first.
            CsrfError: Missing or wrong CSRF token on a state-changing request.
        """
        if user.role not in self.roles:
            raise HTTPException(status_code=403)
        if user.must_change_password and not self.allow_password_change_pending:
            raise PasswordChangeRequired
        await check_csrf(request, getattr(request.state, "csrf_token", None))
        return user


class PublicGuard:
    """Dependency that admits everybody; state-changing requests need the login CSRF token."""

    def __repr__(self) -> str:
        """Name the guard in error messages."""
        return "PublicGuard()"

    async def __call__(self, request: Request) -> None:
        """Check the double-submit CSRF token of state-changing requests.

        The guard does not touch the database (the health check must answer without it);
        a public page that wants the signed-in user adds an ``OptionalUser`` parameter.

        Args:
            request: The incoming request.

        Raises:
            CsrfError: Missing or wrong token on a state-changing request.
        """
        await check_csrf(request, request.cookies.get(LOGIN_CSRF_COOKIE))


def require_roles(*roles: Role, allow_password_change_pending: bool = False) -> RoleGuard:
    """Declare the roles that may use a route.

    Args:
        *roles: Admitted roles (at least one).
        allow_password_change_pending: See :class:`RoleGuard`; leave False.

    Returns:
        A dependency: use ``Depends(require_roles(...))`` as a parameter or in ``dependencies``.
    """
    return RoleGuard(
        frozenset(Role(role) for role in roles),
        allow_password_change_pending=allow_password_change_pending,
    )


def require_login(*, allow_password_change_pending: bool = False) -> RoleGuard:
    """Declare a route open to every signed-in user, whatever the role."""
    return require_roles(*ALL_ROLES, allow_password_change_pending=allow_password_change_pending)


def public_route() -> PublicGuard:
    """Declare a route open to anonymous visitors (login page, health check)."""
    return PublicGuard()


Guard = RoleGuard | PublicGuard


@dataclass(frozen=True)
class RoutePermission:
    """One route and who may use it.

    Attributes:
        method: HTTP method.
        path: Path template (``/users/{user_id}``).
        name: Route name (the handler's name unless set).
        roles: Admitted roles, or ``None`` for a public route.
    """

    method: str
    path: str
    name: str
    roles: frozenset[Role] | None

    @property
    def is_public(self) -> bool:
        """True when anonymous visitors may use the route."""
        return self.roles is None

    def allows(self, role: Role | None) -> bool:
        """Tell whether a visitor with this role (``None``: anonymous) may use the route."""
        if self.roles is None:
            return True
        return role is not None and role in self.roles

    def describe(self) -> str:
        """Return e.g. ``GET /users: Superadmin``."""
        who = (
            "publik"
            if self.roles is None
            else ", ".join(sorted(role_label(role) for role in self.roles))
        )
        return f"{self.method} {self.path}: {who}"


class UnguardedRouteError(RuntimeError):
    """Raised at start-up when a route declares no roles or more than one set."""


def _guards(dependant: Dependant) -> Iterator[Guard]:
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, RoleGuard | PublicGuard):
            yield dependency.call
        yield from _guards(dependency)


def _route_guard(route: APIRoute) -> Guard:
    guards = list(_guards(route.dependant))
    kinds = {None if isinstance(g, PublicGuard) else g.roles for g in guards}
    if len(kinds) != 1:
        problem = "no role declaration" if not guards else f"conflicting guards {guards}"
        raise UnguardedRouteError(
            f"{sorted(route.methods or ())} {route.path} ({route.name}): {problem}; "
            "add Depends(require_roles(...)) or Depends(public_route())"
        )
    return guards[0]


def collect_permissions(routers: Iterable[APIRouter]) -> list[RoutePermission]:
    """List the routes of the domain routers with the roles they admit.

    Only routes declared directly on the routers are allowed (no nested ``include_router``),
    so the list is complete without relying on FastAPI internals.

    Args:
        routers: The domain routers (``backoffice.app.ROUTERS``).

    Returns:
        One entry per (method, path), sorted by path then method.

    Raises:
        UnguardedRouteError: A route has no guard or guards that disagree, or a router
            contains something other than plain routes.
    """
    entries: list[RoutePermission] = []
    for router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                raise UnguardedRouteError(
                    f"{route!r} in router {router.prefix or '/'}: only plain routes are "
                    "supported; add sub-routers to backoffice.app.ROUTERS instead"
                )
            guard = _route_guard(route)
            roles = None if isinstance(guard, PublicGuard) else guard.roles
            for method in sorted(route.methods or ()):
                entries.append(RoutePermission(method, route.path, route.name, roles))
    return sorted(entries, key=lambda entry: (entry.path, entry.method))


def route_permissions(app: FastAPI) -> list[RoutePermission]:
    """Return the permission registry of an application built by ``create_app``.

    Args:
        app: The application.

    Returns:
        Every route with its roles, sorted by path then method.
    """
    entries: list[RoutePermission] = app.state.route_permissions
    return list(entries)
