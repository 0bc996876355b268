"""The review web app: one keyboard-first page (static/review.*) over a small JSON API.

GET  /api/coders, /api/taxonomy, /api/queue?coder=..., /api/paragraphs?coder=...&ids=a,b
POST /api/decide {coder, paragraph_id, changes: [[tag, action], ...]}, /api/undo {coder}

Adjudication (/adjudicate, the page for paragraphs coders disagree on):
GET  /api/adjudicators, /api/disputes?adjudicator=..., /api/adjudication?adjudicator=...&ids=a,b
POST /api/adjudicate {adjudicator, paragraph_id, changes}, /api/undo {coder, adjudicated: true}

Only requests addressed to this machine's names are answered (against DNS rebinding).
POSTs need the page's token in the X-CSRF-Token header and, when the browser sends an
Origin, the server's own; a cross-site page can do neither. Coders see only their own
decisions. Paragraph text is only ever set as text by the page (and the CSP forbids inline
scripts), so markup in a review shows as markup.
"""
from __future__ import annotations

import html
import secrets
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from labels.store import Store, StoreError
from labels.taxonomy import Taxonomy

STATIC = Path(__file__).with_name("static")
LOCAL_HOSTS = ("127.0.0.1", "localhost")
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _number(value: str | None, name: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError:
        raise StoreError(f"{name} should be a number, got {value!r}") from None


def create_app(store: Store, taxonomy: Taxonomy, *, csrf_token: str | None = None,
               hosts: Sequence[str] = LOCAL_HOSTS) -> Starlette:
    """The review app over `store`, answering only requests addressed to `hosts` (against
    DNS rebinding); `csrf_token` defaults to a fresh random one."""
    token = csrf_token or secrets.token_urlsafe(32)
    pages = {name: (STATIC / name).read_text(encoding="utf-8").replace("{{csrf_token}}", html.escape(token, quote=True))
             for name in ("review.html", "adjudicate.html")}

    def coder_of(value: object) -> str:
        if not isinstance(value, str) or value not in store.coders():
            raise StoreError(f"unknown coder {value!r}: coders are added by `casetag review assign`")
        return value

    def adjudicator_of(value: object) -> str:
        if not isinstance(value, str) or value not in store.adjudicators():
            raise StoreError(f"unknown adjudicator {value!r}: add one with `casetag review assign --adjudicator NAME`")
        return value

    def index(q, body) -> Response:
        return HTMLResponse(pages["review.html"])

    def adjudicate_page(q, body) -> Response:
        return HTMLResponse(pages["adjudicate.html"])

    def coders(q, body) -> Response:
        return JSONResponse(store.coders())

    def tags(q, body) -> Response:
        return JSONResponse({"version": taxonomy.version, "tags": [asdict(t) for t in taxonomy.tags]})

    def queue(q, body) -> Response:
        result = store.queue(
            coder_of(q.get("coder")), order=q.get("order") or store.default_order(), doc_id=q.get("doc") or None,
            tag=q.get("tag") or None, min_score=_number(q.get("min"), "min"),
            max_score=_number(q.get("max"), "max"), uncoded_only=q.get("uncoded") == "1")
        return JSONResponse(asdict(result))

    def paragraphs(q, body) -> Response:
        ids = [i for i in (q.get("ids") or "").split(",") if i]
        return JSONResponse([asdict(v) for v in store.paragraphs(coder_of(q.get("coder")), ids)])

    def decide(q, body) -> Response:
        coder, pid, changes = coder_of(body.get("coder")), body.get("paragraph_id"), body.get("changes")
        if not isinstance(pid, str) or not isinstance(changes, list) or not all(
                isinstance(c, list) and len(c) == 2 and all(isinstance(x, str) for x in c) for c in changes):
            raise StoreError('send {"coder", "paragraph_id", "changes": [[tag, action], ...]}')
        store.decide(coder, pid, [tuple(c) for c in changes], taxonomy=taxonomy)
        return JSONResponse({"paragraph": asdict(store.paragraphs(coder, [pid])[0])})

    def undo(q, body) -> Response:
        if body.get("adjudicated") is True:
            coder = adjudicator_of(body.get("coder"))
            pid = store.undo(coder, adjudicated=True)
            view = store.adjudication_views(coder, [pid]) if pid else []
        else:
            coder = coder_of(body.get("coder"))
            pid = store.undo(coder)
            view = store.paragraphs(coder, [pid]) if pid else []
        return JSONResponse({"paragraph": asdict(view[0]) if view else None})

    def adjudicators(q, body) -> Response:
        return JSONResponse(store.adjudicators())

    def disputes(q, body) -> Response:
        return JSONResponse(asdict(store.disputes(adjudicator_of(q.get("adjudicator")))))

    def adjudication(q, body) -> Response:
        ids = [i for i in (q.get("ids") or "").split(",") if i]
        return JSONResponse([asdict(v) for v in store.adjudication_views(adjudicator_of(q.get("adjudicator")), ids)])

    def adjudicate(q, body) -> Response:
        who, pid, changes = adjudicator_of(body.get("adjudicator")), body.get("paragraph_id"), body.get("changes")
        if not isinstance(pid, str) or not isinstance(changes, list) or not all(
                isinstance(c, list) and len(c) == 2 and all(isinstance(x, str) for x in c) for c in changes):
            raise StoreError('send {"adjudicator", "paragraph_id", "changes": [[tag, action], ...]}')
        store.decide(who, pid, [tuple(c) for c in changes], taxonomy=taxonomy, adjudicated=True)
        return JSONResponse({"paragraph": asdict(store.adjudication_views(who, [pid])[0])})

    def route(path: str, endpoint, method: str = "GET") -> Route:
        """Refuse cross-site POSTs, run `endpoint` off the event loop, and turn store
        errors into 400s a person can read."""
        async def handler(request: Request) -> Response:
            body = {}
            if method == "POST":
                origin = request.headers.get("origin")
                if origin and origin != f"{request.url.scheme}://{request.headers.get('host')}":
                    return _error(f"cross-site request from {origin} refused", 403)
                if not secrets.compare_digest(request.headers.get("x-csrf-token", ""), token):
                    return _error("missing or stale page token: reload the page", 403)
                try:
                    body = await request.json()
                except ValueError as e:
                    return _error(f"malformed JSON: {e}")
                if not isinstance(body, dict):
                    return _error("send one JSON object")
            try:
                response = await run_in_threadpool(endpoint, request.query_params, body)
            except StoreError as e:
                return _error(str(e))
            response.headers.update(HEADERS)
            return response
        return Route(path, handler, methods=[method])

    return Starlette(middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts))], routes=[
        route("/", index), route("/api/coders", coders), route("/api/taxonomy", tags),
        route("/api/queue", queue), route("/api/paragraphs", paragraphs),
        route("/api/decide", decide, "POST"), route("/api/undo", undo, "POST"),
        route("/adjudicate", adjudicate_page), route("/api/adjudicators", adjudicators),
        route("/api/disputes", disputes), route("/api/adjudication", adjudication),
        route("/api/adjudicate", adjudicate, "POST"),
        Mount("/static", StaticFiles(directory=STATIC)),
    ])
