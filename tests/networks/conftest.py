"""Every test module in this folder runs on one torch thread (the fixture is in tests/conftest.py)."""

import pytest


@pytest.fixture(autouse=True, scope="module")
def _one_thread_per_module(one_thread):
    yield
