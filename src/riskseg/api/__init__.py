"""The REST API (docs/api.md): ``create_app(ApiSettings(db=...))``.

FastAPI is imported on first use of :func:`create_app` or :class:`ApiSettings`, so that
``riskseg user`` and ``import riskseg.api.auth`` stay light.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ApiSettings", "create_app"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from riskseg.api import app

        return getattr(app, name)
    raise AttributeError(f"module 'riskseg.api' has no attribute {name!r}")
