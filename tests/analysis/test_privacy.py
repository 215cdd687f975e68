"""Masking personal data: fødselsnummer, phone numbers, e-mail addresses and names, and what is left alone."""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from analysis.privacy import KINDS, Finding, PersonalDataMasker, find, is_fnr, mask

# --- fødselsnummer: a check-digit helper written apart from the module, to test it against ---------


def check_digits(first_nine: str) -> str | None:
    """The two check digits of a fødselsnummer, or None when the first nine digits have none."""
    d = [int(c) for c in first_nine]
    k1 = (
        11
        - (3 * d[0] + 7 * d[1] + 6 * d[2] + 1 * d[3] + 8 * d[4] + 9 * d[5] + 4 * d[6] + 5 * d[7] + 2 * d[8])
        % 11
    )
    k1 = 0 if k1 == 11 else k1
    if k1 == 10:
        return None
    d.append(k1)
    k2 = (
        11
        - (
            5 * d[0]
            + 4 * d[1]
            + 3 * d[2]
            + 2 * d[3]
            + 7 * d[4]
            + 6 * d[5]
            + 5 * d[6]
            + 4 * d[7]
            + 3 * d[8]
            + 2 * k1
        )
        % 11
    )
    k2 = 0 if k2 == 11 else k2
    return None if k2 == 10 else f"{k1}{k2}"


def make_fnr(day: int, month: int, year: int, individual: int) -> str | None:
    first_nine = f"{day:02d}{month:02d}{year:02d}{individual:03d}"
    digits = check_digits(first_nine)
    return None if digits is None else first_nine + digits


def first_valid(day: int, month: int, year: int) -> str:
    return next(fnr for i in range(1000) if (fnr := make_fnr(day, month, year, i)) is not None)


FNR = first_valid(15, 5, 87)
D_NUMBER = first_valid(15 + 40, 5, 87)
# Synthetic test numbers (Skatteetaten's have month + 80, NAV's month + 40), valid by construction.
SYNTHETIC = ["23906799537", "03432287806"]


def test_the_helper_and_the_module_agree_on_known_numbers() -> None:
    for number in (FNR, D_NUMBER, *SYNTHETIC):
        assert check_digits(number[:9]) == number[9:]
        assert is_fnr(number)


@pytest.mark.parametrize("number", [FNR, D_NUMBER, *SYNTHETIC])
@pytest.mark.parametrize("written", ["{0}", "{1} {2}", "{1}.{2}", "{1}\u00a0{2}"])
def test_valid_fodselsnummer_is_masked_however_written(number: str, written: str) -> None:
    text = "Fødselsnummeret er " + written.format(number, number[:6], number[6:]) + ", skriv det ikke her."
    assert mask(text) == "Fødselsnummeret er [fødselsnummer], skriv det ikke her."


def test_d_number_has_day_plus_40() -> None:
    assert int(D_NUMBER[:2]) == 55
    assert mask(f"D-nummer {D_NUMBER}") == "D-nummer [fødselsnummer]"


def wrong_second_check_digit(number: str) -> str:
    return number[:10] + str((int(number[10]) + 1) % 10)


def wrong_first_check_digit(number: str) -> str:
    return number[:9] + str((int(number[9]) + 1) % 10) + number[10]


@pytest.mark.parametrize(
    "number",
    [
        wrong_second_check_digit(FNR),
        wrong_first_check_digit(FNR),
        wrong_second_check_digit(D_NUMBER),
        "12345678901",
        "00000000000",
    ],
)
def test_eleven_digits_with_wrong_check_digits_are_left_alone(number: str) -> None:
    assert not is_fnr(number)
    assert mask(f"Saksnummer {number}") == f"Saksnummer {number}"


def test_check_digits_right_but_no_date_is_left_alone() -> None:
    day_zero = first_valid(0, 5, 87)
    month_13 = first_valid(15, 13, 87)
    assert not is_fnr(day_zero) and not is_fnr(month_13)
    assert mask(f"{day_zero} og {month_13}") == f"{day_zero} og {month_13}"


def test_fodselsnummer_inside_a_longer_number_is_left_alone() -> None:
    assert mask(f"KID 9{FNR}3") == f"KID 9{FNR}3"


