"""`/cds-services/` and `/cds-services/{id}/` (and `.../feedback/`) answered as the paths without the slash.

Why: Starlette answers a path that differs by a trailing slash with a 307 redirect. An EHR that builds the URL by
joining the base URL and the id with a slash too many (or calls discovery as `/cds-services/`) got a redirect, and
an HTTP client that does not follow redirects on POST (many do not re-send a body, and a redirect of a hook call
would re-send the patient's data) got no cards at all: `POST /cds-services/` was a 307 to a path answering only GET,
a 405 at the end. CDS Hooks names the paths without the slash; a slash more names the same resource, so it is
served as that one: the same answer, no round trip. The client's token still names the URL it called (`aud`):
this runs inside the authentication, which checks the path as sent.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

PREFIX = "/cds-services"


def without_trailing_slash(path: str) -> str:
    """A path under /cds-services with its trailing slashes taken off; any other path as it is."""
    if path.endswith("/") and (path == PREFIX + "/" or path.startswith(PREFIX + "/")):
        stripped = path.rstrip("/")
        return stripped if stripped.startswith(PREFIX) else path
    return path


class TrailingSlash:
    """Pure ASGI: a /cds-services path ending in "/" is routed as the same path without it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            plain = without_trailing_slash(path)
            if plain != path:
                scope.setdefault("state", {})  # shared with the copy: the request log outside reads what the hook notes
                raw = scope.get("raw_path")
                scope = {**scope, "path": plain,
                         "raw_path": raw.rstrip(b"/") if isinstance(raw, bytes) and raw.endswith(b"/") else raw}
        await self.app(scope, receive, send)
