"""Theme coding: the codebook file, the classifier, training on staff codings, and agreement (kappa)."""

from __future__ import annotations

import copy
import textwrap
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import (
    check_estimator_cloneable,
    check_estimator_repr,
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from analysis.themes import (
    CODES,
    Code,
    Codebook,
    CodebookError,
    ThemeClassifier,
    kappa_per_code,
    load_codebook,
    train,
)

SHIPPED = Path(__file__).resolve().parents[2] / "questionnaires" / "codebook.yaml"

# A small codebook in the shipped format, for fast and readable tests.
SMALL = textwrap.dedent(
    """\
    id: test
    title: Testkodebok
    codes:
      - code: plan
        label: Planer
        description: Planer, strategier og kunnskapsgrunnlag.
        seed_terms: [plan, strategi, kunnskapsgrunnlag, statistikk, handlingsplan]
        examples:
          - Vi har ingen plan for integrering og mangler statistikk.
          - Kommunen skal revidere strategien og trenger et bedre kunnskapsgrunnlag.
          - Me har ikkje ein eigen plan for integrering.
      - code: kvalifisering
        label: Kvalifisering
        description: Norskopplæring, utdanning og arbeid.
        seed_terms: [norskopplæring, lærlingplass, arbeidsgiver, voksenopplæring, praksisplass]
        examples:
          - Vi trenger flere lærlingplasser og praksisplasser hos arbeidsgivere.
          - Voksenopplæringen har for lite norskopplæring på kveldstid.
          - Det manglar praksisplassar for deltakarane.
      - code: sivilsamfunn
        label: Frivillighet
        description: Frivillighet, lag og foreninger, møteplasser.
        seed_terms: [frivillighet, frivilligsentral, idrettslag, bibliotek, språkkafé]
        examples:
          - Frivilligsentralen driver språkkafé på biblioteket.
          - Idrettslaget inkluderer nyankomne barn.
          - Laga og organisasjonane er viktige møtestader.
      - code: bosetting
        label: Bosetting
        description: Bosetting, anmodning, vedtak og kapasitet.
        seed_terms: [bosetting, bolig, anmodning, vedtak, kapasitet]
        examples:
          - Vi mangler boliger og kan ikke bosette flere.
          - Kommunestyret vedtok å bosette like mange som i fjor.
          - Kommunen treng fleire bustader for å busetje fleire.
      - code: sosial_kontroll
        label: Negativ sosial kontroll
        description: Negativ sosial kontroll, tvangsekteskap, æresrelatert vold.
        seed_terms: [negativ sosial kontroll, tvangsekteskap, minoritetsrådgiver, æresrelatert vold]
        examples:
          - Minoritetsrådgiveren hjelper skolene i saker om tvangsekteskap.
          - Ansatte trenger kompetanse om negativ sosial kontroll.
          - Vi har rutiner mot æresrelatert vold sammen med politiet.
      - code: samarbeid
        label: Samarbeid
        description: Samarbeid mellom kommune, fylke og stat.
        seed_terms: [samarbeid, nettverk, samskaping, kontaktperson, regionråd]
        examples:
          - Vi ønsker faste nettverksmøter med fylkeskommunen.
          - Fylket bør gi oss en kontaktperson og bedre samordning.
          - Me vil samarbeide meir med nabokommunane.
      - code: mangfold
        label: Mangfold
        description: Mangfold, rasisme, diskriminering, universell utforming.
        seed_terms: [mangfold, rasisme, diskriminering, universell utforming, inkludering]
        examples:
          - Vi jobber mot rasisme og diskriminering i skolen.
          - Informasjonen må være universelt utformet og på flere språk.
          - Me treng meir kunnskap om inkludering og mangfald.
    """
)


def write(tmp_path: Path, content: str, name: str = "codebook.yaml") -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def small_codebook(tmp_path_factory: pytest.TempPathFactory) -> Codebook:
    return load_codebook(write(tmp_path_factory.mktemp("codebook"), SMALL))


@pytest.fixture(scope="module")
def model(small_codebook: Codebook) -> ThemeClassifier:
    return train(small_codebook)


@pytest.fixture(scope="module")
def shipped_model() -> ThemeClassifier:
    return train(load_codebook(SHIPPED))


# --- the codebook ------------------------------------------------------------------------------------


def test_the_shipped_codebook_has_the_seven_codes_with_seed_terms_and_examples() -> None:
    codebook = load_codebook(SHIPPED)
    assert tuple(code.code for code in codebook.codes) == CODES
    for code in codebook.codes:
        assert code.label and code.description
        assert len(code.seed_terms) >= 5 and len(code.examples) >= 10, code.code


def test_codes_come_in_codes_order_whatever_the_file_order(tmp_path: Path) -> None:
    entries = SMALL.split("  - code: ")
    reordered = entries[0] + "  - code: " + "  - code: ".join(reversed(entries[1:]))
    codebook = load_codebook(write(tmp_path, reordered))
    assert tuple(code.code for code in codebook.codes) == CODES
    assert codebook["bosetting"].label == "Bosetting"
    with pytest.raises(KeyError):
        codebook["ukjent"]


def test_an_example_under_two_codes_trains_as_one_text_with_both(tmp_path: Path) -> None:
    both = "Vi trenger en plan for bosetting."
    content = SMALL.replace(
        "      - Vi har ingen plan for integrering og mangler statistikk.\n",
        f"      - Vi har ingen plan for integrering og mangler statistikk.\n      - {both}\n",
    ).replace(
        "      - Vi mangler boliger og kan ikke bosette flere.\n",
        f"      - Vi mangler boliger og kan ikke bosette flere.\n      - {both}\n",
    )
    texts, labels = load_codebook(write(tmp_path, content)).training_data()
    assert texts.count(both) == 1
    assert labels[texts.index(both)] == ["plan", "bosetting"]


def line_of(content: str, needle: str) -> int:
    return next(i for i, line in enumerate(content.splitlines(), start=1) if needle in line)


def test_an_unknown_code_is_refused_with_file_and_line(tmp_path: Path) -> None:
    content = SMALL.replace("code: mangfold", "code: inkludering")
    path = write(tmp_path, content)
    with pytest.raises(CodebookError) as raised:
        load_codebook(path)
    problems = raised.value.problems
    assert f"{path}:{line_of(content, 'code: inkludering')}: ukjent kode 'inkludering'" in problems[0]
    assert any("mangler kodene mangfold" in problem for problem in problems)


def test_a_missing_code_is_refused(tmp_path: Path) -> None:
    content = SMALL.split("  - code: mangfold")[0]
    with pytest.raises(CodebookError, match="mangler kodene mangfold"):
        load_codebook(write(tmp_path, content))


def test_a_duplicate_code_is_refused(tmp_path: Path) -> None:
    content = SMALL.replace("code: mangfold", "code: plan")
    with pytest.raises(CodebookError, match="«plan» står flere ganger"):
        load_codebook(write(tmp_path, content))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("seed_terms: [plan,", "seed_term: [plan,"), "ukjent felt «seed_term»"),
        (("label: Planer", "label: ''"), "«label» mangler eller er tom"),
        (("seed_terms: [plan,", "seed_terms: [7,"), "«seed_terms» må være en liste med tekster"),
        (("title: Testkodebok", "titel: Testkodebok"), "ukjent felt «titel»"),
        (("codes:", "koder:"), "«codes» må være en liste"),
    ],
)
def test_schema_problems_are_reported(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    with pytest.raises(CodebookError, match=message):
        load_codebook(write(tmp_path, SMALL.replace(*change, 1)))


def test_unreadable_codebooks_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CodebookError, match="kan ikke lese"):
        load_codebook(tmp_path / "missing.yaml")
    with pytest.raises(CodebookError, match=r"bad\.yaml:\d+: ikke gyldig YAML"):
        load_codebook(write(tmp_path, "id: x\ncodes: [\n", "bad.yaml"))
    with pytest.raises(CodebookError, match="må være en mapping"):
        load_codebook(write(tmp_path, "- plan\n", "list.yaml"))


