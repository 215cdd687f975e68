"""Staff sign-in through the county's identity provider, against a real one: npm's oidc-provider
(tests/oidc/provider.mjs), started once for the module, with the app served on a real port.

Each sign-in goes the whole way over HTTP: the login page's button, the provider's authorization endpoint,
its login and consent pages, the callback, the token endpoint, the ID token checks, the userinfo endpoint.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx2 as httpx  # the maintained fork starlette 1.x tests with (pyproject: httpx2)
import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from pydantic import ValidationError
from sqlmodel import Session, col, select

from survey_app.config import Settings
from survey_app.main import create_app
from survey_app.models import AuditEvent, Role, StaffUser, WebSession
from survey_app.services import audit_log, oidc
from tests.conftest import CSRF_RE, TEST_SECRET, fresh
from tests.factories import PASSWORD, make_staff
from tests.oidc.running import ROLE_MAP, Provider, running_provider, serve_on

KARI = "kari.nordmann@fylke.test"  # provider.mjs's account «kari», in the group innspill-radgiver
UNKNOWN = "Du er ikke registrert som bruker i Innspill. Be en administrator i fylkeskommunen om tilgang."


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    with running_provider(tmp_path_factory.mktemp("oidc")) as running:
        yield running


@dataclass
class Site:
    url: str
    provider: Provider
    http: httpx.Client  # one browser: its cookies, at the app and at the provider

    def csrf(self, path: str = "/ansatt/logg-inn") -> str:
        match = CSRF_RE.search(self.http.get(self.url + path).text)
        assert match
        return match.group(1)

    def start(self, neste: str = "") -> httpx.Response:
        """Press «Logg inn med fylkets konto»."""
        page = self.http.get(self.url + "/ansatt/logg-inn", params={"neste": neste} if neste else None)
        button = BeautifulSoup(page.text, "html.parser").find("a", string="Logg inn med fylkets konto")
        assert button is not None, page.text
        return self.http.get(urljoin(self.url, button["href"]))

    def through_provider(self, response: httpx.Response, login: str, *, cancel: bool = False) -> str:
        """Follow the provider's pages as a person would (its login form takes any name and password;
        then consent), up to the redirect back to Innspill, whose URL is returned."""
        for _ in range(20):
            if response.is_redirect:
                target = urljoin(str(response.url), response.headers["location"])
                if target.startswith(self.url):
                    return target
                response = self.http.get(target)
                continue
            assert response.status_code == 200, response.text[:2000]
            soup = BeautifulSoup(response.text, "html.parser")
            if cancel:
                abort = soup.find("a", string=re.compile("Cancel"))
                assert abort is not None, response.text[:2000]
                response = self.http.get(urljoin(str(response.url), abort["href"]))
                continue
            form = soup.find("form")
            assert form is not None, response.text[:2000]
            data = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("name")}
            if "login" in data:
                data |= {"login": login, "password": "passordet hos fylket"}
            response = self.http.post(urljoin(str(response.url), form["action"]), data=data)
        raise AssertionError("the provider never sent the browser back")

    def another_browser(self) -> Site:
        """The same app, from a browser of its own (closed with the first one's server)."""
        return Site(
            url=self.url, provider=self.provider, http=httpx.Client(follow_redirects=False, timeout=60)
        )

    def sign_in(self, login: str, neste: str = "") -> httpx.Response:
        """The whole way: the button, the provider, the callback; the app's answer to the callback."""
        callback = self.through_provider(self.start(neste), login)
        return self.http.get(callback)


Serve = Callable[..., Site]


@pytest.fixture
def serve(provider: Provider, settings: Settings, engine: sa.Engine) -> Iterator[Serve]:
    """``serve(**settings)``: the app with these OIDC settings, served where the provider sends people."""
    opened: list[tuple[Any, httpx.Client]] = []

    def start(**changes: object) -> Site:
        app = create_app(provider.settings(settings, **changes), engine=engine)
        server = serve_on(app, provider.app_port)
        url = server.__enter__()
        http = httpx.Client(follow_redirects=False, timeout=60)
        opened.append((server, http))
        return Site(url=url, provider=provider, http=http)

    yield start
    for server, http in reversed(opened):
        http.close()
        server.__exit__(None, None, None)


def events(session: Session, action: str) -> list[AuditEvent]:
    fresh(session)
    return list(
        session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))).all()
    )


