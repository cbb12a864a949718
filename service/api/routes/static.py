"""The pages' one stylesheet, read from the package once."""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import Response

router = APIRouter(tags=["static"])


@cache
def _stylesheet() -> bytes:
    return resources.files("service.api").joinpath("static/rapport.css").read_bytes()


@router.get("/static/rapport.css")
async def stylesheet() -> Response:
    """The stylesheet (the only static file: the pages have no scripts)."""
    return Response(_stylesheet(), media_type="text/css; charset=utf-8")
