"""A leser (reader) never sees the personal data written in answers, on any page a leser can reach.

Both shipped questionnaires (the survey and the consultation, as in the demo), two survey years (so that
the comparison has changed answers), every free-text key filled with fødselsnummer, phone numbers, e-mail
addresses and names (the answer itself and each «Annet» text), and an unfinished answer with text typed
into a number field. The pages are every GET route under /ansatt, read from the app itself with real ids
filled in, each also as an htmx fragment, and every link on them.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from analysis.privacy import is_fnr, mask
from survey_app import audit
from survey_app.config import Settings
from survey_app.forms import Value, free_text_keys
from survey_app.models import (
    Invitation,
    Municipality,
    Response,
    Role,
    Round,
    RoundStatus,
    Scenario,
    StaffUser,
)
from survey_app.permissions import Action, can
from survey_app.question_types import kind_of
from survey_app.questionnaires import OTHER, QuestionnaireDef, load_file, shipped_files
from survey_app.services import analysis, catalog, demo, register, responses, rounds
from survey_app.services.catalog import round_definition
from tests.factories import REGISTER_CSV, make_scenario, make_staff
from tests.test_staff import login

# A synthetic fødselsnummer (Skatteetaten's test numbers add 80 to the month): valid, and nobody's.
FNR = "23906799537"
FNR_SPACED = "239067 99537"
# Each text holds all four kinds the masking covers, in a sentence stating a need (which the analysis
# quotes); the keys take them in turn, starting elsewhere each round so that the comparison has changes.
TEXTS = [
    f"Vi trenger en kontaktperson: Kari Nordmann (fødselsnummer {FNR}) nås på 41234567 eller "
    "kari.nordmann@lier.kommune.no.",
    f"Vi mangler tolk, ring rådgiver Ola Hansen på 98 76 54 32, e-post ola.hansen@drammen.kommune.no, "
    f"fnr {FNR_SPACED}.",
    f"Vi ønsker samarbeid med Fatima Ali Hassan, tlf 41234567, fødselsnr. {FNR}, fatima@frivillig.no",
]
# Text typed into a number field is kept as typed in an unfinished answer, and is free text then.
TYPED_IN_A_NUMBER = "ca. 20, spør Kari Nordmann på 41234567"
RAW = (
    FNR,
    FNR_SPACED,
    "41234567",
    "98 76 54 32",
    "kari.nordmann@lier.kommune.no",
    "ola.hansen@drammen.kommune.no",
    "fatima@frivillig.no",
    "Kari Nordmann",
    "Ola Hansen",
    "Fatima Ali Hassan",
)
PLACEHOLDERS = ("[fødselsnummer]", "[telefon]", "[e-post]", "[navn]")
SUBMITTED = ("3005", "3043")  # Lier (3049) is still answering in every round


@dataclass
class Seeded:
    rounds: list[Round]
    municipalities: list[Municipality]
    response_ids: list[int]


def _personal_answers(definition: QuestionnaireDef, rng: random.Random, first: int) -> dict[str, Value]:
    """Valid answers to every question, «Annet» ticked wherever offered, and personal data in every
    free-text key."""
    values = demo.synthetic_answers(definition, rng)
    n = first
    for question in definition.questions():
        if question.has_other and question.type == "multi":
            chosen = values.get(question.id)
            room = question.max_choices - 1 if question.max_choices else None  # «Annet» takes one place
            kept = chosen[:room] if isinstance(chosen, list) else []
            values[question.id] = [*kept, OTHER]
        elif question.has_other and question.type in ("single", "jadelvisnei"):
            values[question.id] = OTHER
        for key in free_text_keys(question):
            values[key] = TEXTS[n % len(TEXTS)]
            n += 1
    return values


def _round(
    session: Session, settings: Settings, *, county_id: int, slug: str, title: str, year: int
) -> Round:
    version = catalog.latest_version(session, slug)
    assert version is not None
    return rounds.create_round(
        session,
        county_id=county_id,
        version=version,
        year=year,
        title=title,
        opens_on=date(year, 1, 1),
        closes_on=date(2099, 1, 31),
        municipalities=list(session.exec(select(Municipality))),
        secret_key=settings.resolved_secret_key(),
        invitation_days=30,
        actor=audit.SYSTEM,
    )


@pytest.fixture
def seeded(session: Session, settings: Settings) -> Seeded:
    county = register.load_register(
        session, rows=register.parse_register(REGISTER_CSV), county_name="Testfylket", actor=audit.SYSTEM
    )
    assert county.id is not None
    catalog.import_directory(session, directory=settings.questionnaires_dir, actor=audit.SYSTEM)
    made = [
        _round(session, settings, county_id=county.id, slug=slug, title=title, year=year)
        for slug, title, year in [
            (demo.SURVEY_SLUG, "Kommuneundersøkelsen 2025", 2025),
            (demo.SURVEY_SLUG, "Kommuneundersøkelsen 2026", 2026),
            (demo.CONSULTATION_SLUG, "Konsultasjon om samarbeid 2026", 2026),
        ]
    ]
    rng = random.Random(13)
    response_ids: list[int] = []
    for i, round_ in enumerate(made):
        definition = round_definition(session, round_)
        for response in session.exec(select(Response).where(Response.round_id == round_.id)).all():
            assert response.id is not None
            response_ids.append(response.id)
            muni = session.get(Municipality, response.municipality_id)
            assert muni is not None
            values = _personal_answers(definition, rng, first=i)
            if muni.kommunenummer not in SUBMITTED:
                integers = [q.id for q in definition.questions() if q.type == "integer" and q.show_if is None]
                if integers:
                    values[integers[0]] = TYPED_IN_A_NUMBER
            draft = responses.load_draft(session, response_id=response.id)
            responses.save(
                session, draft=draft, changes={k: (v, 0) for k, v in values.items()}, editor="test"
            )
            if muni.kommunenummer in SUBMITTED:
                problems = responses.submit(session, draft=draft, signer_name="Leder", signer_role="Rådmann")
                assert problems == [], problems
    rounds.set_status(session, round_=made[0], status=RoundStatus.closed, actor=audit.SYSTEM)
    make_scenario(session, name="Utkast")
    municipalities = list(session.exec(select(Municipality).order_by(Municipality.kommunenummer)))
    return Seeded(made, municipalities, response_ids)


# --- the pages a leser can reach, from the app's own routes -------------------------------------------------


def _get_routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI keeps an included router whole
            yield from _get_routes(route.original_router.routes)
        elif isinstance(route, APIRoute) and "GET" in route.methods and route.path.startswith("/ansatt"):
            yield route


def _actions(dependant: Dependant) -> set[Action]:
    """The actions a route's dependencies check (``deps.permission(action)`` keeps it in its closure)."""
    found: set[Action] = set()
    for dependency in dependant.dependencies:
        cells = getattr(dependency.call, "__closure__", None) or ()
        found |= {c.cell_contents for c in cells if isinstance(c.cell_contents, Action)}
        found |= _actions(dependency)
    return found


