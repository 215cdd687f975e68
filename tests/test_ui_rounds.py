"""The round pages in everyday use (issue 15): closing a round and renewing or revoking a link ask first and
say what happens (3), the follow-up table sorts, keeps dates on one line and shows a progress bar (10), and
without e-mail the reminder button is off and says why, linking only to pages the user's role may open (11).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from survey_app.config import Settings
from survey_app.forms import stamp
from survey_app.main import create_app
from survey_app.models import Invitation, ResponseStatus, Role, Round, RoundStatus
from survey_app.services import followup
from tests.conftest import csrf_of, fresh
from tests.factories import World, make_staff, make_world
from tests.fake_smtp import mail_settings
from tests.test_staff import login, table_rows


def soup_of(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def signed_in(client: TestClient, session: Session, role: Role) -> None:
    make_staff(session, role)
    assert login(client, f"{role.value}@fylke.test").status_code == 303


def start_answering(client: TestClient, world: World, kommunenummer: str) -> None:
    """The municipality answers one question: its response is then «Påbegynt» and has been saved."""
    with TestClient(client.app, follow_redirects=False) as municipality:
        municipality.get(world.link(kommunenummer))
        csrf = csrf_of(municipality, "/svar")
        r = municipality.post(
            "/svar/sporsmal/politikk",
            data={"politikk": "nei", "v:politikk": stamp(0, None)},
            headers={"HX-Request": "true", "X-CSRF-Token": csrf},
        )
        assert r.status_code == 200, r.text


def mark_submitted(session: Session, world: World, kommunenummer: str, saved: datetime) -> None:
    fresh(session)  # a read begun before the app's last write could not become a write (SQLite)
    response = world.response(session, kommunenummer)
    response.status = ResponseStatus.submitted
    response.last_saved_at = saved
    session.add(response)
    session.commit()


def confirm_form(html: str) -> tuple[str, dict[str, str]]:
    """The confirmation page's form: where it posts, and its fields (without the CSRF token)."""
    form = soup_of(html).select_one("main form[method=post]")
    assert form is not None, html
    fields = {i["name"]: i["value"] for i in form.select("input[type=hidden]") if i["name"] != "csrf_token"}
    return form["action"], fields


def consequences(html: str) -> str:
    alert = soup_of(html).select_one("main .ds-alert")
    assert alert is not None
    return alert.get_text(" ", strip=True)


# --- 3: irreversible actions ask first ------------------------------------------------------------------