def told(session: Session, event: AuditEvent) -> str:
    shown = audit_log.describe(session, [event])[0]
    return " ".join([shown.sentence, *shown.details])


def test_a_known_user_signs_in_with_pkce_state_and_nonce(serve: Serve, session: Session) -> None:
    kari = make_staff(session, Role.leser, email=KARI)
    site = serve()
    started = site.start(neste="/ansatt/hendelser")
    assert started.status_code == 302
    authorize = urlsplit(started.headers["location"])
    query = parse_qs(authorize.query)
    assert started.headers["location"].startswith(site.provider.issuer + "/auth?")
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["state"][0] and query["nonce"][0]
    assert query["scope"] == ["openid email profile groups"]
    assert query["redirect_uri"] == [site.url + "/ansatt/logg-inn/fylket/tilbake"]

    callback = site.through_provider(started, "kari")
    assert parse_qs(urlsplit(callback).query)["state"] == query["state"]
    r = site.http.get(callback)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/ansatt/hendelser"  # back to the page asked for
    rounds = site.http.get(site.url + "/ansatt")
    assert rounds.status_code == 200
    assert site.http.get(site.url + "/ansatt/konto").status_code == 200

    fresh(session)
    live = session.exec(select(WebSession).where(WebSession.staff_user_id == kari.id)).all()
    assert len(live) == 1 and live[0].ended_at is None  # a server-side session, as a password login makes
    assert session.get(StaffUser, kari.id).last_login_at is not None  # type: ignore[union-attr]
    assert session.get(StaffUser, kari.id).role == Role.leser  # type: ignore[union-attr]  # no role map
    [login] = events(session, "login.oidc")
    assert login.object_id == str(kari.id)
    assert login.details["sub"] == "kari" and login.details["issuer"] == site.provider.issuer
    assert login.details["email"] == KARI
    assert "logget inn med fylkets konto" in told(session, login)
    assert "brukerens id der: kari" in told(session, login)


def test_an_unknown_person_is_refused(serve: Serve, session: Session) -> None:
    site = serve()
    r = site.sign_in("ukjent")
    assert r.status_code == 403
    assert UNKNOWN in r.text
    assert site.http.get(site.url + "/ansatt").status_code == 303  # not signed in
    [refused] = events(session, "login.oidc_refused")
    assert refused.details["reason"] == "unknown" and refused.details["email"] == "ny.ansatt@fylke.test"
    assert refused.details["sub"] == "ukjent"
    assert "ble avvist fordi e-postadressen ikke tilhører noen bruker" in told(session, refused)
    assert session.exec(select(StaffUser)).all() == []


def test_an_unknown_person_is_created_as_leser_where_the_county_allows_it(
    serve: Serve, session: Session
) -> None:
    site = serve(oidc_create_unknown_as_leser=True)
    r = site.sign_in("ukjent")
    assert r.status_code == 303, r.text
    assert site.http.get(site.url + "/ansatt").status_code == 200
    fresh(session)
    [user] = session.exec(select(StaffUser)).all()
    assert (user.email, user.full_name, user.role, user.is_active) == (
        "ny.ansatt@fylke.test",
        "Ny Ansatt",
        Role.leser,
        True,
    )
    [created] = events(session, "user.create")
    assert created.details["source"] == "oidc" and created.details["sub"] == "ukjent"
    assert "første gang" in told(session, created)
    assert len(events(session, "login.oidc")) == 1


def test_a_deactivated_user_is_refused(serve: Serve, session: Session) -> None:
    kari = make_staff(session, Role.radgiver, email=KARI)
    kari.is_active = False
    session.add(kari)
    session.commit()
    site = serve(oidc_create_unknown_as_leser=True)  # known, if deactivated: never created again
    r = site.sign_in("kari")
    assert r.status_code == 403
    assert "Brukeren din i Innspill er deaktivert" in r.text
    assert site.http.get(site.url + "/ansatt").status_code == 303
    [refused] = events(session, "login.oidc_refused")
    assert refused.details["reason"] == "inactive" and refused.object_id == str(kari.id)
    assert len(session.exec(select(StaffUser)).all()) == 1


