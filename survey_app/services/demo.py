"""The demo county: Viken's register, both questionnaires, open rounds and synthetic answers.

Running it again on the same database reuses everything that is there: no duplicates, no answer lost.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from analysis.settlement import Criterion
from analysis.settlement_rules import load_rules
from survey_app import audit
from survey_app.config import Settings
from survey_app.forms import Value
from survey_app.models import (
    Municipality,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    Role,
    Round,
    RoundStatus,
    StaffUser,
)
from survey_app.question_types import kind_of
from survey_app.questionnaires import DONT_KNOW, QuestionnaireDef
from survey_app.services import (
    analysis,
    catalog,
    knowledge_import,
    recommendation,
    register,
    responses,
    rounds,
    users,
)
from survey_app.services.register import SHIPPED_REGISTER, parse_register

DEMO_ADMIN_EMAIL = "admin@innspill.demo"
# A fixed password for the local demo only (the demo serves on 127.0.0.1); it is printed at start.
DEMO_ADMIN_PASSWORD = "demo-passord-innspill"
SURVEY_SLUG = "kommuneundersokelse-sivilsamfunn"
CONSULTATION_SLUG = "konsultasjon-samarbeid"
SEED = 2026

SAMPLE_TEXTS = [
    "Vi trenger mer samarbeid med frivillige lag og foreninger om språkpraksis for deltakere i introduksjonsprogrammet.",
    "Biblioteket har språkkafé hver uke og leksehjelp to dager i uken. Frivilligsentralen driver en møteplass for nye innbyggere.",
    "Kommunen mangler en oppdatert plan for integreringsarbeidet. Vi ønsker veiledning fra fylkeskommunen om hvordan planen kan bygges opp.",
    "Det er behov for mer kompetanse om negativ sosial kontroll blant ansatte i skole og barnehage. Minoritetsrådgiveren på videregående er en viktig samarbeidspartner.",
    "Vi har for få lærlingplasser og trenger bedre samarbeid med NAV og lokale arbeidsgivere for å få flere over i arbeid.",
    "Boligsituasjonen er krevende. Det er mangel på kommunale boliger, og det begrenser hvor mange vi kan bosette.",
    "Regionalt nettverk for flyktningtjenestene fungerer godt. Vi ønsker at fylkeskommunen fortsetter med faste nettverkssamlinger.",
    "Idrettslagene har tatt imot mange nye barn med støtte fra kommunens tilskuddsordning for inkludering.",
    "Vi samarbeider med voksenopplæringen om kombinasjonsprogram, men mangler kapasitet i norskopplæringen.",
    "Godt integreringsarbeid handler om arbeid, bolig og nettverk. Det bør måles over tid og ikke bare med tall fra introduksjonsprogrammet.",
    "Kommunen har et tett samarbeid med politiet og barnevernet om æresrelatert vold, og har egne rutiner for dette.",
    "Vi ønsker mer samskaping mellom stat, fylke og kommune, med felles kontaktpunkter og tydelige roller.",
]

# The same, in nynorsk: what a municipality that has chosen nynorsk writes (checked with hunspell nn_NO).
SAMPLE_TEXTS_NN = [
    "Vi treng meir samarbeid med frivillige lag og foreiningar om språkpraksis for deltakarar i introduksjonsprogrammet.",
    "Biblioteket har språkkafé kvar veke og leksehjelp to dagar i veka. Frivilligsentralen driv ein møteplass for nye innbyggjarar.",
    "Kommunen manglar ein oppdatert plan for integreringsarbeidet. Vi ønskjer rettleiing frå fylkeskommunen om korleis planen kan byggjast opp.",
    "Det er behov for meir kompetanse om negativ sosial kontroll blant tilsette i skule og barnehage. Minoritetsrådgivaren på vidaregåande er ein viktig samarbeidspartnar.",
    "Vi har for få lærlingplassar og treng betre samarbeid med NAV og lokale arbeidsgjevarar for å få fleire over i arbeid.",
    "Bustadsituasjonen er krevjande. Det er mangel på kommunale bustader, og det avgrensar kor mange vi kan busetje.",
    "Regionalt nettverk for flyktningtenestene fungerer godt. Vi ønskjer at fylkeskommunen held fram med faste nettverkssamlingar.",
    "Idrettslaga har teke imot mange nye born med støtte frå tilskotsordninga til kommunen for inkludering.",
    "Vi samarbeider med vaksenopplæringa om kombinasjonsprogram, men manglar kapasitet i norskopplæringa.",
    "Godt integreringsarbeid handlar om arbeid, bustad og nettverk. Det bør målast over tid og ikkje berre med tal frå introduksjonsprogrammet.",
    "Kommunen har eit tett samarbeid med politiet og barnevernet om æresrelatert vald, og har eigne rutinar for dette.",
    "Vi ønskjer meir samskaping mellom stat, fylke og kommune, med felles kontaktpunkt og tydelege roller.",
]

# Needs the codebook has no theme for (transport, mental health), so that topic discovery has something to
# show in the demo: an adviser sees them grouped and can add a theme.
UNCOVERED_TEXTS = [
    "Bussen går to ganger om dagen, og uten bil kommer man seg ingen steder. Transport er det største hinderet her.",
    "Det finnes ingen kollektivtransport på kveldstid, så ingen kan delta på noe etter klokka fem.",
    "Skyss er et stort problem i en spredtbygd kommune som vår. Mange må gå flere kilometer til nærmeste busstopp.",
    "Uten førerkort og bil er det vanskelig å bo her. Lange avstander og dårlig busstilbud gjør hverdagen tung.",
    "Mange av de voksne sover dårlig og har mareritt etter flukten. Ventetiden hos psykolog er over et halvt år.",
    "Angst, søvnproblemer og sorg etter flukten preger mange av de voksne. Vi har ikke psykolog å henvise til.",
]
UNCOVERED_TEXTS_NN = [
    "Bussen går to gonger om dagen, og utan bil kjem ein seg ingen stad. Transport er det største hinderet her.",
    "Det finst ikkje kollektivtransport på kveldstid, så ingen kan vere med på noko etter klokka fem.",
    "Skyss er eit stort problem i ein spreiddbygd kommune som vår. Mange må gå fleire kilometer til næraste busstopp.",
    "Utan førarkort og bil er det vanskeleg å bu her. Lange avstandar og dårleg busstilbod gjer kvardagen tung.",
    "Mange av dei vaksne søv dårleg og har mareritt etter flukta. Ventetida hos psykolog er over eit halvt år.",
    "Angst, søvnproblem og sorg etter flukta pregar mange av dei vaksne. Vi har ikkje psykolog å vise til.",
]
# What a coordinator writes in short text answers and behind «Annet», in each written standard.
ROLES = {
    "nb": ["Flyktningtjenesten", "Kommunalsjef for helse og velferd", "Frivillighetskoordinator"],
    "nn": ["Flyktningtenesta", "Kommunalsjef for helse og velferd", "Frivilligheitskoordinator"],
}
OTHER_TEXT = {"nb": "Samarbeid med trossamfunn", "nn": "Samarbeid med trussamfunn"}
FREE_TEXTS = {"nb": (SAMPLE_TEXTS, UNCOVERED_TEXTS), "nn": (SAMPLE_TEXTS_NN, UNCOVERED_TEXTS_NN)}
UNCOVERED_SHARE = 0.12


DEMO_YEAR = 2027
# The demo's rules: the shipped ones, with the knowledge base's documented evidence given weight (how many
# of the decided refugees were settled, and the introduction programme's results); the survey stays at 0.
DEMO_CRITERIA = (
    Criterion("bosatt_av_vedtatt", "Bosatt av vedtatt de tre siste årene (prosent)", 1.0),
    Criterion(
        "intro_arbeid_utdanning",
        "I arbeid eller utdanning ett år etter introduksjonsprogrammet (prosent)",
        1.0,
    ),
)


def _demo_scenario(session: Session, *, round_id: int) -> None:
    """The recommendation for 2027 from the knowledge base, with last year's survey as evidence: a year with
    a tenth more to share than last year's requests."""
    found = recommendation.figures_for_year(session, year=DEMO_YEAR)
    base = load_rules()
    rules = dataclasses.replace(base, criteria=(*base.criteria, *DEMO_CRITERIA))
    last = sum(r.last_request for r in found.figures.rows)
    recommendation.create_scenario(
        session,
        name=f"Utkast til anbefaling {DEMO_YEAR}",
        total=round(last * 1.1),
        year=DEMO_YEAR,
        figures=found.figures,
        figures_source=f"Kunnskapsgrunnlaget for {DEMO_YEAR} (syntetiske demotall)",
        labels=found.labels,
        sources=found.sources,
        round_id=round_id,
        actor=audit.SYSTEM,
        rules=rules,
    )


