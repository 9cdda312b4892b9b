"""The one settings object of a store.

Precedence, strongest first: arguments passed in code, `SHOP_*` environment variables,
the store's `.env`, the store's `shop.toml`, the defaults below. The defaults need no
server at all: an SQLite file, a local `public/` folder and the manual payment provider.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_SECRET_KEY = "change-me"

Environment = Literal["development", "test", "production"]


class ConfigError(Exception):
    """A setting that cannot work; the message says what to set."""


def _store_dir() -> Path:
    # The one place besides Settings that reads the environment: it decides where
    # Settings itself looks for `.env` and `shop.toml`.
    return Path(os.environ.get("SHOP_DIR", ".")).resolve()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SHOP_",
        extra="ignore",
        validate_default=True,
    )

    env: Environment = "development"
    dir: Path = Field(default_factory=_store_dir, description="The store's directory")

    store_name: str = "Demo Store"
    store_description: str = Field(
        "", max_length=300, description="The home page's meta description (default: the theme's tagline)"
    )
    currency: str = Field("EUR", min_length=3, max_length=3)
    locale: str = "en"
    country: str = Field("DE", min_length=2, max_length=2, description="Where the store ships from")
    timezone: str = Field("UTC", description="IANA zone the admin's days begin in, e.g. Europe/Berlin")

    database_url: str = "sqlite:///./shop.db"
    secret_key: str = DEFAULT_SECRET_KEY
    site_url: str = "http://127.0.0.1:8000"
    api_url: str = "http://127.0.0.1:8000/api/v1"
    # A comma-separated list in the environment; JSON decoding is left to the validator.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    output_dir: Path = Path("public")
    media_dir: Path = Path("media")
    theme: str = "default"

    payment_provider: Literal["manual", "stripe"] = "manual"
    stripe_secret_key: str | None = None
    stripe_publishable_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = Field(None, description="Only for tests: a local Stripe stand-in")

    publish_target: str | None = Field(None, description="s3://BUCKET/PREFIX or file:///PATH")
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    cdn_distribution_id: str | None = None
    publish_keep_releases: int = Field(
        20, ge=0, description="Releases kept for rollback; a publish prunes older ones (0: keep all)"
    )
    publish_fingerprint_pattern: str | None = Field(
        None, description="Regex on file names marking content-hashed (immutable) assets"
    )

    smtp_url: str | None = Field(None, description="smtp://user:pass@host:port; unset logs mail")
    mail_from: str = "shop@localhost"

    redis_url: str | None = Field(None, description="Shared rate limits across processes")
    metrics_token: str | None = Field(None, description="When set, /metrics wants `Authorization: Bearer` it")
    # Per client address; "N/second|minute|hour|day" as the `limits` library writes them.
    rate_limits: dict[str, str] = Field(
        default_factory=lambda: {
            "auth": "10/minute",
            "reviews": "5/minute",
            "carts": "60/minute",
            "checkout": "20/minute",
        }
    )
    workers: int = Field(1, ge=1, description="API processes `shop serve` starts")
    db_pool_size: int = Field(
        20, ge=1, description="PostgreSQL connections each API process keeps (twice this at a peak)"
    )
    checkout_concurrency: int = Field(
        2,
        ge=1,
        description="checkout transactions each API process runs at once; the rest wait in arrival order",
    )
    pending_order_ttl_minutes: int = Field(30, ge=1)
    cart_ttl_days: int = Field(30, ge=1)
    access_token_minutes: int = Field(60, ge=1)
    log_level: str = "INFO"
    log_json: bool = False

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        store = _store_dir()
        dotenv = type(dotenv_settings)(settings_cls, env_file=store / ".env")  # type: ignore[call-arg]
        toml = TomlConfigSettingsSource(settings_cls, toml_file=store / "shop.toml")
        return (init_settings, env_settings, dotenv, toml)

    @field_validator("dir")
    @classmethod
    def _absolute_dir(cls, value: Path) -> Path:
        # Relative store paths would change meaning whenever a process changes directory.
        return value.expanduser().resolve()

    @field_validator("currency")
    @classmethod
    def _upper_currency(cls, value: str) -> str:
        if not value.isalpha():
            raise ValueError("currency must be an ISO 4217 code such as EUR")
        return value.upper()

    @field_validator("country")
    @classmethod
    def _upper_country(cls, value: str) -> str:
        return value.upper()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Berlin") from None
        return value

    @field_validator("site_url", "api_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("publish_fingerprint_pattern")
    @classmethod
    def _valid_pattern(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression ({exc})") from exc
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    # Paths in settings are relative to the store's directory, not the process's.
    def path(self, value: Path) -> Path:
        return value if value.is_absolute() else (self.dir / value)

    @property
    def output_path(self) -> Path:
        return self.path(self.output_dir)

    @property
    def media_path(self) -> Path:
        return self.path(self.media_dir)

    @property
    def themes_path(self) -> Path:
        return self.dir / "themes"

    @property
    def resolved_database_url(self) -> str:
        """The database URL with a relative SQLite path anchored at the store's directory."""
        url = self.database_url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            relative = url[len(prefix) :]
            return prefix + str(self.dir / relative)
        return url

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def stripe_configured(self) -> bool:
        return self.payment_provider == "stripe" or bool(self.stripe_secret_key)

    @property
    def all_cors_origins(self) -> list[str]:
        """Configured origins plus the storefront's own."""
        origins = list(self.cors_origins)
        site = _origin(self.site_url)
        if site not in origins:
            origins.append(site)
        return origins


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def check_production(settings: Settings, *, processes: int = 1) -> None:
    """Refuse settings that are unsafe for real shoppers; each message says what to set."""
    if settings.env != "production":
        return
    if not settings.secret_key or settings.secret_key == DEFAULT_SECRET_KEY or len(settings.secret_key) < 32:
        raise ConfigError(
            "SHOP_SECRET_KEY is missing or the default: set it to a random string of at least "
            "32 characters (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
        )
    if settings.is_sqlite and max(processes, settings.workers) > 1:
        raise ConfigError(
            "SHOP_DATABASE_URL is SQLite but several processes would share it: "
            "set SHOP_DATABASE_URL=postgresql+psycopg://USER:PASSWORD@HOST/DB"
        )
    if settings.stripe_configured and not settings.stripe_secret_key:
        raise ConfigError("Stripe is the payment provider but SHOP_STRIPE_SECRET_KEY is not set")
    if settings.stripe_configured and not settings.stripe_webhook_secret:
        raise ConfigError(
            "Stripe is configured but SHOP_STRIPE_WEBHOOK_SECRET is not set: copy the signing "
            "secret (whsec_...) of your webhook endpoint from the Stripe dashboard"
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
