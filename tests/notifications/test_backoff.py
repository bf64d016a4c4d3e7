"""backoff_seconds: exponential, capped, with equal jitter. Pure arithmetic."""

from __future__ import annotations

import random

import pytest

from notifications.tasks import backoff_seconds


@pytest.mark.parametrize(("attempt", "nominal"), [(1, 30), (2, 60), (3, 120), (4, 240), (7, 1920)])
def test_it_doubles_per_attempt_between_half_and_full_nominal_delay(attempt, nominal):
    assert backoff_seconds(attempt, rand=lambda: 0.0) == nominal / 2
    assert backoff_seconds(attempt, rand=lambda: 1.0) == nominal


def test_it_is_capped():
    assert backoff_seconds(30, rand=lambda: 1.0) == 3600
    assert backoff_seconds(30, rand=lambda: 0.0) == 1800
    assert backoff_seconds(5, base=10, cap=50, rand=lambda: 1.0) == 50


def test_attempt_zero_or_less_counts_as_the_first():
    assert backoff_seconds(0, rand=lambda: 1.0) == 30


def test_jitter_stays_within_its_bounds_and_spreads():
    rng = random.Random(4)
    delays = [backoff_seconds(3, rand=rng.random) for _ in range(500)]
    assert all(60 <= d <= 120 for d in delays)
    assert max(delays) - min(delays) > 40  # not all the same: retries of a burst spread out
