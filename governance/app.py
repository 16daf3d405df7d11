"""The application factory: one place that wires routes, plugins, middleware and error pages."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    SQLAlchemyAsyncConfig,
    SQLAlchemyPlugin,
)
from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.logging.config import StructLoggingConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.plugins.structlog import StructlogConfig, StructlogPlugin
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar_htmx import HTMXPlugin
from sqlalchemy.ext.asyncio import async_sessionmaker

from governance.accounts.controller import (
    AccountController,
    StaffController,
)
from governance.accounts.sessions import AUTHENTICATION
from governance.bodies.controller import BodyController
from governance.challenges.controller import ChallengeQueueController, RollCheckController
from governance.config import PROJECT_ROOT, Settings
from governance.db import create_engine
from governance.elections.controllers.officers import ElectionOfficerController
from governance.elections.controllers.public import TimetableController
from governance.elections.controllers.ro import ElectionController
from governance.members.controller import MemberAccessController, MemberController
from governance.members.register_file.controller import MemberFileController
from governance.nominations.controllers.candidates import CandidateListController
from governance.nominations.controllers.member import MemberNominationController
from governance.nominations.controllers.review import ReviewController
from governance.notify.controller import OutboxController
from governance.notify.mailer import outbox_in_process
from governance.site.controller import SiteController
from governance.templating import make_environment
from governance.voting.box import running_writer
from governance.voting.codes import register_fillers
from governance.voting.controllers.ballot import BallotController
from governance.voting.controllers.codes import VotingCodeController
from governance.voting.controllers.mail import ReminderController, VotingMailController
from governance.voting.controllers.officer import PollController
from governance.voting.opening import voting_in_process
from governance.web.dependencies import dependencies
from governance.web.errors import EXCEPTION_HANDLERS
from governance.web.headers import SecurityHeadersMiddleware

STATIC_DIR = PROJECT_ROOT / "static"


def _alchemy(settings: Settings) -> SQLAlchemyAsyncConfig:
    # Services commit explicitly with the audit event they write; the default before-send handler
    # only closes the session, rolling back whatever a failed request left uncommitted.
    return SQLAlchemyAsyncConfig(
        engine_instance=create_engine(settings.database_url),
        session_config=AsyncSessionConfig(expire_on_commit=False),
        session_dependency_key="db_session",
        create_all=False,
    )


def _freeze_start_up_objects() -> None:
    """Move everything loaded at start-up out of the garbage collector's full passes.

    The app holds ~190,000 long-lived objects (modules, templates, mappers); without this,
    each full collection walks them all in the middle of some request (about 150 ms on the
    review page of a 150-nomination contest).
    """
    gc.collect()
    gc.freeze()


@asynccontextmanager
async def ballot_box_in_process(app: Litestar) -> AsyncIterator[None]:
    """One group-commit ballot writer per process (``voting/box.py``), on the app's engine."""
    config = cast(SQLAlchemyAsyncConfig, app.state["alchemy_config"])
    sessions = async_sessionmaker(config.get_engine(), expire_on_commit=False)
    async with running_writer(sessions) as writer:
        app.state["ballot_writer"] = writer
        yield


def _route_handlers() -> list[Any]:
    """Every page of the app, feature by feature."""
    return [
        SiteController,
        TimetableController,
        ElectionController,
        ElectionOfficerController,
        AccountController,
        StaffController,
        MemberController,
        MemberAccessController,
        MemberFileController,
        BodyController,
        RollCheckController,
        ChallengeQueueController,
        OutboxController,
        MemberNominationController,
        ReviewController,
        CandidateListController,
        VotingCodeController,
        VotingMailController,
        ReminderController,
        BallotController,
        PollController,
        create_static_files_router(path="/static", directories=[STATIC_DIR]),
    ]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    alchemy = _alchemy(settings)
    register_fillers()  # the outbox fills voting codes in at send time (notify/fillers.py)

    async def dispose_engine() -> None:
        await alchemy.get_engine().dispose()

    structlog_config = StructlogConfig(
        structlog_logging_config=StructLoggingConfig(log_exceptions="never"),
        enable_middleware_logging=False,
    )
    return Litestar(
        route_handlers=_route_handlers(),
        # HTMXPlugin makes every request an HTMXRequest: ``request.htmx`` tells a handler to answer
        # with one block of its page (jinja2-fragments' HTMXBlockTemplate).
        plugins=[
            SQLAlchemyPlugin(config=alchemy),
            StructlogPlugin(config=structlog_config),
            HTMXPlugin(),
        ],
        middleware=[SecurityHeadersMiddleware(), AUTHENTICATION],
        dependencies=dependencies(settings),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="governance_csrf",
            cookie_secure=settings.secure_cookies,
            cookie_samesite="lax",
            exclude=["^/static/", "^/healthz$"],  # regular expressions, so anchored
        ),
        template_config=TemplateConfig(
            engine=JinjaTemplateEngine.from_environment(make_environment())
        ),
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[outbox_in_process, voting_in_process, ballot_box_in_process],
        on_shutdown=[dispose_engine],
        state=State({"settings": settings, "alchemy_config": alchemy}),
        debug=False,
    )


def app_factory() -> Litestar:
    """Entry point for Granian (``--factory``): settings from the environment.

    Only the served app freezes its start-up objects: a frozen object is never collected, so
    every short-lived app a test makes (with its engine and templates) would stay for good.
    """
    app = create_app()
    app.on_startup.append(_freeze_start_up_objects)
    return app