# --- the classifier ----------------------------------------------------------------------------------------

ANSWERS = [
    "Kommunen mangler en strategi og har ingen statistikk å planlegge etter.",
    "Me treng fleire lærlingplassar og meir norskopplæring.",
    "Biblioteket og frivilligsentralen har språkkafé hver uke.",
    "Vi har ikke boliger nok til å bosette flere neste år.",
    "Skolene trenger hjelp med negativ sosial kontroll og tvangsekteskap.",
    "Vi ønsker et nettverk og en kontaktperson i fylkeskommunen.",
    "Det trengs mer arbeid mot rasisme og diskriminering.",
]


def test_the_model_codes_clear_answers(model: ThemeClassifier) -> None:
    assert model.predict(ANSWERS) == [[code] for code in CODES]


def test_probabilities_have_a_column_per_code_in_codes_order(model: ThemeClassifier) -> None:
    proba = model.predict_proba(ANSWERS)
    assert proba.shape == (7, 7)
    assert list(model.classes_) == list(CODES)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert (proba.argmax(axis=1) == np.arange(7)).all()
    np.testing.assert_allclose(model.decision_function(ANSWERS), np.log(proba / (1 - proba)))


def test_fitting_is_deterministic(small_codebook: Codebook, model: ThemeClassifier) -> None:
    again = train(small_codebook)
    np.testing.assert_array_equal(again.predict_proba(ANSWERS), model.predict_proba(ANSWERS))
    np.testing.assert_array_equal(again.coef_, model.coef_)


