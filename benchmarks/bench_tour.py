"""`incref tour` wall time, as a user sees it: the installed command, started fresh,
in full and with --quick. Target (DESIGN.md, "What users expect"): the whole story in
under a minute on this machine. Prints a table of each chapter's own time (the tour's
JSON `seconds`, measured inside) and the wall time of the whole command (measured here,
interpreter start-up included); exits 1 if a run misses the target."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

TARGET_S = 60.0
INCREF = str(Path(sys.executable).with_name("incref"))


def timed_tour(*args: str) -> tuple[float, dict]:
    start = time.perf_counter()
    proc = subprocess.run([INCREF, "tour", "--json", *args], capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"incref tour {' '.join(args)} failed (exit {proc.returncode}): {proc.stderr.strip()}")
    return wall, json.loads(proc.stdout)


def main() -> int:
    rows, missed = [], []
    for label, args in (("full", ()), ("--quick", ("--quick",))):
        wall, doc = timed_tour(*args)
        chapters = {c["name"]: c for c in doc["chapters"]}
        rows.append((label, wall, chapters))
        if wall >= TARGET_S:
            missed.append(label)
    names = list(rows[0][2])
    print(f"{'tour':<8} {'wall s':>7}  " + "  ".join(f"{n:>10}" for n in names) + f"  target < {TARGET_S:.0f} s")
    for label, wall, chapters in rows:
        cells = [("omitted" if "omitted" in chapters[n] else f"{chapters[n]['seconds']:.1f}") for n in names]
        print(
            f"{label:<8} {wall:>7.1f}  "
            + "  ".join(f"{c:>10}" for c in cells)
            + ("  MISSED" if label in missed else "  ok")
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
