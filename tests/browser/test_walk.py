"""The walk: every page type, as everyone who may open it, on a phone (390 px) and a laptop (1280 px).

Issue 15 found what a person using Innspill daily meets only by walking every page type as every role; this
is that walk, kept. On the demo county, with realistic long Norwegian data added through the services (one of
the longest official municipality names, long compound words in free text, long names of people, scenarios
and API keys), each page fails on:

- an axe-core violation (WCAG 2.1 A and AA, run as tests/browser/test_accessibility.py runs it);
- a page wider than the screen: anything that sticks out to the right outside a box that scrolls or clips
  (a table in a scroll container is fine); and text cut off inside its box, with an ellipsis («fj…») or not;
- Python's text on the page: a repr (``<built-in method …>``, ``object at 0x``, ``{'``, ``[('``) or
  ``None``, ``True``, ``False`` as words;
- a word from tests/browser/walk_words.txt: English, or the program's own names for things;
- a number with a decimal point («3.4», «-2.5», «2011.9»): Norwegian writes «3,4». Dates («07.12.2026»,
  «07.12.»), times after «kl.» or a date («kl. 12.18»), «WCAG 2.1» and «Skjemaversjon 2026.2» are not;
- a link on the same site that answers 404 (or 5xx), and a resource the page loads that does;
- a heading (h1–h3) without ``hyphens: auto``, a word broken across two lines in text that does not ask for
  hyphens (it breaks without one: «Kommuneundersøk|ing»), or a page without a Norwegian ``lang`` (the
  respondent's pages in the municipality's own, ``nn`` for a nynorsk one): hyphens come from the language;
- a JavaScript error, or a page answering with another status than it should.

Problems are collected for every page and reported together at the end of each role's walk at each width
(page, role, width, problem, sample), grouped by kind. Every page's full-page screenshot and the list of
problems (``findings.txt``) are saved under ``test-artifacts/walk/<database>/`` for CI to keep.

Which role may open which staff page comes from the permission grid in tests/test_permissions.py, so a new
page route is walked as soon as it is in the grid (until then, as an administrator only);
``test_the_walk_knows_every_page`` fails for a GET route the walk does not know. The demo is built once for
the module, each role logs in once and uses one browser context at both widths, and a link is followed once
(once for all staff roles). ``test_each_check_catches_its_problem`` shows every check failing on a page made to
break them all, and letting pass what it must.
"""

from __future__ import annotations

import random
import re
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urldefrag, urlencode, urlsplit, urlunsplit

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Response as PageResponse
from sqlmodel import Session, SQLModel, select

from survey_app import audit
from survey_app.config import Settings
from survey_app.deps import SLOT_PARAM
from survey_app.main import create_app
from survey_app.models import (
    Invitation,
    Municipality,
    Response,
    ResponseStatus,
    Role,
    Round,
    Scenario,
    StaffUser,
)
from survey_app.question_types import kind_of
from survey_app.questionnaires import QuestionnaireDef
from survey_app.services import (
    analysis,
    api_tokens,
    catalog,
    demo,
    invitations,
    recommendation,
    register,
    responses,
    users,
)
from survey_app.services.register import SHIPPED_REGISTER, parse_register
from tests.browser.conftest import serving
from tests.browser.test_accessibility import AXE, AXE_OPTIONS, AXE_RUN, describe
from tests.conftest import TEST_SECRET
from tests.factories import PASSWORD
from tests.test_permissions import COLUMN, GRID_ROUTES, PUBLIC

# What a page shows does not depend on the database engine: run in CI's first (SQLite) pass only.
pytestmark = pytest.mark.first_pass_only

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "walk"
WORDS_FILE = Path(__file__).with_name("walk_words.txt")
WIDTHS = (390, 1280)
AUDIENCES = ("anonymous", "admin", "radgiver", "leser", "kommune-nb", "kommune-nn")

# --- realistic long Norwegian data --------------------------------------------------------------------

# One of the longest official municipality names in Norway (in Troms, in three languages), given to a bokmål
# municipality of the demo that has submitted, so that tables, headings and the profile meet it.
LONG_NAME = "Storfjord – Omasvuotna – Omasvuono"
LONG_NUMBER = "3046"  # Krødsherad in the shipped register
BOKMAL = {"draft": "3049", "done": LONG_NUMBER, "other": "3005"}  # Lier, (Krødsherad), Drammen
NYNORSK = {"draft": "3042", "done": "3043", "other": "3044"}  # Hemsedal, Ål, Hol

