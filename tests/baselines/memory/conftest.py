"""Fixtures of the memory-model tests: every registered model, small, initialized once.

Models and parameters are cached by name rather than by session-scoped fixtures: pytest can
hand a session fixture cached for one `name` to a test that parametrizes `name` itself.
"""

import functools

import jax
import pytest

from baselines.memory import MEMORY_MODELS, MemoryModel
from tests.baselines.memory.memory_utils import init, small_model


@functools.cache
def _params(name: str):
    return init(small_model(name), jax.random.key(1))


@pytest.fixture(params=list(MEMORY_MODELS))
def name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def model(name: str) -> MemoryModel:
    return small_model(name)


@pytest.fixture
def params(name: str):
    return _params(name)
