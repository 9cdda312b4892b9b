"""Alembic environment and versions, shipped inside the package."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

HERE = Path(__file__).parent


def alembic_config(database_url: str) -> Config:
    """An Alembic config for this package's migrations, without any alembic.ini on disk."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(HERE / "versions"))
    # Kept as an attribute, not an ini option: "%" in passwords would upset ConfigParser.
    config.attributes["database_url"] = database_url
    return config