@st.composite
def valid_fnr_as_written(draw: st.DrawFn) -> str:
    day = draw(st.integers(1, 31)) + draw(st.sampled_from([0, 40]))
    month = draw(st.integers(1, 12)) + draw(st.sampled_from([0, 40, 80]))
    number = make_fnr(day, month, draw(st.integers(0, 99)), draw(st.integers(0, 999)))
    if number is None:
        number = first_valid(day, month, 0)
    separator = draw(st.sampled_from(["", " ", ".", "\u00a0"]))
    return number[:6] + separator + number[6:]


@given(
    prefix=st.text().filter(lambda s: not s[-1:].isdigit()),
    fnr=valid_fnr_as_written(),
    suffix=st.text().filter(lambda s: not s[:1].isdigit()),
)
def test_any_valid_fodselsnummer_in_any_text_is_masked(prefix: str, fnr: str, suffix: str) -> None:
    start, end = len(prefix), len(prefix) + len(fnr)
    # Covered by a finding: an fnr, or an e-mail address the digits are part of («x@y.{fnr}z.no»).
    assert any(f.start <= start and end <= f.end for f in find(prefix + fnr + suffix))


# --- phone numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        "41234567",
        "22334455",
        "41 23 45 67",
        "412 34 567",
        "412\u00a034\u00a0567",
        "+47 41234567",
        "+4741234567",
        "+47 41 23 45 67",
        "+47 412 34 567",
        "0047 41234567",
        "0047 412 34 567",
        "80012345",
    ],
)
def test_phone_numbers_are_masked_in_every_format(phone: str) -> None:
    assert mask(f"Ring {phone}.") == "Ring [telefon]."
    assert mask(f"tlf:{phone}") == "tlf:[telefon]"


@pytest.mark.parametrize(
    "text",
    [
        "I 2024 og 2025",
        "Kommunenummer 3005 og 3024",
        "Vi fikk kr 150 000 i tilskudd",
        "12 345 deltakere",
        "Org.nr. 974 543 245 og 974543245",
        "Tilskuddet var kr 25000000",
        "Budsjettet er 25000000 kroner",
        "Beløpet er 25000000,-",
        "12 345 678 kroner",
        "Nummeret 12345678 begynner på 1",
        "Nummeret 01234567 begynner på 0",
        "Konto 1234 56 78903",
        "Kode 12 34 56 78 90",
        "Ni sifre 412345678",
        "Postnummer 3570 Ål",
        "Dato 24.12.2024, klokka 12:30",
    ],
)
def test_numbers_that_are_not_phone_numbers_are_left_alone(text: str) -> None:
    assert mask(text) == text


def test_phone_numbers_in_a_list_are_each_masked() -> None:
    assert mask("tlf 41234567,98765432 / 22 33 44 55") == "tlf [telefon],[telefon] / [telefon]"


def test_finding_spans_point_into_the_text() -> None:
    text = "Ring 412 34 567 eller skriv til ola@lier.kommune.no"
    assert find(text) == [Finding("phone", 5, 15), Finding("email", 32, 51)]
    assert [text[f.start : f.end] for f in find(text)] == ["412 34 567", "ola@lier.kommune.no"]


# --- e-mail addresses ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("kari.nordmann@lier.kommune.no", "[e-post]"),
        ("Skriv til post+innspill@viken.no.", "Skriv til [e-post]."),
        ("(ola_h@bø.kommune.no)", "([e-post])"),
        ("Send til 41234567@sms.example.com", "Send til [e-post]"),
        ("Ingen adresse: @viken og a@b", "Ingen adresse: @viken og a@b"),
    ],
)
def test_email_addresses_are_masked(text: str, masked: str) -> None:
    assert mask(text) == masked


