"""The HTTP entry point: people's pages from signed links, one-click unsubscribe, health checks.

Layout (see docs/architecture.md): `app.py` builds the app, `deps.py` declares the dependencies,
`errors.py` maps business errors to answers, `security.py` signs and checks, `routes/` holds one
router per resource, `pages.py` and `templates/` render, `static/` holds the stylesheet.
"""

from service.api.app import create_app
from service.api.security import BaseUrlError

__all__ = ["BaseUrlError", "create_app"]
