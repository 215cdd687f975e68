"""Universal design: axe-core's WCAG 2.1 A and AA rules find nothing on any kind of page.

Every page type a respondent, a staff member or a lost visitor can reach is opened in Chromium on the
demo county (both survey rounds, last year's round, the analysis and its codings), including the states
that only htmx draws: an autosave's validation message, a conflict with a colleague, a filtered table.
A failure names the page and each violation with its rule, its help text and the elements it found.

The demo is built once for the module and served by one server; the pages of a group share one browser
context (one login), so the whole module adds seconds, not minutes, to a run.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect
from sqlmodel import Session, SQLModel, col, select

from survey_app.config import Settings
from survey_app.main import create_app
from survey_app.models import Invitation, Municipality, Response, ResponseStatus, Role, Round, Scenario
from survey_app.routes import results as results_routes
from survey_app.services import demo, invitations, recommendation, responses
from tests.browser.conftest import serving
from tests.conftest import TEST_SECRET
from tests.factories import PASSWORD, make_staff

# What a page shows does not depend on the database engine: run in CI's first (SQLite) pass only.
pytestmark = pytest.mark.first_pass_only

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
AXE_RUN = """options => axe.run(document, options).then(r => r.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
})))"""


@dataclass
class Site:
    """The served demo and what the cases need from it."""

    url: str
    engine: sa.Engine
    survey: int  # this year's survey round
    consultation: int
    links: dict[str, str]  # draft / submitted / not_started / consultation / expired -> invitation path
    draft_response: int  # the response behind links["draft"]
    submitted_response: int
    municipality: int  # the submitted response's municipality
    scenarios: list[int]  # two settlement recommendation scenarios


# --- the demo, served once for this module ----------------------------------------------------------


@pytest.fixture(autouse=True)
def _empty_tables() -> None:
    """The module's demo lives across its tests: the shared per-test emptying is replaced by the
    emptying at the end of ``site`` below."""


def _first(session: Session, round_id: int, status: ResponseStatus) -> Response:
    found = session.exec(
        select(Response)
        .where(Response.round_id == round_id, Response.status == status)
        .order_by(col(Response.municipality_id))
    ).first()
    assert found is not None and found.id is not None, (
        f"the demo has no {status} response in round {round_id}"
    )
    return found


def _link(session: Session, round_id: int, response: Response) -> str:
    invitation = session.exec(
        select(Invitation).where(
            Invitation.round_id == round_id, Invitation.municipality_id == response.municipality_id
        )
    ).one()
    return invitations.link(invitation, secret_key=TEST_SECRET, base_url="")


def _scenario(session: Session, round_id: int, name: str) -> int:
    """A recommendation for a handful of the demo's municipalities, indexed by the round's analysis."""
    rows = ["kommunenummer,kommune,region,forrige_anmodning,vedtak,innbyggere"]
    for i, m in enumerate(session.exec(select(Municipality).order_by(Municipality.kommunenummer).limit(8))):
        rows.append(f"{m.kommunenummer},{m.name},,{10 + i * 5},,{5000 + i * 3000}")
    scenario: Scenario = recommendation.create_scenario(
        session,
        name=name,
        total=300 if name == "Utkast 2027" else 260,
        figures=recommendation.read_figures("\n".join(rows) + "\n"),
        figures_source="tall.csv",
        round_id=round_id,
        actor="test",
    )
    assert scenario.id is not None
    return scenario.id


@pytest.fixture(scope="module")
def site(engine: sa.Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    settings = Settings(
        environment="test",
        data_dir=tmp_path_factory.mktemp("a11y"),
        secret_key=TEST_SECRET,
        database_url=database_url,
        base_url="http://testserver",
    )
    with Session(engine, expire_on_commit=False) as session:
        info = demo.setup_demo(session, settings=settings)
        make_staff(session, Role.leser)
        survey, consultation = info.round_ids
        previous = session.exec(select(Round).where(Round.title == "Kommuneundersøkelsen 2025")).one()
        assert previous.id is not None
        draft = _first(session, survey, ResponseStatus.in_progress)
        submitted = _first(session, survey, ResponseStatus.submitted)
        not_started = _first(session, survey, ResponseStatus.not_started)
        other = _first(session, consultation, ResponseStatus.not_started)
        old = _first(session, previous.id, ResponseStatus.submitted)
        links = {
            "draft": _link(session, survey, draft),
            "submitted": _link(session, survey, submitted),
            "not_started": _link(session, survey, not_started),
            "consultation": _link(session, consultation, other),
            "expired": _link(session, previous.id, old),  # last year's links ran out after its close
        }
        assert draft.id is not None and submitted.id is not None  # for the type checker; _first checked
        scenarios = [_scenario(session, survey, name) for name in ("Utkast 2027", "Utkast med færre")]
        with serving(create_app(settings, engine=engine)) as url:
            yield Site(
                url=url,
                engine=engine,
                survey=survey,
                consultation=consultation,
                links=links,
                draft_response=draft.id,
                submitted_response=submitted.id,
                municipality=submitted.municipality_id,
                scenarios=scenarios,
            )
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())


# --- one browser context per group ------------------------------------------------------------------


@dataclass
class Contexts:
    browser: Browser
    site: Site
    viewport: ViewportSize
    opened: dict[str, tuple[BrowserContext, Page]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def page(self, group: str) -> Page:
        if group not in self.opened:
            context = self.browser.new_context(locale="nb-NO", viewport=self.viewport)
            # The app's Content-Security-Policy (script-src 'self') refuses add_script_tag's inline
            # script. An init script is run by the browser itself, so axe gets in while the page keeps
            # its real CSP: what axe measures is what users get (bypass_csp would also apply any inline
            # style the CSP blocks in production).
            context.add_init_script(path=AXE)
            page = context.new_page()
            page.on("pageerror", lambda exc: self.errors.append(f"{group}: {exc}"))
            if group in LOGINS:
                email, password = LOGINS[group]
                log_in(page, self.site, email, password)
            self.opened[group] = (context, page)
        return self.opened[group][1]


LOGINS = {"admin": (demo.DEMO_ADMIN_EMAIL, demo.DEMO_ADMIN_PASSWORD), "leser": ("leser@fylke.test", PASSWORD)}


def log_in(page: Page, site: Site, email: str, password: str) -> None:
    page.goto(site.url + "/ansatt/logg-inn")
    page.get_by_label("E-postadresse").fill(email)
    page.get_by_label("Passord").fill(password)
    page.get_by_role("button", name="Logg inn").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Runder")


def _contexts(browser: Browser, site: Site, viewport: ViewportSize) -> Iterator[Contexts]:
    opened = Contexts(browser, site, viewport)
    yield opened
    for context, _ in opened.opened.values():
        context.close()


@pytest.fixture(scope="module")
def contexts(browser: Browser, site: Site) -> Iterator[Contexts]:
    yield from _contexts(browser, site, {"width": 1280, "height": 720})


@pytest.fixture(scope="module")
def narrow(browser: Browser, site: Site) -> Iterator[Contexts]:
    """A phone, or 400 % zoom on a laptop: 320 CSS pixels wide."""
    yield from _contexts(browser, site, {"width": 320, "height": 640})


# --- the pages ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    group: str  # anonymous, respondent, admin, leser
    visit: Callable[[Page, Site], Any]


CASES: list[Case] = []


def case(group: str, name: str) -> Callable[[Callable[[Page, Site], Any]], Callable[[Page, Site], Any]]:
    def register(visit: Callable[[Page, Site], Any]) -> Callable[[Page, Site], Any]:
        CASES.append(Case(f"{group}: {name}", group, visit))
        return visit

    return register


def goto(page: Page, url: str, status: int = 200) -> None:
    response = page.goto(url)
    assert response is not None and response.status == status, f"{url}: {response and response.status}"


# Anyone, before logging in or opening a link.


@case("anonymous", "front page")
def _(page: Page, site: Site) -> None:
    goto(page, site.url + "/")


@case("anonymous", "staff login with an error")
def _(page: Page, site: Site) -> None:
    goto(page, site.url + "/ansatt/logg-inn")
    page.get_by_label("E-postadresse").fill("noen@fylke.test")
    page.get_by_label("Passord").fill("feil-passord-her")
    page.get_by_role("button", name="Logg inn").click()
    expect(page.locator("#feiloppsummering")).to_be_visible()


@case("anonymous", "accessibility statement")
def _(page: Page, site: Site) -> None:
    goto(page, site.url + "/tilgjengelighet")


@case("anonymous", "privacy")
def _(page: Page, site: Site) -> None:
    goto(page, site.url + "/personvern")


@case("anonymous", "404 page")
def _(page: Page, site: Site) -> None:
    goto(page, site.url + "/finnes-ikke", 404)


@case("anonymous", "invalid invitation link")
def _(page: Page, site: Site) -> None:
    goto(page, site.url + "/i/ugyldig-lenke", 404)


@case("anonymous", "expired invitation link")
def _(page: Page, site: Site) -> None:
    goto(page, site.url + site.links["expired"], 410)


@case("anonymous", "respondent page without a session (401)")
def _(page: Page, site: Site) -> None:
    goto(page, site.url + "/svar", 401)


# The municipality's respondent.


def open_link(page: Page, site: Site, link: str) -> None:
    """Open an invitation link as a browser holding no other: a link for a second municipality would
    first ask (respondent/confirm_open.html), and pages without their slot would ask which form."""
    page.context.clear_cookies()
    goto(page, site.url + site.links[link])


def section(page: Page, site: Site, link: str, section_id: str) -> None:
    open_link(page, site, link)
    goto(page, f"{site.url}/svar/del/{section_id}")


@case("respondent", "invitation landing")
def _(page: Page, site: Site) -> None:
    open_link(page, site, "not_started")
    expect(page.get_by_role("link", name=re.compile("Begynn|Byrj"))).to_be_visible()


# om_svaret (multi, text) and sivilsamfunn_intro (integer, longtext, matrix) are opened by the
# validation and conflict cases below.
SECTIONS = [
    "frivillighetspolitikk",  # single, conditional integer and text, jadelvisnei, likert
    "moteplasser",
    "sosial_kontroll",
    "kapasitet",
    "avslutning",
]


def draft_section(section_id: str) -> Callable[[Page, Site], None]:
    return lambda page, site: section(page, site, "draft", section_id)


for _section_id in SECTIONS:
    case("respondent", f"section {_section_id}")(draft_section(_section_id))


@case("respondent", "a second municipality's link asks first")
def _(page: Page, site: Site) -> None:
    open_link(page, site, "draft")
    goto(page, site.url + site.links["consultation"])  # another municipality's
    expect(page.get_by_role("button", name=re.compile("Åpne skjemaet|Opne skjemaet"))).to_be_visible()


@case("respondent", "several forms open: which one")
def _(page: Page, site: Site) -> None:
    open_link(page, site, "draft")
    goto(page, site.url + site.links["consultation"])
    page.get_by_role("button", name=re.compile("Åpne skjemaet|Opne skjemaet")).click()
    expect(page.locator("form.section-form, a:has-text('Begynn'), a:has-text('Byrj')").first).to_be_visible()
    goto(page, site.url + "/svar")
    expect(page.get_by_role("heading", name=re.compile("Hvilket skjema|Kva skjema"))).to_be_visible()


@case("respondent", "consultation topic")
def _(page: Page, site: Site) -> None:
    open_link(page, site, "consultation")
    page.get_by_role("link", name=re.compile("Begynn|Byrj")).click()
    expect(page.locator("form.section-form")).to_be_visible()


@case("respondent", "autosave with a validation message")
def _(page: Page, site: Site) -> None:
    section(page, site, "draft", "sivilsamfunn_intro")
    page.locator("#f-andel_deltakere_frivillig").fill("mange")
    expect(page.locator("#status-andel_deltakere_frivillig [data-invalid]")).to_be_visible()


@case("respondent", "section saved with errors (error summary)")
def _(page: Page, site: Site) -> None:
    section(page, site, "draft", "sivilsamfunn_intro")
    page.locator("#f-andel_deltakere_frivillig").fill("mange")
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(page.locator("#feiloppsummering")).to_be_focused()


@case("respondent", "autosave conflict with a colleague")
def _(page: Page, site: Site) -> None:
    section(page, site, "draft", "om_svaret")
    with Session(site.engine, expire_on_commit=False) as session:
        draft = responses.load_draft(session, response_id=site.draft_response)
        key = "koordinator_funksjon"
        responses.save(
            session,
            draft=draft,
            changes={key: (f"Kollegaens tekst {time.monotonic()}", draft.version(key))},
            editor="Kollega",
        )
    page.locator("#f-koordinator_funksjon").fill("Min egen tekst")
    expect(page.locator("#status-koordinator_funksjon .conflict")).to_be_visible()


@case("respondent", "review with what is missing")
def _(page: Page, site: Site) -> None:
    open_link(page, site, "draft")
    goto(page, site.url + "/svar/oppsummering")
    expect(page.locator(".review-overview")).to_be_visible()


@case("respondent", "sign-off without name and role")
def _(page: Page, site: Site) -> None:
    open_link(page, site, "draft")
    goto(page, site.url + "/svar/oppsummering")
    page.get_by_role("button", name="Send inn svaret").click()
    expect(page.locator("#signer_name-error")).to_be_visible()


@case("respondent", "start page after submission")
def _(page: Page, site: Site) -> None:
    open_link(page, site, "submitted")


@case("respondent", "receipt")
def _(page: Page, site: Site) -> None:
    open_link(page, site, "submitted")
    goto(page, site.url + "/svar/kvittering")


@case("respondent", "read-only section after submission")
def _(page: Page, site: Site) -> None:
    section(page, site, "submitted", "sivilsamfunn_intro")
    expect(page.locator("dl.answers")).to_be_visible()


@case("respondent", "read-only review after submission")
def _(page: Page, site: Site) -> None:
    open_link(page, site, "submitted")
    goto(page, site.url + "/svar/oppsummering")


# Staff: an administrator sees every page.


def round_page(site: Site, path: str = "") -> str:
    return f"{site.url}/ansatt/runder/{site.survey}{path}"


@case("admin", "rounds")
def _(page: Page, site: Site) -> None:
    goto(page, site.url + "/ansatt")


@case("admin", "new round with errors")
def _(page: Page, site: Site) -> None:
    goto(page, site.url + "/ansatt/runder/ny")
    page.get_by_label("Navn på runden").fill("")
    page.get_by_role("button", name="Opprett runden og lag invitasjoner").click()
    expect(page.locator("#feiloppsummering")).to_be_visible()


@case("admin", "follow-up dashboard filtered (htmx)")
def _(page: Page, site: Site) -> None:
    goto(page, round_page(site))
    page.locator("#filter-status").select_option("in_progress")
    expect(page).to_have_url(re.compile(r"status=in_progress"))
    expect(page.locator("#oppfolging tbody .status-in_progress").first).to_be_visible()


@case("admin", "follow-up dashboard without e-mail")
def _(page: Page, site: Site) -> None:
    goto(page, round_page(site))
    remind = page.get_by_role("button", name="Send påminnelse til alle som ikke har sendt inn")
    expect(remind).to_be_disabled()
    expect(page.locator("#uten-epost")).to_contain_text("E-post er ikke satt opp")


@case("admin", "invitations")
def _(page: Page, site: Site) -> None:
    goto(page, round_page(site, "/invitasjoner"))


@case("admin", "results filtered (htmx)")
def _(page: Page, site: Site) -> None:
    goto(page, round_page(site, "/resultater"))
    page.get_by_label("Ta med svar som ikke er sendt inn").check()
    expect(page).to_have_url(re.compile(r"pabegynte=true"))
    expect(page.locator("#resultater [role=status]")).not_to_contain_text("som har sendt inn")


@case("admin", "free-text search with hits (htmx)")
def _(page: Page, site: Site) -> None:
    goto(page, round_page(site, "/fritekst"))
    page.get_by_label("Søk i svarene").fill("samarbeid")
    expect(page.locator("#treff [role=status]")).to_contain_text("med «samarbeid»")


@case("admin", "municipality profile")
def _(page: Page, site: Site) -> None:
    goto(page, round_page(site, f"/kommuner/{site.municipality}"))


@case("admin", "comparison with last year, its second page")
def _(page: Page, site: Site) -> None:
    # Pages of 20 (the server runs in this process), so the demo's municipalities need the page links.
    size, results_routes.COMPARE_PAGE_SIZE = results_routes.COMPARE_PAGE_SIZE, 20
    try:
        goto(page, round_page(site, "/sammenlign"))
        page.get_by_role("link", name="Neste").click()
        expect(page.locator("nav.ds-pagination [aria-current=true]")).to_have_text("2")
        page.locator("details.muni-diff summary").first.click()  # an open details is checked too
    finally:
        results_routes.COMPARE_PAGE_SIZE = size


@case("admin", "analysis")
def _(page: Page, site: Site) -> None:
    goto(page, round_page(site, "/analyse"))


@case("admin", "analysis of a municipality")
def _(page: Page, site: Site) -> None:
    goto(page, round_page(site, "/analyse"))
    page.locator("table.analysis-units tbody a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("kommune")


@case("admin", "coding after a confirmation (htmx)")
def _(page: Page, site: Site) -> None:
    goto(page, round_page(site, "/koding"))
    form = page.locator("form.coding").first
    button = form.get_by_role("button", name=re.compile("Bekreft"))
    button.focus()
    page.keyboard.press("Enter")
    expect(form.locator(".saved-note")).to_be_visible()
    # The swapped-in form has a button with the same id, so the keyboard user keeps their place.
    expect(button).to_be_focused()


@case("admin", "export")
def _(page: Page, site: Site) -> None:
    goto(page, round_page(site, "/eksport"))


@case("admin", "a response")
def _(page: Page, site: Site) -> None:
    goto(page, f"{site.url}/ansatt/svar/{site.submitted_response}")


@case("admin", "a response for print")
def _(page: Page, site: Site) -> None:
    goto(page, f"{site.url}/ansatt/svar/{site.submitted_response}/utskrift")


@case("admin", "my account with its sessions")
def _(page: Page, site: Site) -> None:
    goto(page, site.url + "/ansatt/konto")
    expect(page.get_by_text("(denne økten)")).to_be_visible()


@case("admin", "my account: password change with errors")
def _(page: Page, site: Site) -> None:
    goto(page, site.url + "/ansatt/konto")
    page.get_by_label("Nytt passord", exact=True).fill("passord12345")
    page.get_by_role("button", name="Bytt passord").click()
    expect(page.locator("#feiloppsummering")).to_be_visible()


@case("admin", "users with an error")
def _(page: Page, site: Site) -> None:
    goto(page, site.url + "/ansatt/brukere")
    page.get_by_label("E-post").fill("ny@fylke.test")
    page.get_by_label("Passord (minst 12 tegn)").fill("kort")
    page.get_by_role("button", name="Opprett bruker").click()
    expect(page.locator("#feiloppsummering")).to_be_visible()


@case("admin", "audit log filtered (htmx)")
def _(page: Page, site: Site) -> None:
    goto(page, site.url + "/ansatt/logg")
    page.get_by_label("Fra dato").fill("2020-01-01")
    expect(page).to_have_url(re.compile(r"fra=2020-01-01"))


@case("admin", "API tokens with a new token")
def _(page: Page, site: Site) -> None:
    goto(page, site.url + "/ansatt/api-nokler")
    page.get_by_label("Hva skal nøkkelen brukes til?").fill("Power BI")
    page.get_by_role("button", name="Lag ny nøkkel").click()
    expect(page.locator("code.token")).to_be_visible()


@case("admin", "API description")
def _(page: Page, site: Site) -> None:
    goto(page, site.url + "/api")


@case("admin", "recommendation scenarios")
def _(page: Page, site: Site) -> None:
    goto(page, site.url + "/ansatt/anbefaling")


@case("admin", "recommendation scenario after a what-if (htmx)")
def _(page: Page, site: Site) -> None:
    goto(page, f"{site.url}/ansatt/anbefaling/{site.scenarios[0]}")
    page.get_by_label("Antall å fordele").fill("280")
    expect(page.get_by_role("status").filter(has_text="Tallene er oppdatert")).to_contain_text("280 fordelt")


@case("admin", "recommendation scenarios compared")
def _(page: Page, site: Site) -> None:
    goto(page, f"{site.url}/ansatt/anbefaling/sammenlign?id={site.scenarios[0]}&id={site.scenarios[1]}")


@case("admin", "recommendation report")
def _(page: Page, site: Site) -> None:
    goto(page, f"{site.url}/ansatt/anbefaling/{site.scenarios[0]}/rapport")


@case("admin", "recommendation in a decline year, without the floor rule (htmx)")
def _(page: Page, site: Site) -> None:
    goto(page, f"{site.url}/ansatt/anbefaling/{site.scenarios[0]}")
    page.get_by_label("Antall å fordele").fill("100")
    expect(page.locator("#resultat")).to_contain_text("Uten regelen om at ingen går ned fra i fjor")


@case("admin", "knowledge base")
def _(page: Page, site: Site) -> None:
    goto(page, site.url + "/ansatt/kunnskapsgrunnlag")


@case("admin", "a municipality's settlement history")
def _(page: Page, site: Site) -> None:
    goto(page, site.url + "/ansatt/kunnskapsgrunnlag/kommuner/3042")


@case("leser", "a municipality's settlement history")
def _(page: Page, site: Site) -> None:
    goto(page, site.url + "/ansatt/kunnskapsgrunnlag/kommuner/3024")


@case("leser", "403 page")
def _(page: Page, site: Site) -> None:
    goto(page, site.url + "/ansatt/brukere", 403)


@case("leser", "results with masked free text")
def _(page: Page, site: Site) -> None:
    goto(page, round_page(site, "/fritekst"))


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:5]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    {node['target']}: {summary[:300]}")
        if len(v["nodes"]) > 5:
            lines.append(f"    … and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


def assert_accessible(page: Page, case: Case, contexts: Contexts) -> None:
    violations = page.evaluate(AXE_RUN, AXE_OPTIONS)
    assert not violations, f"{case.name} ({page.url}) breaks WCAG 2.1 A/AA:\n{describe(violations)}"
    errors, contexts.errors[:] = list(contexts.errors), []
    assert not errors, f"JavaScript errors: {errors}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_no_wcag_violations(case: Case, site: Site, contexts: Contexts) -> None:
    page = contexts.page(case.group)
    case.visit(page, site)
    assert_accessible(page, case, contexts)


# Reflow (WCAG 1.4.10) is not among axe's rules. A sample of the pages most likely to break it: long
# compound words in alerts and error summaries, two-column receipts, the matrix, wide staff tables with
# screen-reader-only text in their buttons. Tables scroll in their own box; the page itself must not.
NARROW = {
    "anonymous: privacy",
    "respondent: invitation landing",
    "respondent: section sosial_kontroll",
    "respondent: review with what is missing",
    "respondent: receipt",
    "admin: users with an error",
    "admin: my account with its sessions",
    "admin: results filtered (htmx)",
    "admin: analysis",
    "admin: recommendation scenarios",
    "admin: recommendation scenario after a what-if (htmx)",
    "admin: recommendation scenarios compared",
    "admin: recommendation report",
    "admin: recommendation in a decline year, without the floor rule (htmx)",
    "admin: a municipality's settlement history",
}


@pytest.mark.parametrize("case", [c for c in CASES if c.name in NARROW], ids=lambda c: c.name)
def test_reflows_at_320_px_without_wcag_violations(case: Case, site: Site, narrow: Contexts) -> None:
    page = narrow.page(case.group)
    case.visit(page, site)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 320, f"{case.name} ({page.url}) is {width} px wide in a 320 px window"
    assert_accessible(page, case, narrow)
