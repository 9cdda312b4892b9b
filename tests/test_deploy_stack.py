"""The production stack: docker-compose.yml is valid and sets only settings that exist."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from shop.config import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): str(v) for k, v in env.items()}


def command(service: dict[str, Any]) -> str:
    value = service.get("command") or ""
    return " ".join(value) if isinstance(value, list) else str(value)


def test_every_shop_variable_is_a_setting(compose: dict[str, Any]) -> None:
    fields = {name.upper() for name in Settings.model_fields}
    used = {
        (name, variable)
        for name, service in compose["services"].items()
        for variable in environment(service)
        if variable.startswith("SHOP_")
    }
    assert used, "the stack configures shop through SHOP_* variables"
    unknown = sorted(
        f"{name}: {variable}" for name, variable in used if variable.removeprefix("SHOP_") not in fields
    )
    assert unknown == []


def test_the_stack_has_its_parts_wired_together(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgres", "migrate", "api", "worker", "minio", "minio-init", "mailpit"} <= set(services)
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        for dependency in service.get("depends_on") or {}:
            assert dependency in services, f"{name} depends on unknown {dependency}"
    for name in ("migrate", "api", "worker"):
        assert services[name]["build"] == "."
        env = environment(services[name])
        assert env["SHOP_ENV"] == "production"
        assert env["SHOP_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert "@postgres:5432/" in env["SHOP_DATABASE_URL"]
        assert env["SHOP_S3_ENDPOINT_URL"] == "http://minio:9000"
        assert env["SHOP_SMTP_URL"] == "smtp://mailpit:1025"
    assert command(services["migrate"]) == "shop db upgrade"
    api = command(services["api"])
    assert api.startswith("shop serve") and re.search(r"--workers [2-9]", api)
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert command(services["worker"]) == "shop worker"
    # The bucket publish writes to is the one the init container creates.
    bucket = environment(services["api"])["SHOP_PUBLISH_TARGET"].removeprefix("s3://").split("/")[0]
    init = " ".join(services["minio-init"]["entrypoint"])
    assert services["minio-init"]["image"].startswith("minio/mc")
    assert f"mc mb --ignore-existing local/{bucket}" in init
    assert services["mailpit"]["image"].startswith("axllent/mailpit")


def test_the_image_runs_the_api_as_a_non_root_user() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM python:3\.\d+-slim", text, re.M)
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"pip install /wheels/\*\.whl", text)
    cmd = re.findall(r"^CMD (.+)$", text, re.M)[-1]
    assert '"shop", "serve"' in cmd and '"--workers"' in cmd
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored and ".git" in ignored


def _compose_tool() -> list[str] | None:
    if shutil.which("docker"):
        for args in (["docker", "compose", "version"], ["docker", "info"]):
            probe = subprocess.run(args, capture_output=True, timeout=20, check=False)
            if probe.returncode != 0:
                break
        else:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    tool = _compose_tool()
    if tool is None:
        pytest.skip("neither `docker compose` with a running engine nor docker-compose is here")
    result = subprocess.run(
        [*tool, "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin:/usr/local/bin", "SHOP_SECRET_KEY": "x" * 48},
    )
    assert result.returncode == 0, result.stderr
