"""Staff sign in with the county's account in Chromium: Innspill's button, the identity provider's own login
and consent pages (npm's oidc-provider, tests/oidc/), and back, signed in; on a phone's width, with axe
finding nothing on Innspill's pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlmodel import Session

from survey_app.config import Settings
from survey_app.main import create_app
from survey_app.models import Role
from tests.browser.test_accessibility import AXE, AXE_OPTIONS, AXE_RUN, describe
from tests.factories import make_staff
from tests.oidc.running import Provider, running_provider, serve_on

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    with running_provider(tmp_path_factory.mktemp("oidc")) as running:
        yield running


@pytest.fixture
def site(provider: Provider, settings: Settings, engine: sa.Engine) -> Iterator[str]:
    app = create_app(provider.settings(settings), engine=engine)
    with serve_on(app, provider.app_port) as url:
        yield url


def assert_accessible_on_a_phone(page: Page) -> None:
    violations = page.evaluate(AXE_RUN, AXE_OPTIONS)
    assert not violations, f"{page.url} breaks WCAG 2.1 A/AA:\n{describe(violations)}"
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide in a {PHONE['width']} px window"


def sign_in_at_the_provider(page: Page, provider: Provider, login: str) -> None:
    """The provider's own pages: its login form (any name and password), then its consent."""
    expect(page).to_have_url(re.compile(re.escape(provider.issuer) + "/interaction/"))
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("passordet hos fylket")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()  # consent to Innspill reading e-mail and name


def test_staff_sign_in_with_the_county_account(
    page: Page, site: str, provider: Provider, session: Session
) -> None:
    make_staff(session, Role.radgiver, email="kari.nordmann@fylke.test")
    page.context.add_init_script(path=AXE)
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    page.goto(site + "/ansatt/logg-inn")
    assert_accessible_on_a_phone(page)

    page.get_by_role("link", name="Logg inn med fylkets konto").click()
    sign_in_at_the_provider(page, provider, "kari")
    expect(page).to_have_url(site + "/ansatt")
    expect(page.get_by_role("heading", level=1)).to_have_text("Runder")
    expect(page.get_by_role("navigation", name="Ansattmeny")).to_contain_text("kari.nordmann@fylke.test")

    # Logging out ends Innspill's session, and offers the county account's logout as well.
    page.get_by_role("button", name="Logg ut").click()
    expect(page.get_by_role("status")).to_contain_text("Du er logget ut av Innspill")
    assert_accessible_on_a_phone(page)
    page.get_by_role("link", name="Logg ut av fylkets konto også").click()
    expect(page).to_have_url(re.compile(re.escape(provider.issuer) + "/session/end"))
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(page).to_have_url(re.compile(re.escape(site) + r"/ansatt/logg-inn\?state="))
    expect(page.get_by_role("link", name="Logg inn med fylkets konto")).to_be_visible()
    page.goto(site + "/ansatt")
    expect(page.get_by_role("heading", level=1)).to_have_text("Logg inn")


def test_someone_innspill_does_not_know_is_told_so(page: Page, site: str, provider: Provider) -> None:
    page.context.add_init_script(path=AXE)
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    page.goto(site + "/ansatt/logg-inn")
    page.get_by_role("link", name="Logg inn med fylkets konto").click()
    sign_in_at_the_provider(page, provider, "ukjent")
    expect(page.get_by_role("alert")).to_contain_text(
        "Du er ikke registrert som bruker i Innspill. Be en administrator i fylkeskommunen om tilgang."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Logg inn")
    assert_accessible_on_a_phone(page)
