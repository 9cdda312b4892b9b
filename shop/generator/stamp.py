"""A cheap fingerprint of every table the storefront is built from.

A few aggregate queries (counts, sums of ids, versions and positions, latest update times)
change whenever a row the storefront shows is added, changed or removed through the ORM
(which bumps `version` and `updated_at`). The build compares it, with the theme and the
settings, to the last build's, and stops at once when nothing can have changed; the
preview polls it to know when to rebuild. `shop build --full` ignores it.
"""

from __future__ import annotations

from shop.generator.snapshot import Snapshot

# table -> aggregates; every expression works on SQLite and PostgreSQL.
AGGREGATES = {
    "products": "COUNT(*), SUM(id), SUM(version), MAX(updated_at)",
    "variants": "COUNT(*), SUM(id), SUM(version), MAX(updated_at)",
    "categories": "COUNT(*), SUM(id), SUM(version), MAX(updated_at)",
    "collections": "COUNT(*), SUM(id), SUM(version), MAX(updated_at)",
    "product_images": "COUNT(*), SUM(id), SUM(version), MAX(updated_at)",
    "reviews": "COUNT(*), SUM(id), MAX(updated_at)",
    "shipping_methods": "COUNT(*), SUM(id), MAX(updated_at)",
    "stock_levels": ("COUNT(*), SUM(on_hand), SUM(allocated), SUM(low_stock_threshold), MAX(updated_at)"),
    "locations": "COUNT(*), SUM(CASE WHEN active THEN id ELSE 0 END)",
    "product_options": "COUNT(*), SUM(id), SUM(position), SUM(LENGTH(name))",
    "product_option_values": "COUNT(*), SUM(id), SUM(position), SUM(LENGTH(value))",
    "collection_products": "COUNT(*), SUM(collection_id * 7 + product_id * 13 + position)",
    "product_categories": "COUNT(*), SUM(product_id * 7 + category_id)",
    "variant_option_values": "COUNT(*), SUM(variant_id * 7 + option_value_id)",
}


def catalog_stamp(db: Snapshot) -> str:
    return repr([db.rows(f"SELECT {aggregates} FROM {table}") for table, aggregates in AGGREGATES.items()])
