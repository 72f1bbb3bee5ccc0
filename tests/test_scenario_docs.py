"""docs/FORMAT.md says what the parser does: every `inc` block parses, every `inc-error`
block fails with exactly the message in the `text` block after it."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from incref.errors import InputError
from incref.frontends.scenario import parse_text

DOC = Path(__file__).resolve().parents[1] / "docs" / "FORMAT.md"
BLOCKS = re.findall(r"```([\w-]+)\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
EXAMPLES = [body for kind, body in BLOCKS if kind == "inc"]
ERRORS = [(body, BLOCKS[i + 1][1].strip()) for i, (kind, body) in enumerate(BLOCKS) if kind == "inc-error"]
PYTHON = [(body, BLOCKS[i + 1][1]) for i, (kind, body) in enumerate(BLOCKS) if kind == "python"]


def test_the_document_has_examples_and_errors():
    assert len(EXAMPLES) >= 5 and len(ERRORS) >= 3
    assert all(BLOCKS[i + 1][0] == "text" for i, (kind, _) in enumerate(BLOCKS) if kind == "inc-error")


@pytest.mark.parametrize("text", EXAMPLES)
def test_every_example_parses(text):
    program = parse_text(text, file="example.inc")
    assert program.threads


@pytest.mark.parametrize("text, message", ERRORS)
def test_every_documented_error_is_the_real_one(text, message):
    with pytest.raises(InputError) as info:
        parse_text(text, file="example.inc")
    assert str(info.value) == message


@pytest.mark.parametrize("code, output", PYTHON)
def test_the_python_example_prints_what_the_document_says(tmp_path, code, output):
    script = tmp_path / "example.py"
    script.write_text(code)
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout == output