def test_answers_without_content_get_no_code(model: ThemeClassifier) -> None:
    empty = ["", "   ", "2024", "og det er", "?!"]
    assert model.predict(empty) == [[]] * len(empty)
    assert (model.predict_proba(empty) == 0).all()


def test_an_answer_that_says_it_has_none_gets_no_code(shipped_model: ThemeClassifier) -> None:
    """«Vet ikke» is no theme; before, the shipped model suggested `plan` for «Eg veit ikkje.» at 0.72."""
    none = [
        "Vet ikke.",
        "Eg veit ikkje.",
        "Ingen kommentar.",
        "Ikkje aktuelt for oss.",
        "Dette har vi ikke tatt stilling til ennå.",
        "Vet ikke, har ikke oversikt.",
    ]
    assert shipped_model.predict(none) == [[]] * len(none)
    assert (shipped_model.predict_proba(none) == 0).all()
    # A short answer with something in it is still coded.
    assert shipped_model.predict(["Vet ikke hvordan vi skal lage en plan for integrering."]) == [["plan"]]


def test_a_long_answer_keeps_a_theme_raised_in_one_sentence(model: ThemeClassifier) -> None:
    answer = (
        "Kommunen trenger flere boliger til dem vi skal bosette. Kommunestyret har vedtatt samme tall som i fjor. "
        "Vi har kapasitet i skolene. Vi trenger også en kontaktperson i fylket."
    )
    assert "samarbeid" in model.predict([answer])[0]
    whole_only = copy.deepcopy(model).set_params(sentences=False)
    column = CODES.index("samarbeid")
    assert model.predict_proba([answer])[0, column] > whole_only.predict_proba([answer])[0, column]


def test_the_threshold_and_fallback_rule(model: ThemeClassifier) -> None:
    proba = np.array(
        [
            [0.9, 0.45, 0.1, 0, 0, 0, 0],  # all codes at the threshold or above
            [0.3, 0.1, 0.1, 0, 0, 0, 0],  # none: the best, since it reaches the fallback
            [0.15, 0.1, 0.1, 0, 0, 0, 0],  # none, and the best is below the fallback
            [0.0, 0.0, 0.0, 0, 0, 0, 0],
        ]
    )
    assert model.codes_from_proba(proba) == [["plan", "kvalifisering"], ["plan"], [], []]
    strict = clone(model).set_params(threshold=0.95, fallback=0.95)
    strict.fit(["Vi har en plan."], [["plan"]])
    assert strict.codes_from_proba(proba) == [[], [], [], []]


def test_a_code_with_no_positive_example_is_never_suggested() -> None:
    model = ThemeClassifier(calibration=None).fit(
        ["Vi har en plan.", "Vi trenger boliger.", "Planen er ny.", "Boliger mangler."],
        [["plan"], ["bosetting"], ["plan"], ["bosetting"]],
    )
    proba = model.predict_proba(["Vi trenger en plan for boliger og mangfold."])
    assert proba.shape == (1, 7)
    unseen = [CODES.index(code) for code in CODES if code not in ("plan", "bosetting")]
    assert (proba[:, unseen] == 0).all()
    assert model.predict(["mangfold mangfold"]) in ([[]], [["plan"]], [["bosetting"]])


def test_fit_refuses_bad_input() -> None:
    model = ThemeClassifier()
    with pytest.raises(ValueError, match="unknown codes"):
        model.fit(["Vi har en plan."], [["planer"]])
    with pytest.raises(ValueError, match="2 code lists"):
        model.fit(["Vi har en plan."], [["plan"], []])
    with pytest.raises(ValueError, match="single string"):
        model.fit("Vi har en plan.", [["plan"]])
    with pytest.raises(TypeError, match="Expected texts"):
        model.fit([3], [["plan"]])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="content word"):
        model.fit(["og", "2024"], [["plan"], []])
    with pytest.raises(NotFittedError):
        model.predict(["Vi har en plan."])


