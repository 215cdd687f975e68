"""New themes: topics among poorly covered answers, deterministic and sensible on tiny inputs."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.topics import MIN_TOPIC_SIZE, Topic, discover_topics, poorly_covered

HOUSING = [
    "Vi mangler boliger til flyktninger som skal bosettes.",
    "Boligmarkedet er stramt, og utleiere vil ikke leie ut boliger.",
    "Kommunen må kjøpe flere boliger før vi kan bosette flere.",
    "Det er for få kommunale boliger og lange ventelister.",
]
TRANSPORT = [
    "Bussen går for sjelden til at deltakerne rekker kurset.",
    "Deltakerne trenger busskort for å komme seg til kurset.",
    "Uten buss og skyss kommer ingen seg til kurs om kvelden.",
    "Skyss og bussruter passer dårlig med kurset.",
]
ANSWERS = HOUSING + TRANSPORT


def test_topics_separate_two_themes_with_terms_examples_and_sizes() -> None:
    topics = discover_topics(ANSWERS, n_topics=2, top_terms=4, examples=2)
    assert len(topics) == 2
    housing, transport = sorted(topics, key=lambda topic: "bolig" not in topic.terms)
    assert "bolig" in housing.terms and "skyss" in transport.terms
    assert set(housing.examples) <= set(HOUSING) and len(housing.examples) == 2
    assert set(transport.examples) <= set(TRANSPORT)
    assert housing.size == transport.size == 4
    assert all(len(topic.terms) <= 4 for topic in topics)
    assert sum(topic.size for topic in topics) == len(ANSWERS)


def test_topics_are_deterministic_and_largest_first() -> None:
    answers = [*ANSWERS, *HOUSING[:2]]
    first = discover_topics(answers, n_topics=3)
    assert (
        first
        == discover_topics(answers, n_topics=3)
        == discover_topics(list(answers), n_topics=3, random_state=0)
    )
    sizes = [topic.size for topic in first]
    assert sizes == sorted(sizes, reverse=True)
    assert all(isinstance(topic, Topic) and topic.size >= MIN_TOPIC_SIZE for topic in first)


@pytest.mark.parametrize(
    "answers",
    [[], ["Boliger."], ["", "   ", "2024", "og det er"], ["Nei.", ""]],
)
def test_too_little_text_gives_no_topics(answers: list[str]) -> None:
    assert discover_topics(answers) == []


def test_fewer_texts_than_topics_gives_fewer_topics() -> None:
    topics = discover_topics(ANSWERS[:5], n_topics=6)
    assert 1 <= len(topics) <= 5 // MIN_TOPIC_SIZE
    assert discover_topics(["Vi trenger boliger.", "Boliger mangler."]) == [
        Topic(
            terms=["bolig", "mangle", "trenge"], examples=["Vi trenger boliger.", "Boliger mangler."], size=2
        )
    ]


def test_negations_are_not_topic_terms_and_examples_are_not_repeated() -> None:
    answers = ["Ikke nok boliger.", "Ikke nok boliger.", "Ingen boliger ledige.", "Aldri nok boliger."]
    (topic,) = discover_topics(answers, n_topics=1)
    assert not {"ikke", "ingen", "aldri"} & set(topic.terms)
    assert sorted(topic.examples) == ["Aldri nok boliger.", "Ikke nok boliger.", "Ingen boliger ledige."]


def test_topic_arguments_are_checked() -> None:
    with pytest.raises(ValueError):
        discover_topics(ANSWERS, n_topics=0)
    with pytest.raises(ValueError):
        discover_topics(ANSWERS, examples=-1)


def test_poorly_covered_picks_answers_whose_best_theme_is_unlikely() -> None:
    texts = ["godt dekket", "dårlig dekket", "   ", "på grensen", "dårlig igjen"]
    proba = np.array(
        [
            [0.9, 0.1],
            [0.2, 0.3],
            [0.0, 0.0],  # blank: nothing to discover
            [0.35, 0.1],  # at the threshold counts as covered
            [0.0, 0.0],
        ]
    )
    assert poorly_covered(texts, proba) == [1, 4]
    assert poorly_covered(texts, proba, threshold=0.5) == [1, 3, 4]
    assert poorly_covered([], np.zeros((0, 7))) == []
    with pytest.raises(ValueError, match="one row per text"):
        poorly_covered(texts, proba[:2])
