"""shop: an admin-first commerce backoffice with a static storefront generator."""

__version__ = "0.1.0"