# --- names --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Kontaktperson er rådgiver Kari Nordmann i Lier.", "Kontaktperson er rådgiver [navn] i Lier."),
        ("Kontaktperson: Ola", "Kontaktperson: [navn]"),
        ("Ring Per Olsen om dette", "Ring [navn] om dette"),
        ("Spør Ahmed, han vet", "Spør [navn], han vet"),
        ("Hilsen Ingrid", "Hilsen [navn]"),
        (
            "Med vennlig hilsen\nFatima Ali Hassan\nminoritetsrådgiver",
            "Med vennlig hilsen\n[navn]\nminoritetsrådgiver",
        ),
        ("Frivilligsentralen v/ Anne-Lise Berg", "Frivilligsentralen v/ [navn]"),
        ("v/Kari", "v/[navn]"),
        ("c/o Ola Hansen", "c/o [navn]"),
        ("Navn: Mohammed Khan", "Navn: [navn]"),
        ("Ta kontakt med Zygmunt Nowak", "Ta kontakt med [navn]"),
        ("daglig leder Torbjørn Haugland", "daglig leder [navn]"),
    ],
)
def test_names_after_a_cue_are_masked(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Kari Nordmann sa at det gikk bra.", "[navn] sa at det gikk bra."),
        ("Møtet med Hans Petter Hansen var nyttig.", "Møtet med [navn] var nyttig."),
        ("Anne-Lise Berg og Ahmed Yusuf kom.", "[navn] og [navn] kom."),
        ("Vi snakket med Olena Kovalenko.", "Vi snakket med [navn]."),
    ],
)
def test_a_given_name_with_a_surname_is_masked(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Eg har snakka med rådgjevar Ingrid Haugen på Ål.", "Eg har snakka med rådgjevar [navn] på Ål."),
        ("Helsing Sigrid Bø", "Helsing [navn]"),
        ("Spør leiar Olav Vinje, han veit kva vi treng.", "Spør leiar [navn], han veit kva vi treng."),
        ("Kontaktperson er sakshandsamar Rahim", "Kontaktperson er sakshandsamar [navn]"),
    ],
)
def test_names_in_nynorsk_are_masked(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "Vi samarbeider med Frivilligsentralen og Røde Kors.",
        "Kontakt Frivilligsentralen eller NAV.",
        "Spør Røde Kors om leksehjelp.",
        "Ta kontakt med Kirkens Bymisjon.",
        "Ring Integreringstjenesten eller Voksenopplæringen.",
        "Hilsen Ål kommune",
        "Med vennlig hilsen Lier kommune",
        "Kontakt Sauda kommune for mer informasjon.",
        "Ål og Lier har vedtatt å bosette flere.",
        "I januar og Mai arrangerer vi kurs.",
        "Kari sa ja.",
        "Per i dag har vi ingen avtale.",
        "Kommunen har en plan. Frivilligheten er sterk.",
        "Introduksjonsprogrammet og Husbanken",
        "Kontaktperson: Rådgiveren",
        "Ring oss.",
        "Rådgiver Med Mer",
        "kari nordmann skrev dette",
    ],
)
def test_places_organisations_and_ordinary_words_are_left_alone(text: str) -> None:
    assert mask(text) == text


# --- mask and find ------------------------------------------------------------------------------------


def test_kinds_limit_what_is_masked() -> None:
    text = f"Kari Nordmann, {FNR}, 41234567, kari@lier.no"
    assert mask(text, kinds=("email",)) == f"Kari Nordmann, {FNR}, 41234567, [e-post]"
    assert mask(text, kinds=("fnr", "phone")) == "Kari Nordmann, [fødselsnummer], [telefon], kari@lier.no"
    assert mask(text) == "[navn], [fødselsnummer], [telefon], [e-post]"


def test_unknown_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown kinds"):
        mask("tekst", kinds=("address",))  # type: ignore[arg-type]


_FRAGMENTS = st.sampled_from(
    [
        *("Kari", "Nordmann", "Per", "Ola", "Hansen", "Anne-Lise", "Ål", "Lier", "Røde", "Kors"),
        *("ring", "Ring", "hilsen", "v/", "rådgiver", "kontakt", "med", "Kontaktperson:", "kommune"),
        *("41234567", "41 23 45 67", "412 34 567", "+47", "0047", "kr", "2024", "12", "345", FNR, D_NUMBER),
        *(FNR[:6], FNR[6:], "@", ".", ",", ":", "-", "/", "_", "[", "]", "no", "ola@lier.no"),
        *(" ", " ", " ", "\n", "\u00a0", "[navn]", "[telefon]", "[e-post]", "[fødselsnummer]"),
    ]
)
_TEXTS = st.one_of(st.text(), st.lists(st.one_of(_FRAGMENTS, st.text(max_size=3))).map("".join))


