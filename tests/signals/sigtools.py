"""Fixtures for signal tests: every hand-made case runs on DuckDB, PostgreSQL and Spark.

The fixtures are registered by ``tests/conftest.py`` (a second ``conftest.py`` here would
shadow the top-level one for ``from conftest import ...``); test files import ``Compute``
and ``approx`` from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from engines import ENGINES, Engines, Result, Rows

from riskseg.signals import SignalConfig

Compute = Callable[..., Result]

_CACHE: dict[tuple[str, str, date, str], Result] = {}


@pytest.fixture(scope="session")
def engines() -> Iterator[Engines]:
    e = Engines()
    yield e
    e.close()


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def signals(engines: Engines, engine: str) -> Compute:
    """``signals(tables, as_of, config=None)`` -> ``{customer_id: {signal: value}}`` on ``engine``.

    Results are cached per engine, tables, date and config, so many small tests can share one
    fixture without paying for a Spark job each.
    """

    def compute(tables: Rows, as_of: date, config: SignalConfig | None = None) -> Result:
        key = (engine, repr(tables), as_of, repr(config))
        if key not in _CACHE:
            _CACHE[key] = engines.compute(engine, tables, as_of, config)
        return _CACHE[key]

    return compute


def approx(value: Any) -> Any:
    """Floats compared to 1e-9 relative: engines may add in a different order."""
    return pytest.approx(value, rel=1e-9, abs=1e-12) if isinstance(value, float) else value
