"""Fixtures of the memory-model tests: every registered model, small, initialized once."""

import jax
import pytest

from baselines.memory import MEMORY_MODELS, MemoryModel
from tests.memory.memory_utils import init, small_model


@pytest.fixture(scope="session", params=list(MEMORY_MODELS))
def name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def model(name: str) -> MemoryModel:
    return small_model(name)


@pytest.fixture(scope="session")
def params(model: MemoryModel):
    return init(model, jax.random.key(1))