def _path_values(seeded: Seeded, session: Session) -> dict[str, list[str]]:
    scenario_ids = [str(s.id) for s in session.exec(select(Scenario)).all()]
    return {
        "round_id": [str(r.id) for r in seeded.rounds],
        "response_id": [str(i) for i in seeded.response_ids],
        "municipality_id": [str(m.id) for m in seeded.municipalities],
        "unit": [str(m.id) for m in seeded.municipalities],  # an analysis unit is a municipality's id
        "kommunenummer": [m.kommunenummer for m in seeded.municipalities],
        "scenario_id": scenario_ids,
        "fmt": ["csv", "xlsx", "json"],
        "filename": ["saksframlegg.docx", "brev.docx"],
        # Confirmation pages of actions a leser may not take (403), walked all the same.
        "invitation_id": [str(i.id) for i in session.exec(select(Invitation).limit(1)).all()],
        "user_id": [str(u.id) for u in session.exec(select(StaffUser).limit(1)).all()],
    }


def _urls(route: APIRoute, values: dict[str, list[str]]) -> list[str]:
    names = list(route.param_convertors)
    missing = [n for n in names if n not in values]
    assert not missing, f"{route.name}: say which ids to fill in for {missing} (in _path_values)"
    return [
        str(route.url_path_for(route.name, **dict(zip(names, chosen, strict=True))))
        for chosen in itertools.product(*(values[n] for n in names))
    ]