# The states a municipality's answer can be in that the demo shows an example link for, in that order.
EXAMPLE_STATES = (ResponseStatus.not_started, ResponseStatus.in_progress, ResponseStatus.submitted)
Progress = Callable[[str], None]


def _quiet(step: str) -> None:
    """No progress report (the service is also used by tests and the browser suite)."""


@dataclass(frozen=True)
class DemoInfo:
    round_ids: list[int]  # this year's open rounds: the survey, then the consultation
    admin_email: str
    admin_password: str
    created: bool


@dataclass(frozen=True)
class _Texts:
    """The demo's free texts in one målform (``question_types.base.SyntheticTexts``)."""

    lang: str

    def short(self, rng: random.Random) -> str:
        return rng.choice(ROLES[self.lang])

    def long(self, rng: random.Random) -> str:
        sample, uncovered = FREE_TEXTS[self.lang]
        if rng.random() < UNCOVERED_SHARE:
            return rng.choice(uncovered)
        return " ".join(rng.sample(sample, k=rng.randint(1, 3)))

    def other(self) -> str:
        return OTHER_TEXT[self.lang]


def synthetic_answers(
    definition: QuestionnaireDef,
    rng: random.Random,
    *,
    share: float = 1.0,
    keep_required: bool = False,
    lang: str = "nb",
) -> dict[str, Value]:
    """Plausible answers for every question (or about ``share`` of them), valid against the schema, with
    free text in the municipality's written standard (``lang``: nb or nn).

    With ``keep_required``, only optional questions are left out: the answer can still be submitted.
    """
    values: dict[str, Value] = {}
    texts = _Texts(lang)
    for question in definition.questions():
        if rng.random() > share and not (keep_required and question.required):
            continue
        kind = kind_of(question)
        for key in kind.keys(question):
            if kind.is_other(question, key):
                continue
            values[key] = kind.synthetic(definition, question, key, rng, texts)
    return values