def test_the_role_comes_from_the_groups_claim(serve: Serve, session: Session) -> None:
    kari = make_staff(session, Role.leser, email=KARI)  # «kari» is in innspill-radgiver at the provider
    make_staff(session, Role.admin, email="admin@fylke.test")  # so kari's role may change
    site = serve(oidc_role_claim="groups", oidc_role_map=ROLE_MAP)
    assert site.sign_in("kari").status_code == 303
    fresh(session)
    assert session.get(StaffUser, kari.id).role == Role.radgiver  # type: ignore[union-attr]
    [changed] = events(session, "user.update")
    assert changed.details["role_from"] == "leser" and changed.details["role_to"] == "radgiver"
    assert changed.details["source"] == "oidc"
    assert "Rollen følger gruppene" in told(session, changed)
    # Her new role works at once: a rådgiver's page.
    assert site.http.get(site.url + "/ansatt").status_code == 200


def test_a_known_user_whose_groups_give_no_role_is_refused(serve: Serve, session: Session) -> None:
    make_staff(session, Role.radgiver, email="uten.gruppe@fylke.test")  # «uten» has only «ansatte»
    site = serve(oidc_role_claim="groups", oidc_role_map=ROLE_MAP)
    r = site.sign_in("uten")
    assert r.status_code == 403
    assert "Kontoen din i fylket gir ingen rolle i Innspill" in r.text
    [refused] = events(session, "login.oidc_refused")
    assert refused.details["reason"] == "no_role"


def test_the_strongest_mapped_group_wins_and_the_last_admin_keeps_the_role(
    serve: Serve, session: Session
) -> None:
    ola = make_staff(session, Role.admin, email="ola.admin@fylke.test")  # groups: ansatte, innspill-admin
    lise = make_staff(session, Role.admin, email="lise.leser@fylke.test")  # groups: innspill-leser
    site = serve(oidc_role_claim="groups", oidc_role_map=ROLE_MAP)
    assert site.sign_in("ola").status_code == 303
    other = site.another_browser()
    try:
        assert other.sign_in("lise").status_code == 303  # demoted to leser: ola is still an admin
    finally:
        other.http.close()
    fresh(session)
    assert session.get(StaffUser, ola.id).role == Role.admin  # type: ignore[union-attr]
    assert session.get(StaffUser, lise.id).role == Role.leser  # type: ignore[union-attr]


def test_logout_ends_the_session_and_goes_to_the_providers_logout(serve: Serve, session: Session) -> None:
    kari = make_staff(session, Role.leser, email=KARI)
    site = serve()
    assert site.sign_in("kari").status_code == 303
    r = site.http.post(site.url + "/ansatt/logg-ut", data={"csrf_token": site.csrf("/ansatt")})
    assert r.status_code == 303 and r.headers["location"] == site.url + "/ansatt/logg-inn"
    # The Innspill session has ended on the server, whatever the provider does next.
    assert site.http.get(site.url + "/ansatt").status_code == 303
    fresh(session)
    [row] = session.exec(select(WebSession).where(WebSession.staff_user_id == kari.id)).all()
    assert row.ended_at is not None and row.end_reason == "logout"
    # The login page offers the provider's logout too.
    page = BeautifulSoup(site.http.get(r.headers["location"]).text, "html.parser")
    assert "Du er logget ut av Innspill" in page.get_text()
    offer = page.find("a", string="Logg ut av fylkets konto også")
    assert offer is not None
    r = site.http.get(urljoin(site.url, offer["href"]))
    assert r.status_code == 303
    assert r.headers["location"].startswith(site.provider.issuer + "/session/end?")
    query = parse_qs(urlsplit(r.headers["location"]).query)
    assert query["post_logout_redirect_uri"] == [site.url + "/ansatt/logg-inn"]
    assert query["id_token_hint"][0].count(".") == 2  # the ID token it signed in with
    # Offered once: the login page no longer offers it.
    assert "Logg ut av fylkets konto også" not in site.http.get(site.url + "/ansatt/logg-inn").text
    # The provider asks whether to sign out there too, and then sends the browser back to Innspill.
    page = site.http.get(r.headers["location"])
    form = BeautifulSoup(page.text, "html.parser").find("form")
    assert form is not None, page.text[:1000]
    data = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("name")}
    back = site.http.post(urljoin(str(page.url), form["action"]), data=data | {"logout": "yes"})
    assert back.status_code == 303
    assert back.headers["location"].startswith(site.url + "/ansatt/logg-inn")
    assert site.http.get(back.headers["location"]).status_code == 200
    # Signed out there too: the next sign-in asks for the login again.
    r = site.start()
    while r.is_redirect:
        r = site.http.get(urljoin(str(r.url), r.headers["location"]))
    assert str(r.url).startswith(site.provider.issuer + "/interaction/") and 'name="login"' in r.text


