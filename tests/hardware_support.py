"""What the hardware tests need from the machine: a C compiler, and x86 for x86 facts.
Tests that need them skip cleanly without them."""

import pytest

from incref.hardware import codegen
from incref.hardware.compile import CompilerError, find_compiler


def _have_cc() -> bool:
    try:
        find_compiler()
    except CompilerError:
        return False
    return True


HAVE_CC = _have_cc()
needs_cc = pytest.mark.skipif(not HAVE_CC, reason="no C compiler")
x86_only = pytest.mark.skipif(not codegen.host_is_x86(), reason="x86 instructions and x86-TSO facts")
needs_cc_on_x86 = pytest.mark.skipif(not HAVE_CC or not codegen.host_is_x86(), reason="needs a C compiler on x86")