def _fill(session: Session, *, response: Response, rng: random.Random, submit: bool) -> None:
    assert response.id is not None
    draft = responses.load_draft(session, response_id=response.id)
    if submit:
        # Most answer every question; some skip half the optional ones, so that the analysis has
        # parameters without enough answers («ikke nok svar») to show.
        values = synthetic_answers(
            draft.definition,
            rng,
            share=1.0 if rng.random() < 0.8 else 0.5,
            keep_required=True,
            lang=draft.lang,
        )
    else:
        values = synthetic_answers(draft.definition, rng, share=rng.uniform(0.2, 0.7), lang=draft.lang)
    for key, known in draft.known.items():
        # The figure the county knew: most confirm it, a few correct it (staff see which).
        if key in values and values[key] != DONT_KNOW:
            values[key] = (
                known.value if rng.random() < 0.85 else max(0, known.value + rng.choice([-5, -2, 3, 6]))
            )
    responses.save(session, draft=draft, changes={k: (v, 0) for k, v in values.items()}, editor="Demo")
    if submit:
        remaining = responses.submit(
            session, draft=draft, signer_name="Kari Demo", signer_role="Kommunalsjef"
        )
        assert not remaining, remaining


def _ensure_round(
    session: Session,
    *,
    settings: Settings,
    county_id: int,
    version: QuestionnaireVersion,
    title: str,
    municipalities: list[Municipality],
    years_ago: int = 0,
) -> tuple[Round, bool]:
    existing = session.exec(select(Round).where(Round.title == title)).first()
    if existing is not None:
        return existing, False
    # Dates around the day the demo is made, so its links keep working whenever it is run.
    today = date.today() - timedelta(days=365 * years_ago)
    rnd = rounds.create_round(
        session,
        county_id=county_id,
        version=version,
        year=2026 - years_ago,
        title=title,
        opens_on=today - timedelta(days=28),
        closes_on=today + timedelta(days=60),
        municipalities=municipalities,
        secret_key=settings.resolved_secret_key(),
        invitation_days=settings.invitation_days,
        actor=audit.SYSTEM,
    )
    return rnd, True