# What a coordinator writes: long compounds are ordinary Norwegian, and a 40-letter one is not rare.
LONG_TEXT = {
    "nb": (
        "Introduksjonsprogramdeltakeroppfølgingen i kommunen er delt mellom flyktningtjenesten, NAV og "
        "voksenopplæringen, og ingen har det samlede ansvaret. Vi ønsker en skriftlig "
        "samarbeidsavtale med fylkeskommunen om kvalifiseringsprogramkoordinatorene, faste "
        "nettverkssamlinger for frivillighetskoordinatorer og bedre rutiner for språkpraksisplasser i "
        "kommunale virksomheter.\nBoligsituasjonen gjør det vanskelig å bosette flere enn vedtaket i fjor."
    ),
    "nn": (
        "Introduksjonsprogramdeltakaroppfølginga i kommunen er delt mellom flyktningtenesta, NAV og "
        "vaksenopplæringa, og ingen har det samla ansvaret. Vi ønskjer ein skriftleg samarbeidsavtale "
        "med fylkeskommunen om kvalifiseringsprogramkoordinatorane, faste nettverkssamlingar for "
        "frivilligheitskoordinatorar og betre rutinar for språkpraksisplassar i kommunale verksemder.\n"
        "Bustadsituasjonen gjer det vanskeleg å busetje fleire enn vedtaket i fjor."
    ),
}
LONG_SHORT = {
    "nb": "Fagleder for flyktningtjenesten og introduksjonsprogrammet",
    "nn": "Fagleiar for flyktningtenesta og introduksjonsprogrammet",
}
LONG_OTHER = {
    "nb": "Samarbeid med trossamfunn, idrettslag og Frivilligsentralen",
    "nn": "Samarbeid med trussamfunn, idrettslag og Frivilligsentralen",
}
LONG_PEOPLE = {
    Role.radgiver: ("radgiver@fylke.test", "Kari-Margrethe Sørensen-Bjørnstad Haugland"),
    Role.leser: ("leser@fylke.test", "Per Christian Aas-Fjellheim Johannessen"),
}
LONG_SCENARIO = "Utkast til anbefaling om bosetting 2027 med justerte kriterier for integreringsresultater"
LONG_REASON = (
    "Kommunestyrevedtaket om bosetting ble fattet etter fristen, og kommunen har meldt at "
    "boligkapasiteten i sentrumsområdet er lavere enn forutsatt i fjorårets anmodning."
)
LONG_TOKEN = "Power BI-rapport for integreringsavdelingen og kommunesamarbeidet"


@dataclass(frozen=True)
class LongTexts:
    """``question_types.base.SyntheticTexts`` with the long texts above."""

    lang: str

    def short(self, rng: random.Random) -> str:
        return LONG_SHORT[self.lang]

    def long(self, rng: random.Random) -> str:
        return LONG_TEXT[self.lang]

    def other(self) -> str:
        return LONG_OTHER[self.lang]


def long_answers(definition: QuestionnaireDef, lang: str, *, share: float) -> dict[str, Any]:
    """The demo's plausible answers, with every free text the long one (the question type says which
    keys are free text)."""
    rng = random.Random(15)
    values = demo.synthetic_answers(definition, rng, share=share, keep_required=True, lang=lang)
    for question in definition.questions():
        kind = kind_of(question)
        for key in kind.free_text_keys(question):
            if key in values:
                values[key] = kind.synthetic(definition, question, key, rng, LongTexts(lang))
    return values


def fill(session: Session, response: Response, *, submit: bool) -> None:
    """Answer ``response`` with the long answers (all of them, and submitted; or about half, a draft)."""
    assert response.id is not None
    if response.status == ResponseStatus.submitted:
        responses.reopen(session, response=response, actor=audit.SYSTEM, reason="Walk: long answers")
    draft = responses.load_draft(session, response_id=response.id)
    values = long_answers(draft.definition, draft.lang, share=1.0 if submit else 0.5)
    changes = {key: (value, draft.version(key)) for key, value in values.items()}
    responses.save(session, draft=draft, changes=changes, editor="Kari-Margrethe Sørensen-Bjørnstad")
    if submit:
        remaining = responses.submit(
            session,
            draft=responses.load_draft(session, response_id=response.id),
            signer_name="Kari-Margrethe Sørensen-Bjørnstad Haugland",
            signer_role="Kommunalsjef for helse, velferd og integrering",
        )
        assert not remaining, remaining


# --- the demo with the long data, served once for the module -----------------------------------------


@dataclass(frozen=True)
class Respondent:
    """What one municipality's respondent walk opens: invitation links and the two forms' parts."""

    lang: str
    links: dict[str, str]  # draft, done, consultation (the draft municipality's), other -> path
    survey_sections: list[str]
    consultation_sections: list[str]


@dataclass(frozen=True)
class Target:
    """One staff page to open: its route, a label for the report and its path."""

    route: str
    label: str
    path: str


@dataclass
class Site:
    url: str
    app: FastAPI
    staff: list[Target]
    respondents: dict[str, Respondent]  # nb, nn
    expired_link: str


@pytest.fixture(autouse=True)
def _empty_tables() -> None:
    """The module's demo lives across its tests; ``site`` empties the tables at its end."""


def _by_number(session: Session, number: str) -> Municipality:
    return session.exec(select(Municipality).where(Municipality.kommunenummer == number)).one()


def _response(session: Session, round_id: int, municipality: Municipality) -> Response:
    return session.exec(
        select(Response).where(Response.round_id == round_id, Response.municipality_id == municipality.id)
    ).one()


def _link(session: Session, round_id: int, municipality: Municipality) -> str:
    invitation = session.exec(
        select(Invitation).where(
            Invitation.round_id == round_id, Invitation.municipality_id == municipality.id
        )
    ).one()
    return invitations.link(invitation, secret_key=TEST_SECRET, base_url="")


def _section_ids(session: Session, round_: Round) -> list[str]:
    return [s.id for s in catalog.round_definition(session, round_).sections]


# Route parameters the staff pages take, and what else some routes are walked with (one page type can look
# quite different in another state: a closed round, a municipality that has not started).
Variant = tuple[str, dict[str, object], str]  # label, parameters over the defaults, query string


def _staff_targets(app: FastAPI, ids: dict[str, object], variants: dict[str, list[Variant]]) -> list[Target]:
    routes = _routes(app)
    targets = []
    for name in staff_pages(app):
        route = routes[name]
        for label, over, query in variants.get(name, [("", {}, "")]):
            params = {p: {**ids, **over}[p] for p in route.param_convertors}
            path = app.url_path_for(name, **{k: str(v) for k, v in params.items()}) + query
            targets.append(Target(name, f"{name} ({label})" if label else name, path))
    return targets


