"""One mock model server per test module; kernels located like the differential suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mock_llm import MockLLMServer


@pytest.fixture(scope="module")
def mock_server() -> Iterator[MockLLMServer]:
    with MockLLMServer() as server:
        yield server