def test_a_wrong_or_replayed_state_is_refused(serve: Serve, session: Session) -> None:
    make_staff(session, Role.leser, email=KARI)
    site = serve()
    callback = site.through_provider(site.start(), "kari")
    forged = re.sub(r"state=[^&]+", "state=noe-annet", callback)
    r = site.http.get(forged)
    assert r.status_code == 400
    assert "Innloggingen var utløpt eller allerede brukt" in r.text
    assert site.http.get(site.url + "/ansatt").status_code == 303
    # The real answer still works once (the forged one did not use it up) …
    assert site.http.get(callback).status_code == 303
    # … and only once: the same answer again is refused, and the provider would refuse the code too.
    again = site.http.get(callback)
    assert again.status_code == 400 and "allerede brukt" in again.text
    errors = events(session, "login.oidc_error")
    assert [e.details["error"] for e in errors] == ["state", "state"]
    assert "utløpt, allerede brukt eller hørte til en annen nettleser" in told(session, errors[0])
    # Another browser (without this one's cookie) cannot use the answer either.
    with httpx.Client(follow_redirects=False, timeout=60) as stranger:
        assert stranger.get(callback).status_code == 400


def test_cancelling_at_the_provider_is_a_message_not_an_error_page(serve: Serve, session: Session) -> None:
    site = serve()
    callback = site.through_provider(site.start(), "kari", cancel=True)
    assert "error=access_denied" in callback
    r = site.http.get(callback)
    assert r.status_code == 400
    assert "Innloggingen hos fylket ble avbrutt eller avvist" in r.text
    [error] = events(session, "login.oidc_error")
    assert error.details["error"] == "access_denied"


def test_a_wrong_client_secret_is_an_error_message(serve: Serve, session: Session) -> None:
    make_staff(session, Role.leser, email=KARI)
    site = serve(oidc_client_secret="ikke-den-riktige-hemmeligheten")
    r = site.sign_in("kari")
    assert r.status_code == 502
    assert "kunne ikke bekreftes" in r.text
    assert site.http.get(site.url + "/ansatt").status_code == 303
    [error] = events(session, "login.oidc_error")
    assert error.details["error"] == "invalid_response"


def test_an_id_token_for_another_sign_in_is_refused(serve: Serve, session: Session) -> None:
    """The nonce: an ID token is good only for the sign-in this browser started. Played here by changing the
    nonce this browser's (signed) cookie remembers, as only someone with the app's secret key could."""
    make_staff(session, Role.leser, email=KARI)
    site = serve()
    callback = site.through_provider(site.start(), "kari")
    signer = TimestampSigner(TEST_SECRET)
    cookie = site.http.cookies["innspill_session"]
    data = json.loads(base64.b64decode(signer.unsign(cookie.encode())))
    [key] = [k for k in data if k.startswith("_state_fylket_")]
    data[key]["data"]["nonce"] = "en-annen-innlogging"
    forged = signer.sign(base64.b64encode(json.dumps(data).encode())).decode()
    site.http.cookies.set("innspill_session", forged, domain="127.0.0.1", path="/")
    r = site.http.get(callback)
    assert r.status_code == 502
    assert "kunne ikke bekreftes" in r.text
    assert site.http.get(site.url + "/ansatt").status_code == 303
    [error] = events(session, "login.oidc_error")
    assert error.details["error"] == "invalid_response" and "nonce" in error.details["detail"]
    assert events(session, "login.oidc") == []


def test_a_discovery_document_of_another_issuer_is_refused(
    serve: Serve, provider: Provider, session: Session
) -> None:
    # The same provider under another name: its document names http://127.0.0.1:…, not localhost.
    site = serve(oidc_issuer=provider.issuer.replace("127.0.0.1", "localhost"))
    r = site.http.get(site.url + "/ansatt/logg-inn/fylket")
    assert r.status_code == 502
    assert "kunne ikke bekreftes" in r.text
    [error] = events(session, "login.oidc_error")
    assert "discovery names issuer" in error.details["detail"]


def test_a_provider_that_does_not_answer_is_a_message(serve: Serve, session: Session) -> None:
    site = serve(oidc_issuer="http://127.0.0.1:9")  # nothing listens on the discard port
    r = site.start()
    assert r.status_code == 502
    assert "Fylkets identitetsleverandør svarer ikke akkurat nå" in r.text
    [error] = events(session, "login.oidc_error")
    assert error.details["error"] == "unreachable"