def _respondent(session: Session, survey: Round, consultation: Round, lang: str) -> Respondent:
    """A municipality of this målform that has submitted and one that is halfway, both with long answers."""
    assert survey.id is not None and consultation.id is not None
    chosen = {
        which: _by_number(session, number) for which, number in (BOKMAL if lang == "nb" else NYNORSK).items()
    }
    assert all(m.malform == lang for m in chosen.values()), chosen
    fill(session, _response(session, survey.id, chosen["done"]), submit=True)
    fill(session, _response(session, survey.id, chosen["draft"]), submit=False)
    return Respondent(
        lang=lang,
        links={
            "draft": _link(session, survey.id, chosen["draft"]),
            "done": _link(session, survey.id, chosen["done"]),
            "consultation": _link(session, consultation.id, chosen["draft"]),
            "other": _link(session, survey.id, chosen["other"]),
        },
        survey_sections=_section_ids(session, survey),
        consultation_sections=_section_ids(session, consultation),
    )


def _long_scenario(session: Session, *, actor: str) -> tuple[Scenario, Scenario]:
    """The demo's scenario, and a copy with a long name, a hand-set number with a long reason and a new total."""
    first = session.exec(select(Scenario)).one()
    scenario = recommendation.copy_scenario(session, scenario=first, name=LONG_SCENARIO, actor=actor)
    recommendation.set_override(
        session, scenario=scenario, kommunenummer=LONG_NUMBER, number=12, reason=LONG_REASON, actor=actor
    )
    recommendation.update_scenario(
        session,
        scenario=scenario,
        total=scenario.total + 17,
        minors=scenario.minors_total,
        rules=recommendation.scenario_rules(scenario),
        actor=actor,
    )
    return first, scenario


def _first(session: Session, round_id: int, status: ResponseStatus) -> Response:
    found = session.exec(
        select(Response)
        .where(Response.round_id == round_id, Response.status == status)
        .order_by(Response.municipality_id)
    ).first()
    assert found is not None, f"the demo has no {status} response in round {round_id}"
    return found


