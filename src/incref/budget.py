"""One wall-clock budget for a whole command: reading, compiling, unrolling, expanding
and exploring all run under `--timeout`.

SPIN and herd7 either finish or say they did not; incref's promise is the same under any
input: when the budget runs out the answer is *incomplete* (exit 3), on time. Two
mechanisms keep it:

* **checks** — `check(stage)` between stages and inside every loop whose length the
  input decides (unrolling `repeat`/`while`, copying threads, expanding a scheme), and
  the engines' own deadline checks inside their searches;
* **a backstop** — a timer (POSIX `setitimer`, main thread only) that raises
  `OutOfTime` a little after the deadline, for the stretches no check reaches (a parser
  on a large file, one long engine step). The engines' results are then lost, and the
  answer is an empty incomplete one, still on time.

The deadline lives in a context variable, so the front ends need no budget parameter
and a worker thread or process starts without one.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_deadline: ContextVar[float | None] = ContextVar("incref_deadline", default=None)
_stage: ContextVar[str] = ContextVar("incref_stage", default="starting up")

# The timer fires this long after the deadline: the checks should end the work first.
BACKSTOP_GRACE = 0.05
# `--max-states` with no `--timeout` still ends: a state budget alone can take minutes on
# an axiomatic model (45-51 s for --max-states 100000 on armv8/rc11, issue 12).
DEFAULT_SECONDS_WITH_MAX_STATES = 60.0


class OutOfTime(Exception):
    """The budget ran out during `stage` (a phrase: "reading the input", "unrolling")."""

    def __init__(self, stage: str):
        super().__init__(stage)
        self.stage = stage

    def __str__(self) -> str:
        return f"time budget reached while {self.stage}"


def check(stage: str) -> None:
    """Raise `OutOfTime(stage)` when the current budget has run out (cheap: one clock read)."""
    deadline = _deadline.get()
    if deadline is not None:
        _stage.set(stage)
        if time.monotonic() >= deadline:
            raise OutOfTime(stage)


def remaining() -> float | None:
    """Seconds left in the current budget (None: no budget; never below 0)."""
    deadline = _deadline.get()
    return None if deadline is None else max(0.0, deadline - time.monotonic())


@contextmanager
def limit(seconds: float | None, *, since_process_start: bool = True) -> Iterator[None]:
    """Run the block under a budget of `seconds`, counted from the start of this process
    (the interpreter's start-up is part of what the user waits for) or from now. A
    budget already in force is never extended. `None` is no budget."""
    if seconds is None:
        yield
        return
    start = time.monotonic() - (process_age() if since_process_start else 0.0)
    deadline = start + seconds
    outer = _deadline.get()
    if outer is not None:
        deadline = min(deadline, outer)
    token, stage = _deadline.set(deadline), _stage.set("starting up")
    try:
        with _backstop(deadline):
            yield
    finally:
        _deadline.reset(token)
        _stage.reset(stage)


@contextmanager
def _backstop(deadline: float) -> Iterator[None]:
    usable = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    if not usable:
        yield
        return

    def on_timer(signum, frame):
        raise OutOfTime(_stage.get())  # the last stage that checked the budget

    previous_handler = signal.signal(signal.SIGALRM, on_timer)
    previous_timer = signal.getitimer(signal.ITIMER_REAL)
    signal.setitimer(signal.ITIMER_REAL, max(0.001, deadline - time.monotonic() + BACKSTOP_GRACE))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_timer[0] > 0:  # an outer timer (a test harness's watchdog) keeps running
            signal.setitimer(signal.ITIMER_REAL, *previous_timer)


def process_age() -> float:
    """Seconds since this process started (Linux /proc; 0 where unavailable)."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0
