"""Auth domain: users, roles, sessions, CSRF, lock-out, user management and the audit viewer.

The names most pages need are re-exported here::

    from backoffice.auth import CurrentUser, Role, TRC_ROLES
"""

from backoffice.auth.deps import CurrentUser, OptionalUser, current_user, optional_user
from backoffice.auth.roles import ALL_ROLES, ROLE_LABELS, TRC_ROLES, Role, role_label
from lalisa.users.models import User

__all__ = [
    "ALL_ROLES",
    "ROLE_LABELS",
    "TRC_ROLES",
    "CurrentUser",
    "OptionalUser",
    "Role",
    "User",
    "current_user",
    "optional_user",
    "role_label",
]
