"""What every probe shares: reading its arguments, describing the interpreter it runs in,
and answering with one JSON document.

The environment is read *inside* the interpreter under test (not by incref's own
interpreter), because `--python` may point at another build: its version, its build
(`Py_GIL_DISABLED`, PEP 703) and whether the GIL is on right now (`sys._is_gil_enabled`,
3.13+; a free-threaded build re-enables the GIL when an extension asks for it) are facts
about that process. The record follows pyperf's habit of storing CPU, OS and Python with
every measurement (pyperf/_collect_metadata.py), the load average included: other
processes on the machine are the first suspect when a timing looks wrong."""

import json
import os
import platform
import sys
import sysconfig
import threading
import time


def arguments(defaults):
    """The JSON object in argv[1], restricted to the keys of `defaults` and to integers."""
    given = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    if not isinstance(given, dict):
        fail("arguments must be a JSON object")
    args = dict(defaults)
    for key, value in given.items():
        if key not in defaults:
            fail("unknown argument %r" % key)
        if type(value) is not int or value < 1:
            fail("argument %r must be a positive integer" % key)
        args[key] = value
    return args


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gil_state():
    """(free_threaded_build, gil_enabled): before 3.13 every CPython has the GIL."""
    free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return free_threaded, (is_enabled() if is_enabled is not None else True)


def environment():
    free_threaded, gil = gil_state()
    affinity = getattr(os, "sched_getaffinity", None)
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "build": "free-threaded" if free_threaded else "default (with GIL)",
        "gil_enabled": gil,
        "has_is_gil_enabled": hasattr(sys, "_is_gil_enabled"),
        "switch_interval_s": sys.getswitchinterval(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": len(affinity(0)) if affinity is not None else os.cpu_count(),
        "os": platform.platform(),
        "load_avg_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


def run_together(prepare, threads):
    """Run `threads` threads released together by a barrier, so that they really overlap:
    thread i first calls `prepare(i)` (set-up, not timed) and then the job it returned.
    Seconds from the first thread's start to the last thread's end, each read by the
    worker itself: under the GIL the main thread may wait a whole switch interval for
    the lock after the release, so its own clock would miss part of the work."""
    barrier = threading.Barrier(threads)
    starts = [0.0] * threads
    ends = [0.0] * threads

    def worker(i):
        job = prepare(i)
        barrier.wait()
        starts[i] = time.perf_counter()
        job()
        ends[i] = time.perf_counter()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return max(ends) - min(starts)


def answer(doc):
    doc["environment"] = environment()
    sys.stdout.write(json.dumps(doc) + "\n")
    sys.stdout.flush()


def fail(message):
    """An error the caller shows as one line: printed as JSON, exit status 2."""
    sys.stdout.write(json.dumps({"error": message}) + "\n")
    sys.stdout.flush()
    sys.exit(2)
