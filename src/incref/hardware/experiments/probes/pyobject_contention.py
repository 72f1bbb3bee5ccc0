"""pyobject-contention: what do reference-count writes to one shared object cost when
several threads make them at once?

Each thread builds, `touches` times, an 8-tuple holding its object: 8 increfs on
building, 8 decrefs when the tuple is freed, so the loop is dominated by writes to the
object's count. With one *shared* object every thread writes the same count — the same
cache line, which must move between cores on every write (or, on a free-threaded build,
the shared half of the biased count, updated with atomic RMWs: PEP 703, "Biased
Reference Counting"; Choi et al., PACT 2018). With *private* objects each thread writes
its own line. The work per thread is fixed, so on idle cores N threads should take as
long as one; the ratio time(N threads) / time(1 thread) is the price of running them
together. With the GIL only one thread runs at a time and the ratio is about N whatever
the sharing: the lock serialises the threads and hides the contention."""

from _probe import answer, arguments, run_together


class Thing:
    """A plain heap object: mortal, counted like any user object."""


SHARED = Thing()


def touch(obj, touches):
    """Each tuple takes 8 references to `obj`; rebinding `t` frees the previous tuple,
    dropping its 8."""
    for _ in range(touches):
        t = (obj, obj, obj, obj, obj, obj, obj, obj)  # noqa: F841 - the write is the point


def run_once(threads, shared, touches):
    def prepare(i):
        obj = SHARED if shared else Thing()
        return lambda: touch(obj, touches)

    return run_together(prepare, threads)


def main():
    args = arguments({"threads": 2, "touches": 300000, "repeats": 5})
    threads, touches, repeats = args["threads"], args["touches"], args["repeats"]
    configs = [(sharing, n) for sharing in ("shared", "private") for n in sorted({1, threads})]
    runs = {config: [] for config in configs}
    for config in configs:
        run_once(config[1], config[0] == "shared", touches // 10)  # warm-up
    for _ in range(repeats):  # interleaved, so that a noisy moment hits every configuration
        for sharing, n in configs:
            runs[sharing, n].append(run_once(n, sharing == "shared", touches))
    rows = [{"sharing": sharing, "threads": n, "runs_s": runs[sharing, n]} for sharing, n in configs]
    answer(
        {
            "experiment": "pyobject-contention",
            "threads": threads,
            "touches": touches,
            "references_per_touch": 8,
            "repeats": repeats,
            "rows": rows,
        }
    )


if __name__ == "__main__":
    main()
