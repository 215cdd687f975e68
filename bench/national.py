"""Synthetic national data for the web benchmarks: 357 municipalities, five rounds, both questionnaires.

One county holding all 357 municipalities of Norway (the size of the whole country, the worst case for a
county's server), in about 60 regional councils (a tenth of the municipalities in two, three in none),
a third nynorsk. Five rounds: the municipal survey 2023, 2024 and 2025 (closed, 85–95 % submitted),
2026 (open: about half submitted, a third under way) and the consultation 2026 (open). Answers are the
demo's synthetic answers (``services/demo.synthetic_answers``: valid against the questionnaire, skewed
as self-reports are); free text is 1–4 sentences drawn from the codebook's examples and the demo's
texts, so it reads like real answers and the theme model has something to find. A sixth, empty open
round («Lasttest») is where the autosave benchmark saves, so the five stay as generated.

Rounds, invitations, users and the register go through the app's services; the ~100,000 answers and
the response statuses are written in bulk (through the services this would take minutes, and the
answers are the same rows the services write). Fixed seed: the same data every run.

    .venv/bin/python bench/national.py DATA_DIR     # generate into DATA_DIR (SQLite) or $DATABASE_URL
"""

from __future__ import annotations

import json
import random
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, col, select

from analysis.needs import split_sentences
from analysis.themes import load_codebook
from survey_app import audit
from survey_app.config import PROJECT_ROOT, Settings
from survey_app.db import make_engine, upgrade
from survey_app.forms import Value
from survey_app.models import Answer, Municipality, Response, ResponseStatus, Role, RoundStatus
from survey_app.services import catalog, invitations, register, rounds, users
from survey_app.services.catalog import definition_of
from survey_app.services.demo import CONSULTATION_SLUG, SAMPLE_TEXTS, SURVEY_SLUG, synthetic_answers

MUNICIPALITIES = 357
REGIONS = 60
SEED = 357
COUNTY = "Benkfylket"
STAFF_EMAIL = "radgiver@benk.test"
STAFF_PASSWORD = "benk-passord-radgiver"  # a throwaway database on 127.0.0.1 only
LOAD_ROUND = "Lasttest autosave"

_FIRST = ["Nord", "Sør", "Øst", "Vest", "Øvre", "Nedre", "Indre", "Ytre", "Store", "Lille", "Midt", "Gamle"]
_STEM = [
    "fjord",
    "dal",
    "vik",
    "nes",
    "øy",
    "berg",
    "heim",
    "stad",
    "land",
    "bygd",
    "sund",
    "mo",
    "hamar",
    "vang",
    "ås",
    "rud",
    "li",
    "haug",
    "eid",
    "strand",
    "voll",
    "aker",
    "sjø",
    "lund",
]
_ROOT = [
    "Ask",
    "Bjørk",
    "Eik",
    "Furu",
    "Gran",
    "Hegg",
    "Lind",
    "Rogn",
    "Selje",
    "Alm",
    "Or",
    "Hassel",
    "Kvit",
    "Rau",
    "Svart",
    "Grøn",
    "Blå",
    "Sol",
    "Måne",
    "Stein",
    "Fjell",
    "Myr",
    "Elv",
    "Bekk",
]

# (title, questionnaire, year, status, share submitted, share in progress)
ROUNDS = [
    ("Kommuneundersøkelsen 2023", SURVEY_SLUG, 2023, RoundStatus.closed, 0.85, 0.08),
    ("Kommuneundersøkelsen 2024", SURVEY_SLUG, 2024, RoundStatus.closed, 0.90, 0.06),
    ("Kommuneundersøkelsen 2025", SURVEY_SLUG, 2025, RoundStatus.closed, 0.95, 0.03),
    ("Kommuneundersøkelsen 2026", SURVEY_SLUG, 2026, RoundStatus.open, 0.50, 0.30),
    ("Konsultasjon om samarbeid 2026", CONSULTATION_SLUG, 2026, RoundStatus.open, 0.45, 0.30),
]


@dataclass(frozen=True)
class National:
    """What the benchmarks need to find their way in the generated data (written as bench.json)."""

    rounds: dict[str, int]  # title -> id
    load_round: int
    load_links: list[str]  # one invitation link per municipality of the load round (paths: /i/…)
    municipality_ids: list[int]
    staff_email: str
    staff_password: str
    answers: int
    seconds: float


