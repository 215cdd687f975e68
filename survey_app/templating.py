"""The Jinja2 environment: strict about undefined names, with Norwegian date formats and vendored assets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi.routing import APIRoute
from jinja2_fragments.fastapi import Jinja2Blocks
from starlette.datastructures import URL
from starlette.requests import Request

from analysis.settlement_text import number, signed
from survey_app.dates import format_date, format_datetime, format_time
from survey_app.documents import formatting as fmt
from survey_app.documents.formatting import paragraphs
from survey_app.forms import Value, display_value
from survey_app.i18n import template_t
from survey_app.models import StaffUser
from survey_app.permissions import Action, can
from survey_app.question_types import kind_of
from survey_app.questionnaires import Question, QuestionnaireDef

# Pinned copies from npm (see static/vendor/README.md). Changing a version here is the whole upgrade.
VENDOR = {
    "htmx": "vendor/htmx-2.0.11.min.js",
    "ds_css": "vendor/designsystemet-css-1.22.0.css",
    "ds_theme": "vendor/designsystemet-theme-digdir-1.11.0.css",
}


def domid(key: str) -> str:
    """An answer key as an HTML id that is also a plain CSS selector (no dots)."""
    return key.replace(".", "--")


def can_do(user: StaffUser | None, action: str) -> bool:
    """``{% if can(staff_user, "export") %}``: whether the logged-in user's role allows an action."""
    return user is not None and can(user.role, Action(action))


def reads_masked(user: StaffUser | None) -> bool:
    """Whether this viewer reads the answers with personal data masked: a reader (leser) does. Who may
    export the raw answers anyway (advisers, administrators) reads what was written, and so does a
    municipality reading its own answer (no staff user)."""
    return user is not None and not can(user.role, Action.export)


@jinja2.pass_context
def reader_view(context: jinja2.runtime.Context, text: str) -> str:
    """``{{ line.answer|reader_view }}``: an answer as this viewer may read it, masked for a reader.

    Every answer, not only the free-text keys: an unfinished answer keeps text typed into a number field as
    typed, and a compared question may have been free text the year before. An option's label or a number
    has nothing to mask, so a closed answer reads the same."""
    if reads_masked(context.get("staff_user")):
        # Imported here: the masker loads scikit-learn, which command-line tools need not wait for.
        from analysis.privacy import mask

        return mask(text)
    return text


@jinja2.pass_context
def display_answer(
    context: jinja2.runtime.Context,
    definition: QuestionnaireDef,
    question: Question,
    key: str,
    value: Value,
    lang: str = "nb",
) -> str:
    """``display_value`` for templates, masked for readers (``reader_view``)."""
    return reader_view(context, display_value(definition, question, key, value, lang))


@jinja2.pass_context
def url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> URL:
    """Starlette's ``url_for``, without trying every route of the app in turn (about 50 µs a link: the
    follow-up page links each of 357 municipalities). ``create_app`` indexes the routes by name."""
    request: Request = context["request"]
    route: APIRoute | None = request.app.state.routes_by_name.get(name)
    if route is None:  # the static files' mount, and anything else not indexed
        return request.url_for(name, **path_params)
    url = route.url_path_for(name, **path_params).make_absolute_url(base_url=request.base_url)
    return with_slot(request, name, url)


RESPONDENT_ROUTES = "respondent_"


def with_slot(request: Request, name: str, url: URL) -> URL:
    """A respondent page's link, carrying the page's invitation slot (deps.SLOT_PARAM) along.

    The slot is what keeps two tabs of one browser on their own municipality and questionnaire; a link
    without it would land on whichever the dependency chose.
    """
    slot = getattr(request.state, "respondent_slot", None)
    if slot and name.startswith(RESPONDENT_ROUTES):
        from survey_app.deps import SLOT_PARAM  # deps → errors → htmx → templating: imported here

        return url.include_query_params(**{SLOT_PARAM: slot})
    return url


def make_templates(directory: Path) -> Jinja2Blocks:
    templates = Jinja2Blocks(directory=str(directory))
    env = templates.env
    env.undefined = jinja2.StrictUndefined
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.filters["datetime"] = format_datetime
    env.filters["time"] = format_time
    env.filters["date"] = format_date
    env.filters["domid"] = domid
    env.filters["paragraphs"] = paragraphs
    # Norwegian numbers: a decimal comma, a no-break space between thousands, a real minus sign.
    env.filters["number"] = number
    env.filters["signed"] = signed
    # Through Babel, with a fixed number of decimals: {{ x|decimal }} 3,4 · {{ x|decimal(0) }} 2012 ·
    # {{ share|percent }} 49 % · {{ change|signed_decimal }} +2,5 / −2,5 / ±0. Every page uses these, never
    # '%.1f'|format, which writes English decimals.
    env.filters["decimal"] = fmt.decimal
    env.filters["percent"] = fmt.percent
    env.filters["signed_decimal"] = fmt.signed_decimal
    env.globals["url_for"] = url_for
    env.globals["VENDOR"] = VENDOR
    env.globals["display_value"] = display_answer
    env.globals["kind_of"] = kind_of
    env.filters["reader_view"] = reader_view
    env.globals["t"] = template_t
    env.globals["can"] = can_do
    return templates
