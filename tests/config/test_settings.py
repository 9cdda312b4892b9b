from __future__ import annotations

from pathlib import Path

import pytest

from shop.config import DEFAULT_SECRET_KEY, ConfigError, Settings, check_production


def store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("SHOP_DATABASE_URL", "SHOP_SECRET_KEY", "SHOP_ENV", "SHOP_STORE_NAME", "SHOP_CURRENCY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SHOP_DIR", str(tmp_path))
    return tmp_path


def test_defaults_need_no_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    store(monkeypatch, tmp_path)
    settings = Settings()
    assert settings.database_url == "sqlite:///./shop.db"
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'shop.db'}"
    assert settings.output_path == tmp_path / "public"
    assert settings.media_path == tmp_path / "media"
    assert settings.payment_provider == "manual"


def test_environment_beats_dotenv_beats_toml(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    root = store(monkeypatch, tmp_path)
    (root / "shop.toml").write_text('store_name = "From toml"\ncurrency = "usd"\ncountry = "us"\n')
    (root / ".env").write_text("SHOP_STORE_NAME=From dotenv\n")
    assert Settings().store_name == "From dotenv"
    assert Settings().currency == "USD"
    monkeypatch.setenv("SHOP_STORE_NAME", "From environment")
    assert Settings().store_name == "From environment"
    assert Settings().country == "US"


def test_cors_origins_accept_a_comma_list(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    store(monkeypatch, tmp_path)
    monkeypatch.setenv("SHOP_CORS_ORIGINS", "https://a.example, https://b.example")
    settings = Settings(site_url="https://shop.example/")
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.all_cors_origins[-1] == "https://shop.example"


def test_bad_currency_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    store(monkeypatch, tmp_path)
    with pytest.raises(ValueError, match="currency"):
        Settings(currency="E1R")


GOOD_KEY = "k" * 40


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"secret_key": DEFAULT_SECRET_KEY}, "SHOP_SECRET_KEY"),
        ({"secret_key": "short"}, "SHOP_SECRET_KEY"),
        ({"secret_key": GOOD_KEY, "workers": 4}, "SHOP_DATABASE_URL"),
        (
            {"secret_key": GOOD_KEY, "payment_provider": "stripe", "stripe_secret_key": "sk_x"},
            "SHOP_STRIPE_WEBHOOK_SECRET",
        ),
        ({"secret_key": GOOD_KEY, "payment_provider": "stripe"}, "SHOP_STRIPE_SECRET_KEY"),
    ],
)
def test_production_refuses_unsafe_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fields: dict[str, object], message: str
) -> None:
    store(monkeypatch, tmp_path)
    settings = Settings(env="production", **fields)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=message) as info:
        check_production(settings)
    assert "\n" not in str(info.value)


def test_production_accepts_safe_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    store(monkeypatch, tmp_path)
    settings = Settings(
        env="production",
        secret_key=GOOD_KEY,
        workers=4,
        database_url="postgresql+psycopg://shop@db/shop",
        payment_provider="stripe",
        stripe_secret_key="sk_live_x",
        stripe_webhook_secret="whsec_x",
    )
    check_production(settings, processes=4)
    with pytest.raises(ConfigError, match="SQLite"):
        check_production(settings.model_copy(update={"database_url": "sqlite:///x.db"}), processes=2)


def test_a_relative_store_dir_is_made_absolute(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    store(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SHOP_DIR", "mystore")
    assert Settings().dir == tmp_path / "mystore"