def register_csv(n: int = MUNICIPALITIES, seed: int = SEED) -> str:
    """A register of ``n`` made-up municipalities: unique names and numbers, regions, målform, e-mail."""
    rng = random.Random(seed)
    names: set[str] = set()
    while len(names) < n:
        kind = rng.random()
        if kind < 0.45:
            name = rng.choice(_ROOT) + rng.choice(_STEM)
        elif kind < 0.8:
            name = (rng.choice(_ROOT) + rng.choice(_STEM)).capitalize()
            name = f"{rng.choice(_FIRST)}-{name}" if rng.random() < 0.3 else name
        else:
            name = rng.choice(_FIRST) + rng.choice(_STEM)
        names.add(name.capitalize())
    region_names = [
        f"Regionrådet {r.capitalize()}{s}"
        for r, s in zip(rng.sample(_ROOT * 3, REGIONS), rng.choices(_STEM, k=REGIONS), strict=True)
    ]
    lines = ["kommunenummer,name,region,malform,epost"]
    for i, name in enumerate(sorted(names)):
        number = f"{(i // 30 + 11) * 100 + i % 30 + 1:04d}"[-4:]
        draw = rng.random()
        regions = [] if i in (7, 150, 300) else [region_names[i % REGIONS]]
        if regions and draw < 0.1:
            regions.append(region_names[(i * 7 + 3) % REGIONS])
        malform = "nn" if rng.random() < 0.32 else "nb"
        slug = name.lower().replace("-", "").replace("ø", "o").replace("å", "a").replace("æ", "ae")
        emails = f"postmottak@{slug}.kommune.no" + (f" flyktning@{slug}.kommune.no" if draw > 0.5 else "")
        lines.append(f"{number},{name},{' / '.join(regions)},{malform},{emails}")
    return "\n".join(lines) + "\n"


def text_pool() -> list[str]:
    """Sentences of the codebook's examples and the demo's texts: the material free text is made of."""
    codebook = load_codebook(PROJECT_ROOT / "questionnaires" / "codebook.yaml")
    pool = [s for code in codebook.codes for ex in code.examples for s in split_sentences(ex)]
    return pool + [s for text in SAMPLE_TEXTS for s in split_sentences(text)]


def _answers(definition: object, rng: random.Random, pool: list[str], share: float) -> dict[str, Value]:
    values = synthetic_answers(definition, rng, share=share)  # type: ignore[arg-type]
    for question in definition.questions():  # type: ignore[attr-defined]
        if question.type == "longtext" and question.id in values:
            values[question.id] = " ".join(rng.sample(pool, k=rng.randint(1, 4)))
    return values


