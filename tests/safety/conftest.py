"""Fixtures of the safety suite: the sentinel arena (``_arena``), on every kind of root."""
from __future__ import annotations

import pytest

from tests.safety._arena import KINDS, Arena, build_template


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> str:
    return build_template(tmp_path_factory.mktemp("safety-template"))


@pytest.fixture(params=KINDS)
def arena(request, template, tmp_path):
    a = Arena(request.param, template, tmp_path)
    yield a
    a.close()
