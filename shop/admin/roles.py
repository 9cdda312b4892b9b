"""What each staff role may do, as sqladmin grants: `(view identity, action)` pairs.

Checked on the server for every page, form and action (sqladmin asks the backend
before it renders a button and again when the request arrives). A staff user's
groups (sqladmin.contrib.rbac's tables) add grants on top of the role.
"""

from __future__ import annotations

from sqladmin.authorization import WILDCARD, Action, GrantsAuthorizationBackend, custom_action
from starlette.requests import Request

from shop.admin.auth import current_staff
from shop.core.staff.models import StaffRole

Grants = frozenset[tuple[str, str]]

CATALOG = ("product", "category", "collection", "variant", "product-csv")
INVENTORY = ("location", "stock-level", "stock-movement")
ORDERS = ("order",)
CUSTOMERS = ("customer",)
REVIEWS = ("review",)
DISCOUNTS = ("discount-code",)
SETTINGS = ("shipping-method", "tax-rate")
AUDIT = ("audit-log",)
STAFF = ("staff-user", "staff-group")

READ = (Action.LIST, Action.DETAILS)
# Data about shoppers (names, e-mails, addresses) that a viewer may read but not carry away.
CUSTOMER_DATA = (*ORDERS, *CUSTOMERS, *REVIEWS, *AUDIT)


def _grant(identities: tuple[str, ...], actions: tuple[str, ...]) -> set[tuple[str, str]]:
    return {(identity, str(action)) for identity in identities for action in actions}


def _everything(identities: tuple[str, ...]) -> set[tuple[str, str]]:
    return _grant(identities, (WILDCARD,))


ROLE_GRANTS: dict[StaffRole, Grants] = {
    StaffRole.OWNER: frozenset({(WILDCARD, WILDCARD)}),
    StaffRole.MANAGER: frozenset(
        _everything(CATALOG + INVENTORY + ORDERS + CUSTOMERS + REVIEWS + DISCOUNTS + SETTINGS)
        | _grant(AUDIT, (*READ, Action.EXPORT))
    ),
    StaffRole.SUPPORT: frozenset(
        _grant(CATALOG + INVENTORY + ORDERS + CUSTOMERS + REVIEWS, READ)
        | _grant(
            ORDERS, tuple(custom_action(a) for a in ("fulfil", "cancel", "refund", "resend-confirmation"))
        )
        | _grant(REVIEWS, tuple(custom_action(a) for a in ("approve", "reject")))
    ),
    StaffRole.VIEWER: frozenset(
        _grant(CATALOG + INVENTORY + ORDERS + CUSTOMERS + REVIEWS + DISCOUNTS + SETTINGS + AUDIT, READ)
        | _grant(
            tuple(i for i in CATALOG + INVENTORY + DISCOUNTS + SETTINGS if i not in CUSTOMER_DATA),
            (Action.EXPORT,),
        )
    ),
}


class RoleAuthorization(GrantsAuthorizationBackend):
    """The role's grants plus those of the staff user's groups."""

    async def get_grants(self, request: Request) -> set[tuple[str, str]]:
        staff = current_staff(request)
        return set(ROLE_GRANTS[staff.role] | staff.group_grants)