def test_score_is_subset_accuracy(model: ThemeClassifier) -> None:
    assert model.score(ANSWERS, [[code] for code in CODES]) == 1.0
    assert model.score(ANSWERS[:2], [["plan"], ["plan"]]) == 0.5


@pytest.mark.parametrize(
    "check",
    [
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
        check_get_params_invariance,
        check_set_params,
        check_estimator_cloneable,
        check_estimator_repr,
    ],
)
def test_sklearn_api_checks_that_take_no_data(check) -> None:  # type: ignore[no-untyped-def]
    # The data checks feed numeric matrices and one label per row; this estimator reads texts and
    # predicts a list of codes per text, so only scikit-learn's API checks apply.
    check("ThemeClassifier", ThemeClassifier())


# --- training with staff codings -------------------------------------------------------------------------


def test_the_model_learns_from_confirmed_codings(small_codebook: Codebook, model: ThemeClassifier) -> None:
    answer = "Kvenangen-modellen bør videreføres."
    assert model.predict([answer]) == [[]]
    confirmed = [
        ("Kvenangen-modellen bør brukes i hele regionen.", ["samarbeid"]),
        ("Vi vil gjerne lære mer om Kvenangen-modellen.", ["samarbeid"]),
        ("Kvenangen-modellen er et godt eksempel.", ["samarbeid"]),
    ]
    assert train(small_codebook, confirmed).predict([answer]) == [["samarbeid"]]


def test_later_confirmations_and_staff_codings_win(small_codebook: Codebook) -> None:
    example = small_codebook["plan"].examples[0]
    fixed = train(
        small_codebook,
        [
            (example, ["bosetting"]),
            ("Ny tekst om boliger.", ["plan"]),
            ("Ny tekst om boliger.", ["bosetting"]),
        ],
        classifier=ThemeClassifier(calibration=None),
    )
    assert fixed.get_params()["calibration"] is None
    # Both corrections are in: the example is now a bosetting text, the repeated text counted once.
    assert fixed.predict_proba([example])[0, CODES.index("bosetting")] > 0.5


def test_shipped_codebook_model_codes_both_written_standards(shipped_model: ThemeClassifier) -> None:
    assert shipped_model.predict(
        [
            "Kommunen har ikkje nok bustader til å busetje fleire flyktningar.",
            "Vi trenger flere lærlingplasser.",
        ]
    ) == [["bosetting"], ["kvalifisering"]]


# --- agreement ----------------------------------------------------------------------------------------------


def test_kappa_hand_computed() -> None:
    # plan: machine yes on answers 1-5, staff on 1-4 and 6 → observed 0.8, chance 0.5 → kappa 0.6.
    machine = [["plan"]] * 5 + [[]] * 5
    staff = [["plan"]] * 4 + [[], ["plan"]] + [[]] * 4
    kappa = kappa_per_code(machine, staff)
    assert kappa["plan"] == pytest.approx(0.6)
    # Nobody used the other codes: agreement is certain by chance, so kappa is undefined.
    assert all(kappa[code] is None for code in CODES if code != "plan")


def test_kappa_perfect_and_opposite_and_unbalanced() -> None:
    codes = [["plan", "mangfold"], ["plan"], [], ["mangfold"]]
    assert kappa_per_code(codes, codes)["plan"] == 1.0
    flipped = [["mangfold"], [], ["plan"], ["plan", "mangfold"]]
    assert kappa_per_code(codes, flipped)["plan"] == -1.0
    # bosetting: machine says yes once of four, staff never: observed 0.75, chance 0.75 → 0.
    assert kappa_per_code([["bosetting"], [], [], []], [[], [], [], []])["bosetting"] == 0.0


def test_kappa_refuses_bad_input_and_is_none_without_answers() -> None:
    assert kappa_per_code([], []) == dict.fromkeys(CODES)
    with pytest.raises(ValueError, match="machine codings"):
        kappa_per_code([["plan"]], [])
    with pytest.raises(ValueError, match="unknown codes"):
        kappa_per_code([["planer"]], [["plan"]])


def test_code_is_a_plain_value() -> None:
    code = Code(code="plan", label="Planer", description="…")
    assert code.seed_terms == () and code.examples == ()