def test_password_login_can_be_switched_off(
    provider: Provider, settings: Settings, engine: sa.Engine
) -> None:
    with Session(engine) as session:
        make_staff(session, Role.admin, email=KARI)
    app = create_app(
        provider.settings(settings, password_login=False, base_url="http://testserver"), engine=engine
    )
    with TestClient(app, follow_redirects=False) as client:
        page = client.get("/ansatt/logg-inn")
        soup = BeautifulSoup(page.text, "html.parser")
        assert soup.find("input", attrs={"name": "password"}) is None
        assert soup.find("a", string="Logg inn med fylkets konto") is not None
        csrf = CSRF_RE.search(page.text)
        assert csrf
        r = client.post(
            "/ansatt/logg-inn", data={"csrf_token": csrf.group(1), "email": KARI, "password": PASSWORD}
        )
        assert r.status_code == 403
        assert "Innlogging med passord er slått av i Innspill" in r.text
        assert client.get("/ansatt").status_code == 303  # the right password opened nothing


def test_without_a_provider_the_login_page_is_as_before(client: TestClient) -> None:
    page = client.get("/ansatt/logg-inn")
    assert "Logg inn med fylkets konto" not in page.text
    assert 'name="password"' in page.text
    csrf = CSRF_RE.search(page.text)
    assert csrf
    for path in (
        "/ansatt/logg-inn/fylket",
        "/ansatt/logg-inn/fylket/tilbake?code=x&state=y",
        "/ansatt/logg-ut/fylket",
    ):
        assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"environment": "production", "oidc_issuer": "http://idp.fylke.no"}, "must be an https:// URL"),
        ({"oidc_issuer": "http://idp.fylke.no"}, "must be an https:// URL"),
        ({"oidc_issuer": "https://idp.fylke.no", "oidc_client_secret": None}, "CLIENT_SECRET must be set"),
        ({"oidc_scopes": "email profile"}, "must include openid"),
        ({"oidc_role_claim": "groups"}, "go together"),
        ({"oidc_role_claim": "groups", "oidc_role_map": "innspill-admin=sjef"}, "must be one of"),
        ({"oidc_role_claim": "groups", "oidc_role_map": "innspill-admin"}, "is not value=role"),
        ({"oidc_issuer": None, "password_login": False}, "otherwise no one can sign in"),
    ],
)
def test_unsafe_or_incomplete_settings_are_refused(changes: dict[str, object], message: str) -> None:
    values: dict[str, object] = {
        "environment": "test",
        "secret_key": "x" * 40,
        "database_url": "postgresql://innspill@db/innspill",
        "oidc_issuer": "https://idp.fylke.no/realms/fylket",
        "oidc_client_id": "innspill",
        "oidc_client_secret": "hemmelig",
    }
    with pytest.raises(ValidationError, match=message):
        Settings(**(values | changes))  # type: ignore[arg-type]


def test_role_map_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SURVEY_APP_OIDC_ISSUER", "https://login.microsoftonline.com/fylket/v2.0")
    monkeypatch.setenv("SURVEY_APP_OIDC_CLIENT_ID", "innspill")
    monkeypatch.setenv("SURVEY_APP_OIDC_CLIENT_SECRET", "hemmelig")
    monkeypatch.setenv("SURVEY_APP_OIDC_ROLE_CLAIM", "roles")
    monkeypatch.setenv("SURVEY_APP_OIDC_ROLE_MAP", " Innspill.Admin=admin , Innspill.Leser=leser ")
    monkeypatch.setenv("SURVEY_APP_PASSWORD_LOGIN", "false")
    settings = Settings(_env_file=None)
    assert settings.oidc_role_map == {"Innspill.Admin": "admin", "Innspill.Leser": "leser"}
    assert settings.password_login is False and settings.oidc_enabled
    assert oidc.role_for(("Innspill.Leser", "Innspill.Admin"), settings.oidc_role_map) == Role.admin
    assert oidc.role_for(("Annet",), settings.oidc_role_map) is None


def test_the_audit_log_names_every_new_kind(session: Session) -> None:
    for action in ("login.oidc", "login.oidc_refused", "login.oidc_error"):
        assert action in audit_log.KINDS and action in audit_log.DESCRIBED
