"""Readable test data: a small questionnaire inline, a county, a round and its invitation links."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from survey_app import audit
from survey_app.analysis_data import (
    Benchmark,
    Benchmarks,
    Contribution,
    ParameterSummary,
    ParameterValue,
    RunResults,
    UnitResult,
)
from survey_app.config import Settings
from survey_app.models import Municipality, Response, Role, Round, RoundStatus, Scenario, StaffUser
from survey_app.questionnaires import parse
from survey_app.services import catalog, invitations, recommendation, register, rounds, users

# Every question type, a show_if, a required question and a scored one: enough to exercise the flow.
SMALL_QUESTIONNAIRE = textwrap.dedent("""\
    id: liten-test
    title: {nb: Liten testundersøkelse, nn: Lita testundersøking}
    scales:
      enig:
        labels:
          1: {nb: Helt uenig, nn: Heilt usamd}
          2: {nb: Uenig, nn: Usamd}
          3: {nb: Enig, nn: Samd}
          4: {nb: Helt enig, nn: Heilt samd}
    parameters:
      - id: frivillighet
        label: Frivillighet
    sections:
      - id: del1
        title: {nb: Første del, nn: Første del}
        questions:
          - id: politikk
            type: jadelvisnei
            text: {nb: "Har kommunen en frivillighetspolitikk?", nn: "Har kommunen ein frivilligheitspolitikk?"}
            required: true
            parameter: {id: frivillighet, scores: {ja: 100, delvis: 50, nei: 0}}
          - id: vedtaksar
            type: integer
            text: {nb: "Hvilket år ble den vedtatt?", nn: "Kva år vart han vedteken?"}
            min: 1990
            max: 2030
            show_if: {question: politikk, any_of: [ja, delvis]}
          - id: enighet
            type: likert
            text:
              nb: Frivilligheten er godt med i integreringsarbeidet.
              nn: Frivilligheita er godt med i integreringsarbeidet.
            scale: enig
            parameter: {id: frivillighet}
      - id: del2
        title: {nb: Andre del, nn: Andre del}
        questions:
          - id: tiltak
            type: multi
            text: {nb: "Hvilke tiltak har dere?", nn: "Kva tiltak har de?"}
            other: true
            options:
              - {value: sprakkafe, label: {nb: Språkkafé, nn: Språkkafé}}
              - {value: leksehjelp, label: {nb: Leksehjelp, nn: Leksehjelp}}
          - id: moteplasser
            type: matrix
            text: {nb: "Hvor mye brukes møteplassene?", nn: "Kor mykje blir møteplassane brukte?"}
            scale: enig
            items:
              - {id: bibliotek, text: {nb: Biblioteket, nn: Biblioteket}}
              - {id: idrett, text: {nb: Idrettslag, nn: Idrettslag}}
          - id: kommentar
            type: longtext
            text: {nb: Andre kommentarer, nn: Andre kommentarar}
            max_length: 200
          - id: enhet
            type: single
            text: {nb: "Hvilken enhet svarer?", nn: "Kva eining svarar?"}
            options:
              - {value: flyktning, label: {nb: Flyktningtjenesten, nn: Flyktningtenesta}}
              - {value: kultur, label: {nb: Kultur, nn: Kultur}}
          - id: stilling
            type: text
            text: {nb: Stillingen til den som koordinerer, nn: Stillinga til den som koordinerer}
""")

PASSWORD = "et-langt-testpassord"


@dataclass
class World:
    round: Round
    municipalities: list[Municipality]
    links: dict[str, str]  # kommunenummer -> invitation path

    def link(self, kommunenummer: str) -> str:
        return self.links[kommunenummer]

    def response(self, session: Session, kommunenummer: str) -> Response:
        muni = next(m for m in self.municipalities if m.kommunenummer == kommunenummer)
        return session.exec(
            select(Response).where(Response.round_id == self.round.id, Response.municipality_id == muni.id)
        ).one()


REGISTER_CSV = (
    "kommunenummer,name,region,malform\n"
    "3005,Drammen,Drammensregionen,nb\n"
    "3043,Ål,Hallingdal,nn\n"
    "3049,Lier,Drammensregionen,nb\n"
)


def make_world(
    session: Session,
    settings: Settings,
    *,
    questionnaire: str = SMALL_QUESTIONNAIRE,
    status: RoundStatus = RoundStatus.open,
    register_csv: str = REGISTER_CSV,
) -> World:
    county = register.load_register(
        session, rows=register.parse_register(register_csv), county_name="Testfylket", actor=audit.SYSTEM
    )
    version = catalog.import_questionnaire(session, definition=parse(questionnaire), actor=audit.SYSTEM)
    municipalities = list(session.exec(select(Municipality).order_by(Municipality.kommunenummer)))
    assert county.id is not None
    rnd = rounds.create_round(
        session,
        county_id=county.id,
        version=version,
        year=2026,
        title="Testrunden 2026",
        opens_on=date(2026, 11, 1),
        closes_on=date(2099, 1, 31),
        municipalities=municipalities,
        secret_key=settings.resolved_secret_key(),
        invitation_days=30,
        status=status,
        actor=audit.SYSTEM,
    )
    assert rnd.id is not None
    rows = invitations.export_rows(
        session, round_id=rnd.id, secret_key=settings.resolved_secret_key(), base_url=""
    )
    return World(rnd, municipalities, {r["kommunenummer"]: r["url"] for r in rows})


def make_staff(session: Session, role: Role, email: str | None = None) -> StaffUser:
    return users.create_user(
        session, email=email or f"{role.value}@fylke.test", password=PASSWORD, role=role, actor=audit.SYSTEM
    )


SMALL_FIGURES = "kommunenummer,kommune,forrige_anmodning,vedtak,integreringsindeks\n3005,Drammen,10,,50\n"


def make_scenario(
    session: Session, *, name: str = "Utkast", total: int = 20, figures: str = SMALL_FIGURES
) -> Scenario:
    """A settlement recommendation scenario from a figures CSV (by default Drammen alone)."""
    return recommendation.create_scenario(
        session,
        name=name,
        total=total,
        figures=recommendation.read_figures(figures),
        figures_source="tall.csv",
        round_id=None,
        actor=audit.SYSTEM,
    )


def small_run_results() -> RunResults:
    """An analysis run's results of ``SMALL_QUESTIONNAIRE``: Drammen alone, «ja» to «politikk», no free text."""
    benchmark = Benchmark(mean=100.0, median=100.0, n=1)
    return RunResults(
        parameters={
            "frivillighet": ParameterSummary(
                label="Frivillighet",
                theme=None,
                weight=1.0,
                min_share=0.5,
                county=benchmark,
                regions={"Drammensregionen": benchmark},
                alpha=None,
                ranks={"1": 1},
                bottom_quartile_cut=None,
            )
        },
        units={
            "1": UnitResult(
                name="Drammen",
                kommunenummer="3005",
                regions=["Drammensregionen"],
                index=100.0,
                index_rank=1,
                parameters={
                    "frivillighet": ParameterValue(
                        value=100.0,
                        answered=1,
                        items=2,
                        contributions=[
                            Contribution(
                                key="politikk",
                                question_id="politikk",
                                value="ja",
                                score=100.0,
                                weight=1.0,
                                share=1.0,
                            )
                        ],
                    )
                },
            )
        },
        sensitivity=[],
        index=Benchmarks(county=benchmark, regions={"Drammensregionen": benchmark}),
        prevalence={},
        needs=[],
        unexpressed=[],
        topics=[],
        texts=0,
        poorly_covered=0,
    )
