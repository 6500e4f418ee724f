"""Topic coverage counts a question's topic in full and a long story's circumstances less (pure logic)."""
import math

import pytest

from rag.search.confidence import coverage, topic_weight


@pytest.mark.parametrize("n, expected", [(1, 1), (10, 10), (11, 11), (14, 10 + 2), (35, 10 + 5)])
def test_terms_beyond_the_topic_size_count_as_their_square_root(n, expected):
    assert math.isclose(topic_weight(n, 10), expected)


def test_a_short_question_is_covered_term_for_term():
    assert coverage(["kiem", "dinh", "can"], {"kiem", "dinh", "kiem dinh"}, topic_size=10) == (2 / 3, 1 / 2)


def test_a_long_story_is_not_uncovered_for_its_length_alone():
    topic = ["kiem", "dinh", "can", "dien", "tu"]
    story = [f"chi{i}" for i in range(20)]  # circumstances no clause repeats
    seen = set(topic) | {"kiem dinh", "dinh can", "can dien", "dien tu"}
    cov1, cov2 = coverage(topic + story, seen, topic_size=10)
    assert cov1 == pytest.approx(5 / (10 + math.sqrt(15)))
    assert cov2 == pytest.approx(4 / (10 + math.sqrt(14)))
    assert (cov1, cov2) > coverage(topic + story, seen, topic_size=100)  # counted in full: 5/25, 4/24
