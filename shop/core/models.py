"""Every model of the domain, imported once so the metadata is complete (Alembic, tests)."""

from shop.core.audit.models import AuditLog
from shop.core.carts.models import Cart, CartLine
from shop.core.catalog.models import (
    Category,
    Collection,
    CollectionProduct,
    InventoryPolicy,
    Product,
    ProductImage,
    ProductOption,
    ProductOptionValue,
    ProductStatus,
    Variant,
    product_categories,
    variant_option_values,
)
from shop.core.customers.models import Address, Customer, PasswordResetToken
from shop.core.db import Base
from shop.core.discounts.models import DiscountCode, DiscountKind, DiscountRedemption
from shop.core.inventory import policy as _inventory_policy  # noqa: F401  (listeners)
from shop.core.inventory.models import Location, MovementReason, StockLevel, StockMovement
from shop.core.notifications.models import OutboxEvent
from shop.core.orders.models import (
    Fulfillment,
    FulfillmentLine,
    FulfillmentStatus,
    Order,
    OrderLine,
    OrderStatus,
    PaymentStatus,
)
from shop.core.payments.models import Payment, PaymentState, Refund, RefundState
from shop.core.reviews.models import Review, ReviewStatus
from shop.core.shipping.models import ShippingMethod
from shop.core.site.models import Counter, IdempotencyKey, SiteRun, WebhookEvent
from shop.core.staff.models import (
    StaffGroup,
    StaffGroupAccess,
    StaffRole,
    StaffUser,
    staff_user_groups,
)
from shop.core.tax.models import TaxRate

__all__ = [
    "Address",
    "AuditLog",
    "Base",
    "Cart",
    "CartLine",
    "Category",
    "Collection",
    "CollectionProduct",
    "Counter",
    "Customer",
    "DiscountCode",
    "DiscountKind",
    "DiscountRedemption",
    "Fulfillment",
    "FulfillmentLine",
    "FulfillmentStatus",
    "IdempotencyKey",
    "InventoryPolicy",
    "Location",
    "MovementReason",
    "Order",
    "OrderLine",
    "OrderStatus",
    "OutboxEvent",
    "PasswordResetToken",
    "Payment",
    "PaymentState",
    "PaymentStatus",
    "Product",
    "ProductImage",
    "ProductOption",
    "ProductOptionValue",
    "ProductStatus",
    "Refund",
    "RefundState",
    "Review",
    "ReviewStatus",
    "ShippingMethod",
    "SiteRun",
    "StaffGroup",
    "StaffGroupAccess",
    "StaffRole",
    "StaffUser",
    "StockLevel",
    "StockMovement",
    "TaxRate",
    "Variant",
    "WebhookEvent",
    "product_categories",
    "staff_user_groups",
    "variant_option_values",
]
