"""Live workers are counted from their heartbeats in RATE_KEY: fresh entries only."""

from reviewbot.protocol import live_workers


def test_only_workers_that_beat_within_the_window_are_alive():
    rates = {
        "busy": "120.5 1000",
        "idle": "0.0 995",
        "killed": "80.0 900",
        "garbage": "not a rate",
    }
    assert live_workers(rates, now=1000.0, fresh_s=10) == 2
    assert live_workers(rates, now=1000.0, fresh_s=200) == 3
    assert live_workers({}, now=1000.0, fresh_s=10) == 0
