"""time_limit: interrupts Python code in the main thread; no limit where signals cannot work."""

from __future__ import annotations

import contextlib
import threading
import time

import pytest

from integrations.ics.timelimit import OutOfTime, time_limit


def spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_time_limit_interrupts_the_block() -> None:
    began = time.monotonic()
    with pytest.raises(OutOfTime), time_limit(0.05):
        spin(5)
    assert time.monotonic() - began < 2


def test_time_limit_not_caught_as_exception() -> None:
    def swallow() -> None:
        # What library code does: it must not swallow the limit.
        with contextlib.suppress(Exception):
            spin(5)

    with pytest.raises(OutOfTime), time_limit(0.05):
        swallow()


def test_time_limit_disarmed_after_the_block() -> None:
    with time_limit(0.05):
        pass
    spin(0.15)  # no alarm left behind


def test_time_limit_none_or_outside_main_thread_no_limit() -> None:
    done: list[bool] = []

    def work() -> None:
        with time_limit(0.01):
            spin(0.1)
        done.append(True)

    with time_limit(None):
        spin(0.05)
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert done == [True]
