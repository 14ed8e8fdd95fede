"""Shared fixtures: real datasets from ../shared/data, small hand-made exports, PostgreSQL."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import riskseg
from pg_fixture import pg_schema, pg_url

# the signal tests' engines and fixtures live in tests/signals/ (see sigtools.py)
sys.path.insert(0, str(Path(__file__).resolve().parent / "signals"))
from sigtools import engine, engines, signals

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"

__all__ = ["engine", "engines", "pg_schema", "pg_url", "signals"]


@pytest.fixture
def store() -> Iterator[riskseg.Store]:
    with riskseg.Store(":memory:") as s:
        yield s


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real datasets not found at {SHARED_DATA}")
    return SHARED_DATA


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write a small export; the folder is created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


CUSTOMERS_CSV = (
    "customer_id,name,country,payment_terms_days,credit_limit,regulated,status\n"
    "C1,Acme BV,NL,30,10000,false,active\n"
    "C2,Beta GmbH,DE,14,5000,true,active\n"
    "C3,Gamma SARL,FR,60,,no,prospect\n"
)
