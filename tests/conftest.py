"""Helpers the tests share: running the `incref` command in-process as the console script
does, the one-line error every bad input must give, writing an input file, and facts
about this machine (a C compiler, the bundled litmus catalogue), and small random programs
for the property tests (`programs`: two threads of loads, stores, RMWs and fences)."""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import strategies as st

from hardware_support import HAVE_CC  # noqa: F401 (shared with the CLI tests)
from incref.cli import main
from incref.ir.program import Const, Fence, Load, Order, Program, Rmw, Store, Thread

INCREF = str(Path(sys.executable).with_name("incref"))
CATALOGUE = Path(__file__).resolve().parents[1] / "src" / "incref" / "catalogue"


def incref(capfd, monkeypatch, *args: str) -> tuple[int, str, str]:
    """Run `incref ARGS...` as the console script does; (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["incref", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = 0 if exc.code is None else exc.code
    out, err = capfd.readouterr()
    return code, out, err


def assert_one_line_error(code: int, out: str, err: str, *words: str) -> None:
    assert code == 2, (code, err)
    assert out == "", out
    assert "Traceback" not in err and "internal error" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    for word in words:
        assert word in err, (word, err)


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    """`content` written to `tmp_path/name`; its path."""
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(path)


LOCS = ("x", "y")


def instruction(tid: int, k: int):
    reg = f"r{k}"
    return st.one_of(
        st.builds(
            lambda loc, order: Load(reg, loc, order),
            st.sampled_from(LOCS),
            st.sampled_from([Order.NA, Order.ACQ, Order.SC]),
        ),
        st.builds(
            lambda loc, order: Store(loc, Const(tid + 1), order),
            st.sampled_from(LOCS),
            st.sampled_from([Order.NA, Order.REL, Order.SC]),
        ),
        st.builds(lambda loc: Rmw(reg, loc, "add", Const(1), Order.SC), st.sampled_from(LOCS)),
        st.just(Fence(Order.SC, "mfence")),
    )


@st.composite
def programs(draw):
    threads = []
    for tid in range(2):
        n = draw(st.integers(1, 3))
        threads.append(Thread(tid, tuple(draw(instruction(tid, k)) for k in range(n))))
    regs = tuple(f"{t.tid}:r{k}" for t in threads for k, i in enumerate(t.code) if isinstance(i, (Load, Rmw)))
    return Program("random", {loc: 0 for loc in LOCS}, tuple(threads), observed=LOCS + regs)
