"""fork-cow: which writes turn a forked child's shared pages into private copies?

After `fork()` parent and child share every page copy-on-write; the first write to a
page by either gives the writer its own copy. `/proc/<pid>/smaps_rollup` splits a
process's resident pages into Shared_* (still mapped by another process too) and
Private_* (mapped by this process only); Private_Dirty is what the child has copied or
allocated: the memory forking did *not* save. Merely *reading* a Python object writes
to it — `ob_refcnt` goes up and down — so reading every object copies every page that
holds one. A full `gc.collect()` writes the collector's `PyGC_Head` (Include/internal/
pycore_gc.h) in front of every tracked object, copying those pages too, unless the
parent moved them to the permanent generation with `gc.freeze()` (3.7+, made for
pre-fork servers). Immortal objects (PEP 683, 3.12+) keep a fixed count that incref and
decref never write, so reading them copies nothing; whether an interpreter makes its
interned strings immortal is measured here, not assumed.

The parent stays blocked in `waitpid` while a child runs: a write by the parent would
also un-share a page and be counted against the child. Each child measures itself and
writes its numbers into a pipe."""

import gc
import json
import os
import sys
import time

from _probe import answer, arguments, fail

SMAPS_FIELDS = ("Rss", "Pss", "Shared_Clean", "Shared_Dirty", "Private_Clean", "Private_Dirty")

BEHAVIOURS = (
    ("idle", "does nothing", False, False),
    ("read", "reads every object", True, False),
    ("collect", "runs gc.collect() only", False, True),
    ("read+collect", "reads every object, then gc.collect()", True, True),
)

IMMORTAL_FLOOR = 1 << 29  # PEP 683 immortal counts sit at 2**30 and above (2**32-1 in 3.12)


class Node:
    """A small gc-tracked object: 32 bytes of object plus the 16-byte gc header."""

    __slots__ = ("value", "link")

    def __init__(self, value, link):
        self.value = value
        self.link = link


def smaps_rollup(pid="self"):
    """The kB fields of /proc/<pid>/smaps_rollup (Linux 4.14+)."""
    out = {}
    with open("/proc/%s/smaps_rollup" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB" and parts[0].rstrip(":") in SMAPS_FIELDS:
                out[parts[0].rstrip(":")] = int(parts[1])
    return out


def read_all(objects):
    """Touch each object the way any Python code does: take and drop a reference."""
    for _obj in objects:
        pass


def child(objects, strings, read, collect, pipe):
    start = time.perf_counter()
    if read == "objects":
        read_all(objects)
    elif read == "strings":
        read_all(strings)
    if collect:
        gc.collect()
    seconds = time.perf_counter() - start
    os.write(pipe, json.dumps({"smaps": smaps_rollup(), "seconds": seconds}).encode())
    os._exit(0)


def fork_child(objects, strings, read, collect):
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        child(objects, strings, read, collect, wfd)
    os.close(wfd)
    _, status = os.waitpid(pid, 0)
    chunks = []
    while True:
        chunk = os.read(rfd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(rfd)
    if status != 0:
        fail("a forked child failed with status %d" % status)
    return json.loads(b"".join(chunks))


def main():
    args = arguments({"objects": 500000})
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        answer(
            {
                "experiment": "fork-cow",
                "skipped": "needs Linux (fork and /proc/<pid>/smaps_rollup), this is %s" % sys.platform,
            }
        )
        return
    if not os.path.exists("/proc/self/smaps_rollup"):
        answer({"experiment": "fork-cow", "skipped": "/proc/self/smaps_rollup is missing (Linux before 4.14?)"})
        return
    n = args["objects"]
    objects = [Node(i, None) for i in range(n)]
    strings = [sys.intern("interned-%d" % i) for i in range(n)]
    objects_bytes = sum(sys.getsizeof(o) for o in objects)
    strings_bytes = sum(sys.getsizeof(s) for s in strings)
    string_refcount = sys.getrefcount(strings[n // 2])
    children = []
    for frozen in (False, True):
        if frozen:
            gc.freeze()
        for name, what, read, collect in BEHAVIOURS:
            got = fork_child(objects, strings, "objects" if read else None, collect)
            children.append({"behaviour": name, "does": what, "freeze": frozen, **got})
        got = fork_child(objects, strings, "strings", False)
        children.append({"behaviour": "read-interned", "does": "reads every interned string", "freeze": frozen, **got})
    answer(
        {
            "experiment": "fork-cow",
            "objects": n,
            "object_type": "Node (__slots__ class, gc-tracked)",
            "objects_mb": objects_bytes / 2**20,
            "strings_mb": strings_bytes / 2**20,
            "interned_strings_immortal": string_refcount >= IMMORTAL_FLOOR,
            "interned_string_refcount": string_refcount,
            "page_size": os.sysconf("SC_PAGE_SIZE"),
            "children": children,
        }
    )


if __name__ == "__main__":
    main()
