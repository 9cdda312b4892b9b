from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from shop.api import create_app
from shop.config import Settings


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client