@given(_TEXTS)
def test_mask_is_idempotent(text: str) -> None:
    once = mask(text)
    assert mask(once) == once


@given(_TEXTS)
def test_findings_are_ordered_and_do_not_overlap(text: str) -> None:
    findings = find(text)
    assert all(a.end <= b.start for a, b in itertools.pairwise(findings))
    assert all(0 <= f.start < f.end <= len(text) and f.kind in KINDS for f in findings)


# --- scikit-learn -------------------------------------------------------------------------------------

_NUMERIC_OUTPUT = (
    "compares outputs with assert_allclose; the output is masked text, compared here by equality"
)


def _expected_failed_checks(estimator: object) -> dict[str, str]:
    return {
        "check_fit1d": "1-D input is the usual case: a sequence of texts, not a column vector",
        **dict.fromkeys(
            [
                "check_transformer_general",
                "check_transformer_data_not_an_array",
                "check_pipeline_consistency",
                "check_estimators_pickle",
                "check_methods_sample_order_invariance",
                "check_methods_subset_invariance",
                "check_fit_idempotent",
            ],
            _NUMERIC_OUTPUT,
        ),
    }


@parametrize_with_checks(
    [PersonalDataMasker(), PersonalDataMasker(kinds=("fnr", "email"))],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_conventions(estimator: object, check: object) -> None:
    check(estimator)  # type: ignore[operator]


TEXTS = ["Ring Kari Nordmann på 41234567.", f"Fnr {FNR}", "Ingenting her", "skriv til ola@lier.no"]
MASKED = ["Ring [navn] på [telefon].", "Fnr [fødselsnummer]", "Ingenting her", "skriv til [e-post]"]


def test_transformer_masks_a_sequence_of_texts_without_fitting() -> None:
    out = PersonalDataMasker().transform(TEXTS)
    assert out.dtype == object and out.shape == (4,)
    assert list(out) == MASKED


def test_transformer_keeps_the_order_and_any_subset() -> None:
    masker = PersonalDataMasker()
    assert list(masker.fit_transform(TEXTS[::-1])) == MASKED[::-1]
    assert list(masker.transform(TEXTS[1:3])) == MASKED[1:3]


def test_transformer_masks_text_columns_and_blanks_missing_cells() -> None:
    masker = PersonalDataMasker().fit(np.array([["a", "b"]], dtype=object))
    out = masker.transform(np.array([[TEXTS[0], None], [float("nan"), TEXTS[3]]], dtype=object))
    assert out.tolist() == [[MASKED[0], ""], ["", MASKED[3]]]
    with pytest.raises(ValueError, match="expecting 2 features"):
        masker.transform(np.array([["a"]], dtype=object))


def test_transformer_kinds() -> None:
    assert list(PersonalDataMasker(kinds=("phone",)).transform(TEXTS[:1])) == [
        "Ring Kari Nordmann på [telefon]."
    ]
    with pytest.raises(ValueError, match="unknown kinds"):
        PersonalDataMasker(kinds=("address",)).fit(TEXTS)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tuple of kinds"):
        PersonalDataMasker(kinds="email").transform(TEXTS)  # type: ignore[arg-type]


def test_transformer_refuses_a_single_string() -> None:
    with pytest.raises(ValueError, match="single string"):
        PersonalDataMasker().transform("Ring 41234567")


def test_transformer_survives_clone_and_pickle() -> None:
    masker = PersonalDataMasker(kinds=("name",))
    for copy in (clone(masker), pickle.loads(pickle.dumps(masker))):
        assert copy.get_params() == {"kinds": ("name",)}
        assert list(copy.transform(TEXTS)) == list(masker.transform(TEXTS))


def test_no_personal_data_reaches_the_vectorizer() -> None:
    pipeline = make_pipeline(PersonalDataMasker(), TfidfVectorizer())
    pipeline.fit(TEXTS)
    vocabulary = pipeline[-1].vocabulary_
    assert {"navn", "telefon", "post"} <= set(vocabulary)
    assert not {"kari", "nordmann", "41234567", "ola", "lier"} & set(vocabulary)
