"""The application factory. Importing this module does nothing; ``create_app(settings)`` builds an app."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp

from survey_app import errors, logfilter
from survey_app.config import Settings, get_settings, use_private_file_modes
from survey_app.csrf import verify_csrf
from survey_app.db import make_engine, serving_here, upgrade
from survey_app.deps import RESPONDENT_KEY, STAFF_KEY
from survey_app.limits import BodySizeLimit, in_range
from survey_app.middleware import SecurityHeaders, install_host_check
from survey_app.routes import (
    about,
    account,
    admin,
    analysis,
    api,
    archive,
    blank_form,
    health,
    knowledge,
    oidc,
    recommendation,
    respondent,
    results,
    rounds,
    staff,
)
from survey_app.services import outbox
from survey_app.session_renewal import RenewSession
from survey_app.templating import make_templates

STATIC_DIR = Path(__file__).resolve().parent / "static"
# Room for the multipart envelope and the other fields around the largest file an upload may carry.
MULTIPART_SLACK = 64 * 1024


class Innspill(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        # Outermost, around Starlette's ServerErrorMiddleware: the 500 page gets the headers too.
        settings: Settings = self.state.settings
        return SecurityHeaders(super().build_middleware_stack(), hsts=settings.secure_cookies)


def create_app(settings: Settings, *, engine: sa.Engine | None = None) -> FastAPI:
    """Build the app. The schema is brought up to date when the app starts (idempotent)."""
    owns_engine = engine is None
    if engine is None:
        pool = {}
        if settings.database_slots is not None:
            pool = {"pool_size": settings.database_pool_size, "max_overflow": settings.database_max_overflow}
        engine = make_engine(settings.sqlalchemy_url, **pool)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        upgrade(engine)
        serving_here()  # db.begin_write warns if a request writes on this loop
        # Mail goes out from this thread after the response, never from a request (services/outbox.py).
        sender = outbox.start_sender(engine, settings)
        app.state.mail_sender = sender
        # Made here, on the loop that serves (deps.get_session): never more requests using the database at
        # once than the pool has connections, so none blocks the event loop waiting for one.
        slots = settings.database_slots
        app.state.database_slots = None if slots is None else asyncio.Semaphore(slots)
        if settings.environment != "test":
            # What the process holds once started (the libraries, ~250,000 objects) is kept for good; a
            # full garbage collection walked all of it, 140 ms that fell on whichever request was running
            # (the staff pages' p95, docs/benchmarks.md). Frozen, it is left out of every collection.
            # Not in the test suite, whose many apps would then never be collected.
            gc.collect()
            gc.freeze()
        yield
        sender.stop()  # this lifespan's own: tests open several clients on one app
        if owns_engine:  # an engine handed in (tests) belongs to the caller
            engine.dispose()

    # Only the JSON API is described in OpenAPI; Swagger UI is off because it loads from a CDN.
    app = Innspill(
        title="Innspill API",
        description="Read-only JSON API for a county's BI tools. Authenticate with `Authorization: Bearer isp_…`.",
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.database_slots = None
    app.state.templates = make_templates(settings.templates_dir)

    # Added first, so it runs inside the session middleware (its 413 page needs the session). The figures
    # upload may be larger; the page itself refuses a file over MAX_UPLOAD, with a message by the field.
    upload = str(recommendation.router.url_path_for("recommendation_create"))
    uploads = {upload: recommendation.MAX_UPLOAD + MULTIPART_SLACK}
    uploads |= {
        str(knowledge.router.url_path_for(n)): knowledge.MAX_UPLOAD + MULTIPART_SLACK
        for n in knowledge.UPLOADS
    }
    app.add_middleware(BodySizeLimit, limits=uploads)
    app.add_middleware(RenewSession, signed_in_keys=(STAFF_KEY, RESPONDENT_KEY))  # inside the sessions too
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret_key(),
        session_cookie="innspill_session",
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    install_host_check(app, settings)  # the last added, so the outermost: no other code sees a foreign Host
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    checks = [Depends(verify_csrf), Depends(in_range)]
    pages = {"dependencies": checks, "include_in_schema": False}
    app.include_router(health.router, include_in_schema=False)
    page_routers = [
        about.router,
        respondent.router,
        blank_form.router,
        staff.router,
        oidc.router,
        account.router,
        rounds.router,
        results.router,
        admin.router,
        analysis.router,
        recommendation.router,
        archive.router,
        knowledge.router,
        api.docs_router,
    ]
    for router in page_routers:
        app.include_router(router, **pages)  # type: ignore[arg-type]
    # The API is GET-only and authenticated by a header, not a cookie: CSRF does not apply.
    app.include_router(api.router, dependencies=[Depends(in_range)])
    if settings.bench_routes:
        # Imported only here: without the setting the bench routes do not exist at all.
        from survey_app.routes import bench

        app.include_router(bench.router, **pages)  # type: ignore[arg-type]
    # Templates find a route by its name here (templating.url_for) instead of asking every route in turn.
    app.state.routes_by_name = routes_by_name([health.router, *page_routers, api.router])
    errors.install(app)
    return app


def routes_by_name(routers: list[APIRouter]) -> dict[str, APIRoute]:
    """The routes of these routers by name; the first of a name wins, as in Starlette's url_for."""
    index: dict[str, APIRoute] = {}
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute):
                index.setdefault(route.name, route)
    return index


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` (one app per worker process)."""
    # What `survey-app serve` does before it starts uvicorn, for an app started without it.
    use_private_file_modes()
    logfilter.install()
    return create_app(get_settings())