def _links(html: str) -> set[str]:
    found = set()
    for a in BeautifulSoup(html, "html.parser").find_all("a", href=True):
        parts = urlsplit(a["href"])
        if parts.netloc in ("", "testserver") and parts.path.startswith("/ansatt"):
            found.add(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def _leaks(text: str) -> list[str]:
    return [raw for raw in RAW if raw in text]


def test_a_leser_sees_no_personal_data_on_any_page(
    app: FastAPI,
    client: TestClient,
    session: Session,
    settings: Settings,
    seeded: Seeded,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert is_fnr(FNR) and is_fnr(FNR_SPACED.replace(" ", ""))
    # The analysis pages quote stated needs: analyse every round, training the theme model once.
    model = analysis.classifier(session)
    monkeypatch.setattr(analysis, "classifier", lambda session, data_dir=None: model)
    for round_ in seeded.rounds:
        analysis.analyze(session, round_=round_, actor=audit.SYSTEM, data_dir=settings.data_dir)
    make_staff(session, Role.leser)
    assert login(client, "leser@fylke.test").status_code == 303
    values = _path_values(seeded, session)
    routes = list(_get_routes(app.routes))
    assert {"staff_response", "staff_response_print", "round_free_text", "round_profile"} <= {
        r.name for r in routes
    }
    permitted: dict[str, bool] = {
        r.name: all(can(Role.leser, a) for a in _actions(r.dependant)) for r in routes
    }
    first = seeded.rounds[1].id
    queue = [u for r in routes for u in _urls(r, values)]
    # What the forms ask for, which no link names.
    queue += [
        f"/ansatt/runder/{first}/resultater?pabegynte=true",
        f"/ansatt/runder/{first}/resultater?region=Drammensregionen",
        f"/ansatt/runder/{first}/fritekst?sok=kontaktperson",
        f"/ansatt/runder/{first}/fritekst?region=Hallingdal",
    ]
    seen: set[str] = set()
    answered: dict[str, int] = {}  # route name -> pages it answered with 200
    shown_masked: dict[str, set[str]] = {}  # route name -> the placeholders its pages showed
    typed_shown = False  # the text typed into a number field, masked
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        for headers in ({}, {"HX-Request": "true"}):
            r = client.get(url, headers=headers)
            leaks = _leaks(r.text)
            assert not leaks, f"{url} {headers} shows {leaks}"
            route = next(rt for rt in routes if rt.path_regex.match(urlsplit(url).path))
            if r.status_code == 200 and r.headers["content-type"].startswith("text/html"):
                shown = {p for p in PLACEHOLDERS if p in r.text}
                shown_masked[route.name] = shown_masked.get(route.name, set()) | shown
                typed_shown |= mask(TYPED_IN_A_NUMBER) in r.text
                queue += sorted(_links(r.text) - seen)
            if permitted[route.name]:
                assert r.status_code in (200, 404), f"{url}: {r.status_code}"
            else:
                assert r.status_code == 403, f"{url}: a leser may not, yet got {r.status_code}"
            answered[route.name] = answered.get(route.name, 0) + (r.status_code == 200)
    # Not an empty walk: every page a leser may open did open.
    # Sign-in through the county's identity provider answers 404 here, where none is configured.
    provider = {"staff_oidc_start", "staff_oidc_callback", "staff_oidc_logout"}
    assert [
        name for name, ok in permitted.items() if ok and not answered.get(name) and name not in provider
    ] == []
    assert len(seen) > 60, len(seen)
    # And the pages that show answers showed the seeded ones, masked.
    for name in (
        "staff_response",
        "staff_response_print",
        "round_profile",
        "round_free_text",
        "round_compare",
        "round_analysis",
        "round_analysis_unit",
    ):
        assert shown_masked.get(name) == set(PLACEHOLDERS), (name, shown_masked.get(name))
    assert typed_shown


def _hits(client: TestClient, round_id: int | None, query: str) -> int:
    r = client.get(f"/ansatt/runder/{round_id}/fritekst", params={"sok": query})
    assert r.status_code == 200, r.text
    return len(BeautifulSoup(r.text, "html.parser").select("article.free-text"))


@pytest.mark.parametrize("role", [Role.leser, Role.radgiver, Role.admin])
def test_a_leser_searches_the_masked_text_only(
    client: TestClient, session: Session, seeded: Seeded, role: Role
) -> None:
    # Matching the unmasked text while showing the masked one told a reader, search by search, whether a
    # fødselsnummer starts with these digits: 48 searches rebuilt one.
    make_staff(session, role)
    login(client, f"{role.value}@fylke.test")
    prefixes = [FNR[:n] for n in (2, 4, 6, 9, 11)] + ["412345", "nordmann", "kari.nordmann@", "frivillig.no"]
    for round_ in seeded.rounds:
        found = {query: _hits(client, round_.id, query) for query in prefixes}
        if role is Role.leser:
            assert found == dict.fromkeys(prefixes, 0), round_.title
            # The search itself still works, in what the reader can see.
            assert _hits(client, round_.id, "kontaktperson") > 0
            assert _hits(client, round_.id, "[fødselsnummer]") > 0
        else:
            assert all(found.values()), (round_.title, found)


def test_masking_leaves_every_shipped_option_and_scale_label_alone(settings: Settings) -> None:
    # A reader gets every answer masked, closed ones included (templating.reader_view); that is only
    # harmless while no label of a shipped questionnaire looks like personal data.
    for path in shipped_files(settings.questionnaires_dir):
        definition = load_file(path)
        for question in definition.questions():
            kind = kind_of(question)
            labels = [label for lang in ("nb", "nn") for _, label in kind.choices(definition, question, lang)]
            labels += [
                kind.key_label(question, key, lang) for key in kind.keys(question) for lang in ("nb", "nn")
            ]
            for label in labels:
                assert mask(label) == label, (path.name, question.id, label)