def test_closing_a_round_asks_first_and_counts_who_can_no_longer_answer(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    start_answering(client, world, "3043")
    mark_submitted(session, world, "3049", datetime(2026, 11, 20, 12, tzinfo=UTC))
    signed_in(client, session, Role.admin)
    page = soup_of(client.get(f"/ansatt/runder/{world.round.id}").text)
    # Not a form posting to the action any more: a link to the confirmation.
    assert not page.select("form[action$='/status']")
    close = next(a for a in page.select("main a") if a.get_text(strip=True) == "Avslutt runden")
    r = client.get(close["href"])
    assert r.status_code == 200, r.text
    assert r.template.name == "staff/confirm.html"
    said = consequences(r.text)
    assert "2 kommuner kan ikke lenger svare. Svarene som er sendt inn, beholdes." in said
    assert "1 kommune har begynt uten å sende inn." in said
    fresh(session)
    assert session.get(Round, world.round.id).status == RoundStatus.open  # asking changed nothing

    action, fields = confirm_form(r.text)
    assert fields == {"status": "closed"}
    token = csrf_of(client, "/ansatt")
    assert client.post(action, data={"csrf_token": token, **fields}).status_code == 303
    fresh(session)
    assert session.get(Round, world.round.id).status == RoundStatus.closed

    # And back: opening again asks too, and says who may answer again, and who cannot: opening does not
    # renew a link that has expired or was revoked.
    page = soup_of(client.get(f"/ansatt/runder/{world.round.id}").text)
    reopen = next(a for a in page.select("main a") if a.get_text(strip=True) == "Åpne runden")
    r = client.get(reopen["href"])
    assert "2 kommuner som ikke har sendt inn, kan svare igjen med lenkene sine." in consequences(r.text)
    assert "lenke som er trukket tilbake" not in consequences(r.text)
    fresh(session)
    for invitation in session.exec(select(Invitation).where(Invitation.round_id == world.round.id)):
        if invitation.municipality_id == world.response(session, "3005").municipality_id:
            invitation.expires_at = datetime(2020, 1, 1, tzinfo=UTC)
            session.add(invitation)
    session.commit()
    assert (
        "1 kommune har en lenke som er trukket tilbake eller har gått ut, og kan ikke svare med den."
        in consequences(client.get(reopen["href"]).text)
    )
    assert confirm_form(r.text)[1] == {"status": "open"}
    # Asking to close a round already closed has nothing to confirm: back to the round.
    r = client.get(f"/ansatt/runder/{world.round.id}/status/bekreft?status=closed")
    assert r.status_code == 303 and r.headers["location"].endswith(f"/ansatt/runder/{world.round.id}")


@pytest.mark.parametrize("role", [Role.leser, Role.radgiver])
def test_only_an_administrator_is_asked_to_close_a_round(
    role: Role, client: TestClient, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    signed_in(client, session, role)
    page = client.get(f"/ansatt/runder/{world.round.id}").text
    assert "Avslutt runden" not in page
    assert client.get(f"/ansatt/runder/{world.round.id}/status/bekreft?status=closed").status_code == 403


def test_a_new_link_and_revoking_one_ask_first_and_name_the_municipality(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    signed_in(client, session, Role.admin)
    invitation_id = int(world.link("3043")[3:].split("-")[0])
    page = soup_of(client.get(f"/ansatt/runder/{world.round.id}/invitasjoner").text)
    assert not page.select("main form[action*='/ny-lenke'], main form[action*='/trekk-tilbake']")
    row = page.select_one(f"#inv-{invitation_id}")
    links = {a.get_text(" ", strip=True): a["href"] for a in row.select("a")}

    r = client.get(links["Ny lenke for Ål"])
    assert r.status_code == 200 and r.template.name == "staff/confirm.html"
    assert (
        "Den gamle lenken til Ål kommune slutter å virke med en gang, også for kolleger som har den åpen."
        in consequences(r.text)
    )
    with TestClient(client.app, follow_redirects=False) as municipality:
        assert municipality.get(world.link("3043")).status_code == 303  # asking changed nothing

    r = client.get(links["Trekk tilbake lenken til Ål"])
    assert r.status_code == 200
    assert "Ål kommune kan ikke lenger svare med lenken." in consequences(r.text)
    action, fields = confirm_form(r.text)
    assert action.endswith(f"/invitasjoner/{invitation_id}/trekk-tilbake") and fields == {}
    assert client.post(action, data={"csrf_token": csrf_of(client, "/ansatt")}).status_code == 303
    with TestClient(client.app, follow_redirects=False) as municipality:
        assert municipality.get(world.link("3043")).status_code == 410

    # Revoked: nothing left to revoke, and a new link is what lets Ål answer again.
    r = client.get(links["Trekk tilbake lenken til Ål"])
    assert r.status_code == 303 and r.headers["location"].endswith(f"#inv-{invitation_id}")
    assert "allerede trukket tilbake" in client.get(r.headers["location"]).text
    r = client.get(links["Ny lenke for Ål"])
    assert "Med den nye lenken kan kommunen svare igjen." in consequences(r.text)


def test_a_link_confirmation_is_for_administrators_and_this_rounds_invitations(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    invitation_id = int(world.link("3043")[3:].split("-")[0])
    path = f"/ansatt/runder/{world.round.id}/invitasjoner/{invitation_id}/ny-lenke/bekreft"
    signed_in(client, session, Role.radgiver)
    assert client.get(path).status_code == 403
    client.post("/ansatt/logg-ut", data={"csrf_token": csrf_of(client, "/ansatt")})
    signed_in(client, session, Role.admin)
    assert client.get(path.replace(f"/runder/{world.round.id}/", "/runder/999/")).status_code == 404


# --- 10: the follow-up table --------------------------------------------------------------------------


def names_in_order(html: str) -> list[str]:
    return list(table_rows(html, "#oppfolging table"))


def test_the_follow_up_table_sorts_by_each_column_without_javascript(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)  # Drammen 3005, Ål 3043, Lier 3049
    start_answering(client, world, "3043")
    mark_submitted(session, world, "3049", datetime(2020, 11, 20, 12, tzinfo=UTC))  # before Ål's save
    signed_in(client, session, Role.leser)
    url = f"/ansatt/runder/{world.round.id}"

    page = client.get(url).text
    assert names_in_order(page) == ["Drammen", "Ål", "Lier"]  # by kommunenummer
    # The default order is left out of the filter's address (?region=…&status=, as before).
    assert soup_of(page).select_one("form.filter-form input[name=sorter]") is None
    expected = {
        "kommune": ["Drammen", "Lier", "Ål"],
        "-kommune": ["Ål", "Lier", "Drammen"],
        "region": ["Drammen", "Lier", "Ål"],  # Drammensregionen, then Hallingdal
        "status": ["Drammen", "Ål", "Lier"],  # ikke startet, påbegynt, sendt inn
        "-status": ["Lier", "Ål", "Drammen"],
        # Ål has answered a question; Drammen and Lier (set to submitted here) none: a tie, by number.
        "besvart": ["Drammen", "Lier", "Ål"],
        "-besvart": ["Ål", "Drammen", "Lier"],
        "lagret": ["Lier", "Ål", "Drammen"],  # Drammen never saved: last, either way
        "-lagret": ["Ål", "Lier", "Drammen"],
    }
    for sorter, order in expected.items():
        assert names_in_order(client.get(f"{url}?sorter={sorter}").text) == order, sorter

    # The headers: buttons of a GET form (no JavaScript needed), aria-sort on the sorted column, and a second
    # press the other way.
    soup = soup_of(client.get(f"{url}?sorter=kommune&region=Drammensregionen").text)
    headers = {th.get_text(strip=True): th for th in soup.select("#oppfolging thead th")}
    assert headers["Kommune"]["aria-sort"] == "ascending" and headers["Status"]["aria-sort"] == "none"
    assert {h: headers[h]["aria-sort"] for h in ("Nr.", "Region", "Besvart", "Sist lagret")} == dict.fromkeys(
        ("Nr.", "Region", "Besvart", "Sist lagret"), "none"
    )
    button = headers["Kommune"].button
    assert button["name"] == "sorter" and button["value"] == "-kommune"
    form = soup.select_one(f"form#{button['form']}")
    assert form["method"] == "get" and form["action"].split("#")[0].endswith(url)
    # The sort keeps the filter, and the filter keeps the sort.
    assert {i["name"]: i["value"] for i in form.select("input")} == {"region": "Drammensregionen"}
    assert soup.select_one("form.filter-form input[name=sorter]")["value"] == "kommune"
    soup = soup_of(client.get(f"{url}?sorter=-kommune").text)
    assert soup.select_one("#oppfolging thead th[aria-sort=descending]").get_text(strip=True) == "Kommune"
    # Nonsense in the address is the default order, not an error.
    assert names_in_order(client.get(f"{url}?sorter=-tull").text) == ["Drammen", "Ål", "Lier"]


def test_names_sort_in_norwegian_order() -> None:
    names = ["Ål", "Øvre Eiker", "Ærø", "Aremark", "Zz", "Lérdal", "Lier"]
    assert sorted(names, key=followup.norwegian) == [
        "Aremark",
        "Lérdal",
        "Lier",
        "Zz",
        "Ærø",
        "Øvre Eiker",
        "Ål",
    ]


def test_follow_up_rows_keep_dates_on_one_line_and_show_a_progress_bar(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    start_answering(client, world, "3043")
    signed_in(client, session, Role.leser)
    html = client.get(f"/ansatt/runder/{world.round.id}").text
    rows = table_rows(html, "#oppfolging table")
    saved = rows["Ål"]["Sist lagret"]
    # «07.12.2026 kl. 12:17» with no-break spaces: it cannot break into three lines.
    assert "\u00a0kl.\u00a0" in saved and " " not in saved, saved
    assert rows["Ål"]["Besvart"].startswith("1 av ")
    total = int(rows["Ål"]["Besvart"].split(" av ")[1].split()[0])
    bars = {
        tr.find("th").get_text(strip=True): tr.select_one("progress")
        for tr in soup_of(html).select("#oppfolging tbody tr")
    }
    assert bars["Ål"]["value"] == "1" and bars["Ål"]["max"] == str(total)
    assert bars["Drammen"]["value"] == "0"


# --- 11: reminders without e-mail ----------------------------------------------------------------------


def test_without_email_a_radgiver_cannot_press_remind_and_is_not_sent_to_a_forbidden_page(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    signed_in(client, session, Role.radgiver)
    url = f"/ansatt/runder/{world.round.id}"
    soup = soup_of(client.get(url).text)
    buttons = soup.select("#oppfolging button.ds-button")
    assert buttons and all(b.has_attr("disabled") for b in buttons)
    assert not soup.select("#oppfolging input[name=municipality]")  # nothing to choose for a reminder
    why = soup.select_one("#uten-epost").get_text(" ", strip=True)
    assert "E-post er ikke satt opp for Innspill, så påminnelser kan ikke sendes herfra." in why
    assert "Be en administrator" in why and "Invitasjoner og lenker" not in why
    # Every link of the page's own (the round's menu is the same for all) opens for a rådgiver: the
    # invitations page would be 403.
    for a in soup.select("main a[href]:not(.round-nav a)"):
        href = a["href"].removeprefix("http://testserver")
        if href.startswith("/") and not href.endswith(".pdf"):
            assert client.get(href).status_code != 403, href
    # Posted anyway (an old tab): nothing is sent, and the message does not send them to the link list.
    r = client.post(f"{url}/paminnelser", data={"csrf_token": csrf_of(client, "/ansatt"), "alle": "1"})
    assert r.status_code == 303
    flash = soup_of(client.get(url).text).select_one(".flash").get_text(" ", strip=True)
    assert (
        flash.startswith("Ingen påminnelser ble sendt.")
        and "CSV" not in flash
        and "Be en administrator" in flash
    )


def test_without_email_an_administrator_is_shown_the_link_list(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    signed_in(client, session, Role.admin)
    soup = soup_of(client.get(f"/ansatt/runder/{world.round.id}").text)
    assert soup.select_one("#oppfolging button[disabled]")["aria-describedby"] == "uten-epost"
    note = soup.select_one("#uten-epost")
    assert "Last ned lenkene som CSV" in note.get_text(" ", strip=True)
    assert note.select_one("a")["href"].endswith(f"/ansatt/runder/{world.round.id}/invitasjoner")


@pytest.fixture
def mail_client(settings: Settings, engine: sa.Engine) -> Iterator[TestClient]:
    # Nothing is sent in the test below: the port is never dialled.
    app = create_app(mail_settings(settings, 9), engine=engine)
    with TestClient(app, follow_redirects=False) as client:
        yield client


def test_with_email_the_reminder_buttons_work(
    mail_client: TestClient, session: Session, settings: Settings
) -> None:
    world = make_world(session, settings)
    signed_in(mail_client, session, Role.radgiver)
    soup = soup_of(mail_client.get(f"/ansatt/runder/{world.round.id}").text)
    buttons = soup.select("#oppfolging button.ds-button")
    assert len(buttons) == 2 and not any(b.has_attr("disabled") for b in buttons)
    assert len(soup.select("#oppfolging input[name=municipality]")) == 3
    assert soup.select_one("#uten-epost") is None
