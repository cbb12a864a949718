"""Business errors to HTTP: a plain page for people, JSON for `/api`; a 404 that says nothing.

`NotFound` is one page for every cause (a tampered, expired or someone else's link, a missing
person or nudge, an unknown path), so a link's answer never tells why it failed.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from service.api.pages import page
from service.errors import Forbidden, NotFound, RapportError

TITLES = {
    400: "That didn't work",
    401: "Not signed in",
    403: "That didn't work",
    404: "This link doesn't work",
    405: "This link doesn't work",
    409: "That didn't work",
    413: "That was too much",
    500: "Something went wrong",
}
NOT_FOUND_TEXT = (
    "It may have expired, or it was copied only in part. The newest email from Rapport has "
    "fresh links."
)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(request: Request, status: int, text: str) -> Response:
    """The error as JSON (`/api`) or as a plain page."""
    if _is_api(request):
        return JSONResponse({"detail": text}, status_code=status)
    title = TITLES.get(status, TITLES[500])
    return page(request, "message.html", status, title=title, text=text)


async def rapport_error(request: Request, exc: Exception) -> Response:
    """A business error with its status; a 404 never says which thing was not found."""
    status = exc.status_code if isinstance(exc, RapportError) else 500
    if isinstance(exc, NotFound):
        return error_response(request, 404, NOT_FOUND_TEXT)
    if isinstance(exc, Forbidden):
        return error_response(request, 403, str(exc))
    return error_response(request, status, "Please try again later.")


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (no such path, wrong method) as the same plain pages."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status in (404, 405):
        return error_response(request, 404, NOT_FOUND_TEXT)
    return error_response(request, status, "Please try again later.")


async def validation_error(request: Request, exc: Exception) -> Response:
    """422 naming the field for the API; for people, a malformed link is just not found."""
    if _is_api(request) and isinstance(exc, RequestValidationError):
        fields = [".".join(str(p) for p in error["loc"]) for error in exc.errors()]
        return JSONResponse({"detail": exc.errors(), "fields": fields}, status_code=422)
    return error_response(request, 404, NOT_FOUND_TEXT)


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""
    app.add_exception_handler(RapportError, rapport_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
