"""python-race: N threads run `counter += 1` on shared data; how many increments are lost?

`+=` on a shared name is several bytecode instructions (load, add, store: the same
load/add/store as `ob_refcnt++` one level down), so it is not atomic. Under the GIL a
thread is switched out only at an eval-breaker check (a backward jump, a call, a
function entry), after `sys.getswitchinterval()` seconds, so in a tight loop the switch
never falls between the load and the store and nothing is lost: an accident of where
the checks sit, not a promise (CPython 3.10+ `ceval.c`, `CHECK_EVAL_BREAKER`). The third
case puts a call — a switch point — between the load and the store to show it. On a
free-threaded build (PEP 703) threads really run at once and every case can lose
increments. The fourth case is the Python-level fix, `with lock: counter += 1` with a
`threading.Lock`: never a lost increment, at a measured cost per increment.

How many increments a run loses depends on when the scheduler happens to switch, so
each case runs `runs` times (interleaved with the other cases, so that a noisy moment
hits all of them) and every run's count and wall time is reported: the caller takes
the median and shows the spread."""

import dis
import threading

from _probe import answer, arguments, run_together

counter = 0
items = [0]


lock = threading.Lock()


def one():
    return 1


def global_loop(n):
    global counter
    for _ in range(n):
        counter += 1


def item_loop(n):
    for _ in range(n):
        items[0] += 1


def call_loop(n):
    global counter
    for _ in range(n):
        counter = counter + one()


def lock_loop(n):
    global counter
    for _ in range(n):
        with lock:
            counter += 1


def global_statement():
    global counter
    counter += 1


def item_statement():
    items[0] += 1


def call_statement():
    global counter
    counter = counter + one()


def lock_statement():
    global counter
    with lock:
        counter += 1


CASES = (
    ("global int", "counter += 1", global_loop, global_statement),
    ("list element", "items[0] += 1", item_loop, item_statement),
    ("global int, call between load and store", "counter = counter + one()", call_loop, call_statement),
    ("global int, under a threading.Lock", "with lock: counter += 1", lock_loop, lock_statement),
)

UNINTERESTING = {"RESUME", "RETURN_VALUE", "RETURN_CONST", "NOP", "CACHE"}


def bytecode(function):
    """The statement's instructions as `dis` names them (frame set-up, return and the
    exception path that `with` compiles after them — from PUSH_EXC_INFO on — left out)."""
    out = []
    for ins in dis.get_instructions(function):
        if ins.opname == "PUSH_EXC_INFO":
            break
        if ins.opname in UNINTERESTING or (ins.opname == "LOAD_CONST" and ins.argval is None):
            continue
        arg = ins.argrepr or ("" if ins.arg is None else str(ins.arg))
        out.append((ins.opname + " " + arg).strip())
    return out


def read_back():
    return counter, items[0]


def reset():
    global counter
    counter = 0
    items[0] = 0


def run_case(loop, threads, increments):
    """One run of one case: (final value, wall seconds)."""
    reset()
    seconds = run_together(lambda i: lambda: loop(increments), threads)
    return read_back()[1 if loop is item_loop else 0], seconds


def main():
    args = arguments({"threads": 2, "increments": 1000000, "runs": 5})
    threads, increments, runs = args["threads"], args["increments"], args["runs"]
    finals = {statement: [] for _, statement, _, _ in CASES}
    seconds = {statement: [] for _, statement, _, _ in CASES}
    for _ in range(runs):
        for _, statement, loop, _ in CASES:
            final, took = run_case(loop, threads, increments)
            finals[statement].append(final)
            seconds[statement].append(took)
    cases = [
        {
            "target": target,
            "statement": statement,
            "bytecode": bytecode(single),
            "expected": threads * increments,
            "finals": finals[statement],
            "seconds": seconds[statement],
        }
        for target, statement, _, single in CASES
    ]
    answer({"experiment": "python-race", "threads": threads, "increments": increments, "runs": runs, "cases": cases})


if __name__ == "__main__":
    main()
