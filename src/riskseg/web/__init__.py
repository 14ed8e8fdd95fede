"""The dashboard: server-rendered pages over the same store and roles as the REST API."""

from __future__ import annotations

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    """Add the dashboard's pages and static files to ``app`` (called by ``create_app``)."""
