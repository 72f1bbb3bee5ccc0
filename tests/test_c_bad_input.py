"""Bad C input: one line naming file:line:col, exit 2 — a syntax error, a construct incref
does not model (named as `unsupported: <feature>`), a missing main or header. Fuzzed
programs never crash the front end."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incref.errors import InputError
from incref.frontends.c import parse_file
from test_cli_contract import assert_one_line_error, incref

CASES = [
    ("int main(void) {\n  int x = ;\n}\n", r"bad\.c:2:11: syntax error"),
    ("int main(void) {\n  int x = 1\n  return 0;\n}\n", r"bad\.c:3:3: syntax error"),
    ("int x\n", r"bad\.c:1:\d+: syntax error"),
    ("int main(void) {\n  float f = 1.0;\n  return 0;\n}\n", r"bad\.c:2:3: unsupported: floating point"),
    ("int main(void) {\n  a: goto a;\n}\n", r"bad\.c:2:3: unsupported: goto"),
    ("int x;\nvoid *f(void *a) { return 0; }\n", r"bad\.c:1:1: no main function"),
    ("#include <sys/mman.h>\nint main(void) { return 0; }\n", r"bad\.c:1:10: unsupported: header <sys/mman.h>"),
    ("int main(void) {\n  y = 1;\n  return 0;\n}\n", r"bad\.c:2:3: y is not declared"),
    ("int g(int);\nint main(void) {\n  return g(1);\n}\n", r"bad\.c:3:10: unsupported: call to g \(no definition\)"),
]


@pytest.mark.parametrize("source, message", CASES)
def test_bad_c_is_one_line_with_its_place_and_exit_2(tmp_path, capfd, monkeypatch, source, message):
    path = tmp_path / "bad.c"
    path.write_text(source)
    code, out, err = incref(capfd, monkeypatch, "check", str(path))
    assert_one_line_error(code, out, err)
    assert re.search(message, err), err


VALID = """#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <assert.h>
struct node { int v; struct node *next; };
atomic_int x; int y[3];
void *t(void *arg) { int r = atomic_load_explicit(&x, memory_order_acquire); if (r) y[1] = r; return NULL; }
int main(void) { pthread_t a; struct node *n = malloc(sizeof(struct node)); n->v = 1;
  pthread_create(&a, NULL, t, n); atomic_store(&x, 1); pthread_join(a, NULL);
  for (int i = 0; i < 2; i++) y[i]++; assert(y[0] == 1); free(n); return 0; }
"""


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_fuzzed_c_never_crashes_the_front_end(tmp_path, data):
    text = VALID
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 6))
        insert = data.draw(st.sampled_from(["", "*", "&", "(", ")", "{", "}", ";", "0", "x", "[9]", "->v", "while(1)"]))
        text = text[:at] + insert + text[at + cut :]
    path = tmp_path / "fuzz.c"
    path.write_text(text)
    try:
        parse_file(path)
    except InputError as exc:
        assert "\n" not in str(exc)