def setup_demo(session: Session, *, settings: Settings, progress: Progress = _quiet) -> DemoInfo:
    """Create (or reuse) everything the demo shows, calling ``progress`` with a Norwegian line before each
    step: building it the first time takes a minute or more, and a silent minute looks like a hang."""
    progress("Leser kommuneregisteret")
    county = register.load_register(
        session,
        rows=parse_register(SHIPPED_REGISTER.read_text(encoding="utf-8"), source=str(SHIPPED_REGISTER)),
        county_name=settings.county_name,
        actor=audit.SYSTEM,
    )
    # This year's questionnaires, and last year's survey before its revision (questionnaires/tidligere/), so
    # that the comparison of the two years runs across the revision.
    progress("Importerer spørreskjemaene")
    current = {
        catalog.definition_of(v).id: v
        for v in catalog.import_directory(session, directory=settings.questionnaires_dir, actor=audit.SYSTEM)
    }
    earlier = {
        catalog.definition_of(v).id: v
        for v in catalog.import_directory(
            session, directory=settings.questionnaires_dir / "tidligere", actor=audit.SYSTEM
        )
    }
    progress("Leser kunnskapsgrunnlaget (syntetiske tall)")
    knowledge_import.import_demo(session, actor=audit.SYSTEM)  # synthetic history and register figures
    assert county.id is not None
    municipalities = list(session.exec(select(Municipality).order_by(Municipality.kommunenummer)))
    progress("Klargjør årets undersøkelse og konsultasjon med invitasjoner")
    survey, created = _ensure_round(
        session,
        settings=settings,
        county_id=county.id,
        version=current[SURVEY_SLUG],
        title="Kommuneundersøkelsen 2026",
        municipalities=municipalities,
    )
    consultation, _ = _ensure_round(
        session,
        settings=settings,
        county_id=county.id,
        version=current[CONSULTATION_SLUG],
        title="Konsultasjon om samarbeid 2026",
        municipalities=municipalities,
    )
    if created:
        rng = random.Random(SEED)
        survey_responses = list(session.exec(select(Response).where(Response.round_id == survey.id)))
        chosen = rng.sample(survey_responses, k=round(len(survey_responses) * 2 / 3))
        progress(f"Fyller ut syntetiske svar for {len(chosen)} kommuner")
        for i, response in enumerate(chosen):
            _fill(session, response=response, rng=rng, submit=i % 2 == 0)
    # Last year's round, closed, so that advisers can compare the two years.
    progress("Klargjør fjorårets undersøkelse")
    previous, created = _ensure_round(
        session,
        settings=settings,
        county_id=county.id,
        version=earlier.get(SURVEY_SLUG, current[SURVEY_SLUG]),
        title="Kommuneundersøkelsen 2025",
        municipalities=municipalities,
        years_ago=1,
    )
    if created:
        progress("Fyller ut fjorårets svar og lukker runden")
        rng = random.Random(SEED - 1)
        for response in session.exec(select(Response).where(Response.round_id == previous.id)).all():
            if rng.random() < 0.85:
                _fill(session, response=response, rng=rng, submit=True)
        rounds.set_status(session, round_=previous, status=RoundStatus.closed, actor=audit.SYSTEM)
        # The analysis pages have something to show from the start; advisers re-run it as answers arrive.
        for analysed in (previous, survey):
            progress(f"Analyserer fritekstsvarene i «{analysed.title}» (det tar lengst tid)")
            analysis.analyze(session, round_=analysed, actor=audit.SYSTEM, data_dir=settings.data_dir)
    if created and previous.id is not None:
        progress("Lager et utkast til anbefaling om bosetting")
        _demo_scenario(session, round_id=previous.id)
    if not session.exec(select(StaffUser).where(StaffUser.email == DEMO_ADMIN_EMAIL)).first():
        users.create_user(
            session,
            email=DEMO_ADMIN_EMAIL,
            password=DEMO_ADMIN_PASSWORD,
            role=Role.admin,
            full_name="Demoadministrator",
            actor=audit.SYSTEM,
        )
    assert survey.id is not None and consultation.id is not None
    return DemoInfo([survey.id, consultation.id], DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, created)


def examples(session: Session, *, round_id: int) -> dict[ResponseStatus, Municipality]:
    """One municipality per state in ``EXAMPLE_STATES`` among the round's answers (the first by
    kommunenummer), so that the demo can show what a respondent sees in each."""
    rows = session.exec(
        select(Response.status, Municipality)
        .join(Municipality, col(Municipality.id) == Response.municipality_id)
        .where(Response.round_id == round_id, col(Response.status).in_(EXAMPLE_STATES))
        .order_by(col(Municipality.kommunenummer))
    ).all()
    found: dict[ResponseStatus, Municipality] = {}
    for status, municipality in rows:
        found.setdefault(ResponseStatus(status), municipality)
    return {s: found[s] for s in EXAMPLE_STATES if s in found}