@pytest.fixture(scope="module")
def site(engine: sa.Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    settings = Settings(
        environment="test",
        data_dir=tmp_path_factory.mktemp("walk"),
        secret_key=TEST_SECRET,
        database_url=database_url,
        base_url="http://testserver",
    )
    try:
        with Session(engine, expire_on_commit=False) as session:
            survey_id, consultation_id = demo.setup_demo(session, settings=settings).round_ids
            survey, consultation = session.get(Round, survey_id), session.get(Round, consultation_id)
            previous = session.exec(select(Round).where(Round.title == "Kommuneundersøkelsen 2025")).one()
            assert survey is not None and consultation is not None and previous.id is not None

            # The long data, through the services: the register with the long name, people, a key, answers.
            rows = parse_register(SHIPPED_REGISTER.read_text(encoding="utf-8"), source=str(SHIPPED_REGISTER))
            rows = [replace(r, name=LONG_NAME) if r.kommunenummer == LONG_NUMBER else r for r in rows]
            register.load_register(session, rows=rows, county_name=settings.county_name, actor=audit.SYSTEM)
            admin = session.exec(select(StaffUser).where(StaffUser.email == demo.DEMO_ADMIN_EMAIL)).one()
            people = {
                role: users.create_user(
                    session,
                    email=email,
                    password=PASSWORD,
                    role=role,
                    full_name=name,
                    actor=audit.staff_actor(admin),
                )
                for role, (email, name) in LONG_PEOPLE.items()
            }
            token, _ = api_tokens.create(session, user=admin, name=LONG_TOKEN)
            respondents = {lang: _respondent(session, survey, consultation, lang) for lang in ("nb", "nn")}
            # The analysis again, so that its pages show the long name and texts.
            analysis.analyze(
                session, round_=survey, actor=audit.staff_actor(admin), data_dir=settings.data_dir
            )
            first, scenario = _long_scenario(session, actor=audit.staff_actor(people[Role.radgiver]))

            run = analysis.latest_run(session, survey_id)
            assert run is not None
            long_muni = _by_number(session, LONG_NUMBER)
            ids: dict[str, object] = {
                "round_id": survey_id,
                "response_id": _response(session, survey_id, long_muni).id,
                "municipality_id": long_muni.id,
                "unit": next(k for k, u in run.results.units.items() if u.kommunenummer == LONG_NUMBER),
                "scenario_id": scenario.id,
                "kommunenummer": LONG_NUMBER,
                "invitation_id": session.exec(
                    select(Invitation.id).where(
                        Invitation.round_id == survey_id, Invitation.municipality_id == long_muni.id
                    )
                ).one(),
                "user_id": people[Role.leser].id,
                "token_id": token.id,
            }
            not_started = _first(session, survey_id, ResponseStatus.not_started)
            variants: dict[str, list[Variant]] = {
                "staff_round": [("open", {}, ""), ("closed", {"round_id": previous.id}, "")],
                "round_profile": [
                    ("submitted", {}, ""),
                    ("not started", {"municipality_id": not_started.municipality_id}, ""),
                ],
                "recommendation_compare": [("", {}, f"?id={first.id}&id={scenario.id}")],
                "round_status_confirm": [
                    ("close", {}, "?status=closed"),
                    ("open again", {"round_id": previous.id}, "?status=open"),
                ],
            }
            # Last year's links ran out when its round closed.
            old = session.get(
                Municipality, _first(session, previous.id, ResponseStatus.submitted).municipality_id
            )
            assert old is not None
            expired = _link(session, previous.id, old)
            app = create_app(settings, engine=engine)
            with serving(app) as url:
                yield Site(url, app, _staff_targets(app, ids, variants), respondents, expired)
    finally:  # also when the set-up fails, so that the next module starts empty
        with engine.begin() as conn:
            for table in reversed(SQLModel.metadata.sorted_tables):
                conn.execute(table.delete())


# --- which pages --------------------------------------------------------------------------------------

# GET routes that are not pages a person reads, and why they are not walked. The links to them are still
# followed from the pages that have them (a download that answers 404 fails the walk).
NOT_PAGES = {
    "openapi": "JSON",
    "healthz": "JSON for the load balancer",
    "session_keepalive": "JSON for the session warning",
    "static": "files",
    "round_invitations_csv": "a download",
    "round_export": "a download",
    "recommendation_template": "a download",
    "recommendation_xlsx": "a download",
    "recommendation_document": "a download",
    "round_blank_pdf": "a download",
    "respondent_blank_pdf": "a download",
    "archive_round_zip": "a download",
    "archive_response_zip": "a download",
    "archive_recommendation_zip": "a download",
    # Sign-in through the county's identity provider: redirects to and from it (404 without one), and the
    # login page they end on is walked. tests/test_oidc.py and test_oidc_browser.py go through them.
    "staff_oidc_start": "a redirect",
    "staff_oidc_callback": "a redirect",
    "staff_oidc_logout": "a redirect",
    "api_rounds": "JSON",
    "api_round": "JSON",
    "api_round_answers": "JSON",
    "api_round_results": "JSON",
    # The htmx fragment of one question: drawn inside the part's page, which is walked.
    "respondent_question": "a fragment",
}
# Walked in the respondent walk below, for a bokmål and a nynorsk municipality.
RESPONDENT_ROUTES = {
    "invitation_open",
    "respondent_start",
    "respondent_section",
    "respondent_review",
    "respondent_receipt",
}
PUBLIC_PAGES = {"home": "/", "staff_login": "/ansatt/logg-inn", "accessibility_statement": "/tilgjengelighet"}
PUBLIC_PAGES |= {"privacy": "/personvern", "api_docs": "/api"}


def _routes(app: FastAPI) -> dict[str, Any]:
    def walk(routes: list[Any]) -> Iterator[Any]:
        for route in routes:
            if hasattr(route, "original_router"):
                yield from walk(route.original_router.routes)
            else:
                yield route

    return {r.name: r for r in walk(app.routes) if getattr(r, "name", None)}


def staff_pages(app: FastAPI) -> list[str]:
    """The staff pages: every GET route that is not a public or respondent page and is a page."""
    return [
        name
        for name, route in _routes(app).items()
        if "GET" in (getattr(route, "methods", None) or ())
        and name not in NOT_PAGES
        and name not in RESPONDENT_ROUTES
        and name not in PUBLIC_PAGES
    ]


def may_open(route: str, who: str) -> bool:
    """What the permission grid says. A route not in the grid yet is walked as an administrator, who may do
    everything (``test_the_walk_knows_every_page`` fails until it is in the grid). The analysis of one
    municipality is open to whoever may open the analysis: the grid's world has no analysis, so its cell
    there is 404 for all."""
    cell = "round_analysis" if route == "round_analysis_unit" else route
    if cell not in GRID_ROUTES:
        return who == "admin"
    return GRID_ROUTES[cell][2][COLUMN[who]] == 200


@dataclass(frozen=True)
class Visit:
    """A page as someone opens it: ``open`` navigates and returns the page's response."""

    name: str
    open: Callable[[Page], PageResponse | None]
    status: int = 200
    lang: str = ""  # the <html lang> it must have; "" for either of Norway's written standards
    # Staff pages may show, as <code>, names a person types: an import file's columns, the API's paths.
    # Public and respondent pages may not (a shell command on the privacy page is a finding).
    code_is_typed: bool = False


def _goto(url: str) -> Callable[[Page], PageResponse | None]:
    return lambda page: page.goto(url)


def _fresh(url: str) -> Callable[[Page], PageResponse | None]:
    """Open an invitation link in a browser holding no other."""

    def open_(page: Page) -> PageResponse | None:
        page.context.clear_cookies()
        return page.goto(url)

    return open_


def _two_forms(first: str, second: str, then: str) -> Callable[[Page], PageResponse | None]:
    def open_(page: Page) -> PageResponse | None:
        page.context.clear_cookies()
        page.goto(first)
        page.goto(second)
        return page.goto(then)

    return open_


def visits(site: Site, who: str) -> list[Visit]:
    """The pages ``who`` walks, in order: a respondent's walk goes from state to state (in progress, with
    two forms open, submitted), each step opening its invitation link in a browser holding no other."""
    url = site.url
    if who == "anonymous":
        pages = [
            Visit(name, _goto(url + path), code_is_typed=name == "api_docs")
            for name, path in PUBLIC_PAGES.items()
        ]
        return [
            *pages,
            Visit("404 page", _goto(url + "/finnes-ikke"), status=404),
            Visit("invalid invitation link", _goto(url + "/i/ugyldig-lenke"), status=404),
            Visit("expired invitation link", _fresh(url + site.expired_link), status=410),
            Visit("a respondent's page without a link", _fresh(url + "/svar"), status=401),
        ]
    if who.startswith("kommune-"):
        r = site.respondents[who.removeprefix("kommune-")]
        lang = r.lang
        link = {k: url + v for k, v in r.links.items()}
        return [
            Visit("start, in progress", _fresh(link["draft"]), lang=lang),
            *[Visit(f"survey part {s}", _goto(f"{url}/svar/del/{s}"), lang=lang) for s in r.survey_sections],
            Visit("review, in progress", _goto(url + "/svar/oppsummering"), lang=lang),
            Visit("another municipality's link", _goto(link["other"])),
            Visit("which form", _two_forms(link["draft"], link["consultation"], url + "/svar")),
            Visit("consultation start", _fresh(link["consultation"]), lang=lang),
            *[
                Visit(f"consultation part {s}", _goto(f"{url}/svar/del/{s}"), lang=lang)
                for s in r.consultation_sections
            ],
            Visit("start, submitted", _fresh(link["done"]), lang=lang),
            Visit("receipt", _goto(url + "/svar/kvittering"), lang=lang),
            Visit("review, submitted", _goto(url + "/svar/oppsummering"), lang=lang),
        ]
    staff = [
        Visit(t.label, _goto(url + t.path), code_is_typed=True) for t in site.staff if may_open(t.route, who)
    ]
    errors = [Visit("404 page", _goto(url + "/ansatt/runder/999999"), status=404, code_is_typed=True)]
    if not may_open("users_page", who):
        errors.append(Visit("403 page", _goto(url + "/ansatt/brukere"), status=403, code_is_typed=True))
    return staff + errors


# --- the checks -------------------------------------------------------------------------------------------

# Everything the checks read, in one round trip: the visible text (and what assistive technology reads
# from attributes, and what text fields show), what sticks out, the headings and the links.
SNAPSHOT = """() => {
  const vw = window.innerWidth;
  const seen = el => el.getClientRects().length > 0;
  const name = el => {
    let s = el.tagName.toLowerCase();
    if (el.id) return s + '#' + el.id;
    if (el.classList.length) s += '.' + [...el.classList].slice(0, 2).join('.');
    return s;
  };
  const path = el => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 3; e = e.parentElement) parts.unshift(name(e));
    return parts.join(' > ');
  };
  // A box that scrolls (a table's scroll container) or clips keeps what is inside it off the page's width.
  const contained = el => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') return true;
    }
    return false;
  };
  const out = el => el.getBoundingClientRect().right > vw + 1;
  const sticking = [];
  const cut = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.height > 0 && r.right > vw + 1 && !contained(el)) {
      const parent = el.parentElement;
      if (parent === document.body || !out(parent)) {
        sticking.push(`${path(el)} reaches ${Math.round(r.right)} px`);
      }
    }
    // Text cut off inside its own box: with an ellipsis («fj…»), or clipped where the box ends.
    if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 1) {
      const style = getComputedStyle(el);
      const clips = style.overflowX === 'hidden' || style.overflowX === 'clip';
      if (style.textOverflow === 'ellipsis' || (clips && el.innerText.trim())) {
        cut.push(`${path(el)} shows ${el.clientWidth} of ${el.scrollWidth} px: «${el.innerText.slice(0, 60)}»`);
      }
    }
  }
  const attributes = [...document.querySelectorAll('[aria-label], [title], img[alt], [placeholder]')]
    .filter(seen)
    .flatMap(el => ['aria-label', 'title', 'alt', 'placeholder'].map(a => el.getAttribute(a)).filter(Boolean));
  // What a field shows: Chromium shows a number field's value as it is («2.0»), not in the page's language.
  const fields = [...document.querySelectorAll('textarea, input:not([type]), input[type=text], input[type=search], input[type=number]')]
    .filter(seen).map(el => el.value);
  const headings = [...document.querySelectorAll('h1, h2, h3')].filter(seen).map(h => {
    const style = getComputedStyle(h);
    return {tag: h.tagName.toLowerCase(), text: h.innerText.slice(0, 70), hyphens: style.hyphens || style.webkitHyphens};
  });
  // A word broken across two lines where its text does not ask for hyphens: it breaks without one («Kommuneundersøk|
  // ing»). Letters only: a word with a hyphen or a slash may break there. With hyphens: auto the browser hyphenates
  // by the page's lang (as far as it has the language's dictionary).
  const broken = [];
  const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = texts.nextNode(); node && broken.length < 4; node = texts.nextNode()) {
    const words = [...node.data.matchAll(/\\p{L}{8,}/gu)];
    if (!words.length || !node.parentElement || getComputedStyle(node.parentElement).hyphens === 'auto') continue;
    for (const word of words) {
      const range = document.createRange();
      range.setStart(node, word.index);
      range.setEnd(node, word.index + word[0].length);
      const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      const sample = `${path(node.parentElement)} «${word[0]}»`;
      if (lines.size > 1 && !broken.includes(sample)) {  // one long word in fifty answers is one sample
        broken.push(sample);
        break;
      }
    }
  }
  return {
    text: [document.title, document.body.innerText, ...attributes, ...fields].join('\\n'),
    broken,
    code: [...document.querySelectorAll('code, pre, kbd, samp')].map(el => el.innerText),
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: vw,
    sticking: sticking.slice(0, 4),
    cut: cut.slice(0, 4),
    headings,
    lang: document.documentElement.lang,
    links: [...document.querySelectorAll('a[href], area[href]')].map(a => a.href),
  };
}"""

REPR = [
    re.compile(p)
    for p in (
        r"<built-in",
        r"<bound method",
        r"<function ",
        r"object at 0x",
        r"\{'",
        r"\[\('",
        r'\{"[\w-]+":',  # a dict as JSON
        r"\b(?:None|True|False)\b",
        r"\b(?:NaN|nan|undefined)\b",  # what JavaScript or a float prints for a missing number
    )
]
EMAIL_OR_URL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|https?://\S+")
# A file's name is what the person who made the file called it («demo_historikk_syntetisk.csv»).
FILE_NAME = re.compile(r"[\w.-]+\.(?:csv|json|xlsx|xls|docx|pdf|txt|yaml)\b", re.IGNORECASE)
# A number with one decimal point and no other (dates and addresses have more than one).
DECIMAL = re.compile(r"(?<![\d.])[-−+±]?\d+\.\d+(?!\d|\.\d)")
NOT_DECIMAL = [
    re.compile(r"(?:\bkl\.?|\bklokka|\d{2}\.\d{2}\.\d{4},?)\s*$"),  # a time: «kl. 12.18», «07.12.2026 12.18»
    re.compile(r"\bWCAG\s*$"),  # «WCAG 2.1»
    # A version's name, after the word that says so: «Skjemaversjon 2026.2» (but «fra 2026.2» alone reads
    # as a number).
    re.compile(r"versjon(?:en)?\s*$", re.IGNORECASE),
]
DATE_WITHOUT_YEAR = re.compile(r"(0[1-9]|[12]\d|3[01])\.(0[1-9]|1[0-2])\.(?!\d)")  # «07.12.»
NORWEGIAN = {"nb", "nn", "no"}


def load_words(path: Path = WORDS_FILE) -> list[re.Pattern[str]]:
    """The maintained list (see its head): a word in any case, or a «re:» regular expression."""
    patterns = []
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if entry.startswith("re:"):
            patterns.append(re.compile(entry[3:]))
        else:
            patterns.append(re.compile(rf"\b{re.escape(entry)}\b", re.IGNORECASE))
    return patterns


WORDS = load_words()


def around(text: str, start: int, end: int) -> str:
    return " ".join(text[max(0, start - 40) : end + 40].split())


def without_slot(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != SLOT_PARAM]
    return urlunsplit(parts._replace(query=urlencode(query)))


def first_distinct(pattern: re.Pattern[str], text: str, most: int = 3) -> list[re.Match[str]]:
    """The first matches that differ (a page can repeat one leak a hundred times)."""
    found: dict[str, re.Match[str]] = {}
    for m in pattern.finditer(text):
        found.setdefault(m.group(), m)
        if len(found) == most:
            break
    return list(found.values())


def decimals(text: str, most: int = 3) -> list[str]:
    """The first numbers with a decimal point in ``text`` that differ, each with its context."""
    found: dict[str, str] = {}
    for m in DECIMAL.finditer(text):
        before = text[max(0, m.start() - 20) : m.start()]
        if any(p.search(before) for p in NOT_DECIMAL) or DATE_WITHOUT_YEAR.match(text, m.start()):
            continue
        found.setdefault(m.group(), f"«{m.group()}» in «{around(text, m.start(), m.end())}»")
        if len(found) == most:
            break
    return list(found.values())


@dataclass(frozen=True)
class Finding:
    who: str
    width: int
    page: str
    url: str
    kind: str
    sample: str


@dataclass
class Walker:
    """One role's browser context, and the links it has already followed (with their status)."""

    site: Site
    who: str
    page: Page
    artifacts: Path
    # The links already followed and what they answered. Staff roles share one: a link answers 404 or
    # 5xx whoever follows it (a role that may not gets 403, which is no finding), and every page type is
    # itself opened as every role that may.
    followed: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # resources the page loaded that answered 404 or 5xx
    seconds: Counter[str] = field(default_factory=Counter)  # time per step, printed to keep the walk fast

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.seconds[step] += time.perf_counter() - start

    def note_response(self, response: PageResponse) -> None:
        # The page itself may answer 404 (an error page): its status is checked against the visit's.
        if response.request.resource_type != "document" and (
            response.status == 404 or response.status >= 500
        ):
            self.missing.append(f"{response.url.removeprefix(self.site.url)} ({response.status})")

    def walk(self, width: int) -> list[Finding]:
        self.page.set_viewport_size({"width": width, "height": 800})
        shots = self.artifacts / f"{width}" / self.who
        shots.mkdir(parents=True, exist_ok=True)
        findings: list[Finding] = []
        for number, visit in enumerate(visits(self.site, self.who), start=1):
            problems = self.check(visit)
            slug = re.sub(r"[^a-z0-9]+", "-", visit.name.lower()).strip("-")
            with self.timed("screenshot"):
                # JPEG: Chromium writes a 25,000 px page in less than half a PNG's time; text reads as well.
                self.page.screenshot(
                    path=shots / f"{number:02d}-{slug}.jpeg", full_page=True, type="jpeg", quality=80
                )
            path = self.page.url.removeprefix(self.site.url)
            findings += [
                Finding(self.who, width, visit.name, path, kind, sample) for kind, sample in problems
            ]
        return findings

    def check(self, visit: Visit) -> list[tuple[str, str]]:
        self.errors.clear()
        self.missing.clear()
        problems: list[tuple[str, str]] = []
        with self.timed("open"):
            response = visit.open(self.page)
        status = response.status if response else 0
        if status != visit.status:
            problems.append(("status", f"answered {status}, not {visit.status}"))
        with self.timed("axe"):
            violations = self.page.evaluate(AXE_RUN, AXE_OPTIONS)
        problems += [("axe", describe([v]).replace("\n", " ¶ ")) for v in violations]
        with self.timed("read"):
            seen = self.page.evaluate(SNAPSHOT)
            problems += self.width_problems(seen)
            problems += self.text_problems(seen, visit)
            problems += self.hyphen_problems(seen, visit)
        with self.timed("links"):
            problems += self.link_problems(seen["links"])
        problems += [("dead link", f"the page loads {resource}") for resource in self.missing]
        problems += [("javascript", error) for error in self.errors]
        return problems

    def width_problems(self, seen: dict[str, Any]) -> list[tuple[str, str]]:
        problems = []
        if seen["scrollWidth"] > seen["innerWidth"] or seen["sticking"]:
            problems.append(
                (
                    "wider than the screen",
                    f"{seen['scrollWidth']} px in {seen['innerWidth']} px: " + "; ".join(seen["sticking"]),
                )
            )
        problems += [("text cut off", sample) for sample in seen["cut"]]
        return problems

    def text_problems(self, seen: dict[str, Any], visit: Visit) -> list[tuple[str, str]]:
        text: str = seen["text"]
        problems = []
        for pattern in REPR:
            for m in first_distinct(pattern, text):
                problems.append(("python text", f"«{m.group()}» in «{around(text, m.start(), m.end())}»"))
        plain = EMAIL_OR_URL.sub(" ", text)
        worded = FILE_NAME.sub(" ", plain)
        if visit.code_is_typed:
            for snippet in sorted(seen["code"], key=len, reverse=True):  # «/runder» is in «/runder/{id}»
                worded = worded.replace(snippet, " ")
        for pattern in WORDS:
            for m in first_distinct(pattern, worded):
                problems.append(("word", f"«{m.group()}» in «{around(worded, m.start(), m.end())}»"))
        problems += [("decimal point", sample) for sample in decimals(plain)]
        return problems

    def hyphen_problems(self, seen: dict[str, Any], visit: Visit) -> list[tuple[str, str]]:
        problems = []
        lang = seen["lang"]
        if lang not in NORWEGIAN or (visit.lang and lang != visit.lang):
            problems.append(("lang", f"<html lang={lang!r}>, not {visit.lang or 'nb or nn'}"))
        for h in seen["headings"]:
            if h["hyphens"] != "auto":
                problems.append(("heading hyphens", f"{h['tag']} «{h['text']}» has hyphens: {h['hyphens']}"))
        problems += [("word broken without a hyphen", sample) for sample in seen["broken"]]
        return problems

    def link_problems(self, hrefs: list[str], most: int = 5) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        here = urldefrag(self.page.url).url
        for href in dict.fromkeys(urldefrag(h).url for h in hrefs):
            # The skip link («#innhold») is the page itself, whose status the visit checks.
            if urlsplit(href)[:2] != urlsplit(self.site.url)[:2] or href == here:
                continue
            # A respondent's links carry the form's slot, new each time a link is opened; whether the page
            # is there does not depend on it.
            key = without_slot(href)
            if key not in self.followed:
                answer = self.page.request.get(href, fail_on_status_code=False, max_redirects=5)
                self.followed[key] = answer.status
                answer.dispose()
            status = self.followed[key]
            if status == 404 or status >= 500:
                problems.append(("dead link", f"{href.removeprefix(self.site.url)} answers {status}"))
        if len(problems) > most:  # fifty links to one broken page are one problem
            problems[most:] = [
                ("dead link", f"… and {len(problems) - most} more links that answer 404 or 5xx")
            ]
        return problems


def report(findings: list[Finding]) -> str:
    """The findings grouped by kind, then by page: what the failure message and findings.txt say."""
    lines = []
    kinds = Counter(f.kind for f in findings)
    for kind, count in kinds.most_common():
        lines.append(f"\n== {kind}: {count}")
        for f in sorted((f for f in findings if f.kind == kind), key=lambda f: (f.page, f.who, f.width)):
            lines.append(f"  {f.who} {f.width} px  {f.page}  {f.url}\n      {f.sample[:400]}")
    return "\n".join(lines)


# --- the browser, one context per role -----------------------------------------------------------------


def log_in(page: Page, url: str, email: str, password: str) -> None:
    page.goto(url + "/ansatt/logg-inn")
    page.get_by_label("E-postadresse").fill(email)
    page.get_by_label("Passord").fill(password)
    page.get_by_role("button", name="Logg inn").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Runder")


LOGINS = {
    "admin": (demo.DEMO_ADMIN_EMAIL, demo.DEMO_ADMIN_PASSWORD),
    "radgiver": (LONG_PEOPLE[Role.radgiver][0], PASSWORD),
    "leser": (LONG_PEOPLE[Role.leser][0], PASSWORD),
}


@pytest.fixture(scope="module")
def artifacts(engine: sa.Engine) -> Path:
    """This run's directory, emptied: one per database, as CI runs the suite on SQLite and PostgreSQL."""
    path = ARTIFACTS / engine.dialect.name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@pytest.fixture(scope="module")
def walkers(browser: Browser, site: Site, artifacts: Path) -> Iterator[Callable[[str], Walker]]:
    """Each role's walker, made on first use: one browser context (one login) per role, for both widths."""
    opened: dict[str, Walker] = {}
    followed: dict[str, dict[str, int]] = {}

    def walker(who: str) -> Walker:
        if who not in opened:
            context = browser.new_context(locale="nb-NO")
            # axe through an init script, so the page keeps its real Content-Security-Policy (see
            # tests/browser/test_accessibility.py).
            context.add_init_script(path=AXE)
            page = context.new_page()
            shared = followed.setdefault("staff" if who in LOGINS else who, {})
            opened[who] = w = Walker(site, who, page, artifacts, shared)
            page.on("pageerror", lambda exc: w.errors.append(str(exc)))
            page.on("response", w.note_response)
            if who in LOGINS:
                log_in(page, site.url, *LOGINS[who])
        return opened[who]

    yield walker
    for w in opened.values():
        w.page.context.close()


# --- the tests ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("who", AUDIENCES)
def test_walk(who: str, width: int, walkers: Callable[[str], Walker]) -> None:
    walker = walkers(who)
    walker.seconds.clear()
    findings = walker.walk(width)
    text = report(findings)
    with (walker.artifacts / "findings.txt").open("a", encoding="utf-8") as out:
        out.write(f"\n### {who}, {width} px: {len(findings)} problems{text}\n")
    steps = ", ".join(f"{step} {s:.1f} s" for step, s in walker.seconds.most_common())
    print(f"walk as {who} at {width} px: {steps}; screenshots and findings.txt in {walker.artifacts}")
    where = f"screenshots and all problems in {walker.artifacts}"
    assert not findings, f"{len(findings)} problems as {who} at {width} px ({where}):{text}"


# A page that breaks every check once, beside what each check must let pass: the test of the tests.
BROKEN = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Selvtest</title>
<style>h2 { hyphens: manual } .cut { width: 60px; overflow: hidden; white-space: nowrap; text-overflow: ellipsis }</style>
</head><body><main>
<h1 style="hyphens: auto">Selvtest</h1>
<h2>Introduksjonsprogramdeltakeroppfølgingen</h2>
<img src="/static/finnes-ikke.png">
<p>6 av &lt;built-in method items of dict object at 0x7f3a&gt; spørsmål besvart; regel None.</p>
<p>Endret av staff_user 1 (lineage). Kontakt admin@innspill.demo eller https://example.test/staff.
Kilde: demo_historikk_syntetisk.csv.</p>
<p>Snitt 3.4 og -2.5 i 2026. Frist 07.12.2026 kl. 12.18, svar innen 07.12. Følger WCAG 2.1. Snitt 3,4.
Skjemaversjon 2026.2.</p>
<label>Vekt <input type="number" value="1.5"></label>
<div style="width: 2000px">Bred boks</div>
<div style="overflow-x: auto"><table style="width: 3000px"><tr><td>Bred tabell i en rulleboks</td></tr></table></div>
<p class="cut">Begrunnelse for fjorårets vedtak</p>
<div style="width: 80px; overflow: hidden; white-space: nowrap">Klippet bort uten ellipse</div>
<p style="width: 90px; overflow-wrap: anywhere">Kommuneundersøkelsen</p>
<p style="width: 90px; overflow-wrap: anywhere; hyphens: auto" lang="nb">Integreringsarbeidet</p>
<a href="/finnes-ikke">Død lenke</a> <a href="/personvern">Levende lenke</a>
<script>throw new Error("selvtest")</script>
</main></body></html>"""


def test_each_check_catches_its_problem(walkers: Callable[[str], Walker], site: Site) -> None:
    walker = walkers("anonymous")
    url = site.url + "/walk-selftest"
    walker.page.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=BROKEN))
    try:
        walker.page.set_viewport_size({"width": 390, "height": 800})
        problems = walker.check(Visit("self-test", _goto(url), lang="nb"))
    finally:
        walker.page.unroute(url)
    found: dict[str, str] = {}
    for kind, sample in problems:
        found[kind] = found.get(kind, "") + sample + "\n"
    assert set(found) == {
        "axe",
        "wider than the screen",
        "text cut off",
        "python text",
        "word",
        "decimal point",
        "dead link",
        "heading hyphens",
        "word broken without a hyphen",
        "lang",
        "javascript",
    }, problems
    assert "image-alt" in found["axe"]
    assert "div" in found["wider than the screen"] and "table" not in found["wider than the screen"]
    assert "Begrunnelse" in found["text cut off"] and "Klippet" in found["text cut off"]
    for leak in ("<built-in", "object at 0x", "None"):
        assert leak in found["python text"]
    assert "«staff_user»" in found["word"] and "«lineage»" in found["word"]
    assert "admin" not in found["word"].replace("admin@innspill.demo", "")  # an address is a name
    assert "«demo_historikk_syntetisk»" not in found["word"]  # so is a file's
    assert "«3.4»" in found["decimal point"] and "«-2.5»" in found["decimal point"]
    assert "«1.5»" in found["decimal point"]  # in a number field
    for fine in ("07.12", "12.18", "2.1»", "2026"):  # dates, a time, «WCAG 2.1», «Skjemaversjon 2026.2»
        assert f"«{fine}" not in found["decimal point"], found["decimal point"]
    assert "/finnes-ikke answers 404" in found["dead link"] and "finnes-ikke.png" in found["dead link"]
    assert "/personvern" not in found["dead link"]
    assert "h2" in found["heading hyphens"] and "h1" not in found["heading hyphens"]
    assert "Kommuneundersøkelsen" in found["word broken without a hyphen"]
    assert "Integreringsarbeidet" not in found["word broken without a hyphen"]  # it asked for hyphens
    assert "selvtest" in found["javascript"]


def test_the_walk_knows_every_page(app: FastAPI) -> None:
    """Every GET route is walked, or is named above as no page (a download, JSON, a fragment)."""
    unknown = set(staff_pages(app)) - set(GRID_ROUTES)
    assert not unknown, (
        f"{sorted(unknown)}: only an administrator walks these. Add them to GRID_ROUTES in "
        "tests/test_permissions.py, so the walk opens them as everyone who may; or, if they are no page a "
        "person reads, to NOT_PAGES here"
    )
    assert set(PUBLIC_PAGES) <= PUBLIC