def generate(settings: Settings, *, seed: int = SEED) -> National:
    """Fill an empty database (SQLite in ``settings.data_dir`` or ``settings.database_url``)."""
    start = time.perf_counter()
    rng = random.Random(seed)
    pool = text_pool()
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    secret = settings.resolved_secret_key()
    try:
        with Session(engine, expire_on_commit=False) as session:
            rows = register.parse_register(register_csv(), source="benk-register")
            county = register.load_register(session, rows=rows, county_name=COUNTY, actor=audit.SYSTEM)
            catalog.import_directory(session, directory=settings.questionnaires_dir, actor=audit.SYSTEM)
            users.create_user(
                session,
                email=STAFF_EMAIL,
                password=STAFF_PASSWORD,
                role=Role.radgiver,
                full_name="Rådgiver Benk",
                actor=audit.SYSTEM,
            )
            municipalities = list(session.exec(select(Municipality).order_by(Municipality.kommunenummer)))
            assert county.id is not None and len(municipalities) == MUNICIPALITIES
            made: dict[str, int] = {}
            answers = 0
            for title, slug, year, status, submitted, started in ROUNDS:
                version = catalog.latest_version(session, slug)
                assert version is not None
                opens = date(year, 3, 1)
                round_ = rounds.create_round(
                    session,
                    county_id=county.id,
                    version=version,
                    year=year,
                    title=title,
                    opens_on=opens,
                    closes_on=date(year, 5, 1)
                    if status == RoundStatus.closed
                    else date.today() + timedelta(days=60),
                    municipalities=municipalities,
                    secret_key=secret,
                    invitation_days=settings.invitation_days,
                    status=status,
                    actor=audit.SYSTEM,
                )
                assert round_.id is not None
                made[title] = round_.id
                answers += _fill(
                    session,
                    round_id=round_.id,
                    definition=definition_of(version),
                    rng=rng,
                    pool=pool,
                    submitted=submitted,
                    started=started,
                    opens=opens,
                )
            version = catalog.latest_version(session, SURVEY_SLUG)
            assert version is not None
            load = rounds.create_round(
                session,
                county_id=county.id,
                version=version,
                year=2026,
                title=LOAD_ROUND,
                opens_on=date.today() - timedelta(days=1),
                closes_on=date.today() + timedelta(days=60),
                municipalities=municipalities,
                secret_key=secret,
                invitation_days=settings.invitation_days,
                status=RoundStatus.open,
                actor=audit.SYSTEM,
            )
            assert load.id is not None
            links = invitations.export_rows(session, round_id=load.id, secret_key=secret, base_url="")
    finally:
        engine.dispose()
    return National(
        rounds=made,
        load_round=load.id,
        load_links=[r["url"] for r in links],
        municipality_ids=[m.id for m in municipalities if m.id is not None],
        staff_email=STAFF_EMAIL,
        staff_password=STAFF_PASSWORD,
        answers=answers,
        seconds=time.perf_counter() - start,
    )


def _fill(
    session: Session,
    *,
    round_id: int,
    definition: object,
    rng: random.Random,
    pool: list[str],
    submitted: float,
    started: float,
    opens: date,
) -> int:
    """Answers and statuses for one round's responses, in two bulk statements."""
    responses = list(
        session.exec(select(Response).where(Response.round_id == round_id).order_by(col(Response.id)))
    )
    answer_rows: list[dict[str, object]] = []
    updates: list[dict[str, object]] = []
    base = datetime.combine(opens, dtime(9), tzinfo=UTC)
    for response in responses:
        draw = rng.random()
        if draw >= submitted + started:
            continue  # not started
        done = draw < submitted
        values = _answers(definition, rng, pool, 1.0 if done else rng.uniform(0.2, 0.7))
        first = base + timedelta(days=rng.uniform(0, 20))
        last = first + timedelta(days=rng.uniform(0, 25))
        editor = rng.choice(["Kari Nordmann", "Ola Hansen", "Aisha Ali", "Per Olsen", ""])
        answer_rows += [
            {
                "response_id": response.id,
                "question_id": key,
                "value": value,
                "version": rng.randint(1, 3),
                "updated_at": last,
                "updated_by": editor,
            }
            for key, value in values.items()
        ]
        updates.append(
            {
                "rid": response.id,
                "status": ResponseStatus.submitted if done else ResponseStatus.in_progress,
                "version": len(values) + (1 if done else 0),
                "started_at": first,
                "last_saved_at": last,
                "submitted_at": last if done else None,
                "signed_by_name": (editor or "Kari Nordmann") if done else None,
                "signed_by_role": "Kommunalsjef" if done else None,
            }
        )
    table = Response.__table__  # type: ignore[attr-defined]
    session.execute(sa.insert(Answer), answer_rows)
    session.execute(
        sa.update(table)
        .where(table.c.id == sa.bindparam("rid"))
        .values(
            status=sa.bindparam("status"),
            version=sa.bindparam("version"),
            started_at=sa.bindparam("started_at"),
            last_saved_at=sa.bindparam("last_saved_at"),
            submitted_at=sa.bindparam("submitted_at"),
            signed_by_name=sa.bindparam("signed_by_name"),
            signed_by_role=sa.bindparam("signed_by_role"),
        ),
        updates,
    )
    session.commit()
    return len(answer_rows)


def main() -> None:
    data_dir = Path(sys.argv[1])
    national = generate(Settings(data_dir=data_dir))
    (data_dir / "bench.json").write_text(json.dumps(asdict(national)))
    print(f"{national.answers} answers in {len(national.rounds)} rounds in {national.seconds:.1f} s")


if __name__ == "__main__":
    main()
