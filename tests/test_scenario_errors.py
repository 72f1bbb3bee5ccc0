"""Bad scenarios give one clear sentence with file:line:col, never a traceback; nothing in
a scenario is evaluated as Python."""

import os
import time

import pytest

from incref.errors import InputError, UsageError
from incref.frontends import load_program
from incref.frontends.scenario import parse_file, parse_text


def error_of(text, params=None) -> InputError:
    with pytest.raises(InputError) as info:
        parse_text(text, params, file="bad.inc")
    return info.value


def test_syntax_error_has_line_column_sentence_and_caret():
    err = error_of("shared x = 0\nthread t {\n  r = load\n}\n")
    assert (err.file, err.line, err.column) == ("bad.inc", 4, 1)
    assert str(err).startswith("bad.inc:4:1: unexpected '}'; expected")
    assert "a name" in str(err)
    assert "\n" not in str(err)
    assert err.with_caret().endswith("\n    }\n    ^")


def test_unexpected_character_and_end_of_file():
    err = error_of("shared x = 0\nthread t { store x = 1 $ }")
    assert (err.line, err.column) == (2, 24) and "unexpected character '$'" in err.message
    err = error_of("shared x = 0\nthread t { store x = 1")
    assert err.line == 2 and "end of the file" in err.message


def test_unknown_example_lists_the_known_ones():
    with pytest.raises(UsageError) as info:
        load_program("incref-rase")
    assert "unknown example 'incref-rase'" in str(info.value)
    assert "incref-race" in str(info.value) and "sb" in str(info.value)


def test_missing_file_is_an_input_error():
    with pytest.raises(InputError, match="no such file"):
        load_program("nowhere/story.inc")


@pytest.mark.parametrize(
    "text, message, line",
    [
        ("shared x = 0\nthread t { store x = q }", "undefined register or parameter 'q'", 2),
        ("thread t {\n r = load y }", "undefined shared location 'y'", 2),
        ("thread t { incref o }", "undefined object 'o'", 1),
        ("thread t { lock m }", "undefined mutex 'm'", 1),
        ("object o = 1\nthread t { r = load o.count }", "undefined location 'o.count'", 2),
        ("object o = 1\nthread t { r = load o }", "'o' is an object, not a location", 2),
        ("shared x = 0\nthread t { r = x + 1 }", "'x' is a shared location; read it into a register first", 2),
        (
            "shared x = 0\nthread t { r = load x }\nexists r == 1",
            "'r' is a register; in the final condition write it as T:r",
            3,
        ),
        ("shared x = 0\nthread t { r = load x }\nexists 1:r == 1", "no thread 1", 3),
        ("shared x = 0\nthread t { r = load x }\nexists 0:s == 1", "thread 0 (t) has no register 's'", 3),
        ("thread w * 2 { r = 1 }\nexists w:r == 1", "no single thread named 'w'", 2),
        ("shared x = 0\nthread t { r = 0:r }", "only the final condition", 2),
        ("shared x = 0\nexists y == 1\nthread t { }", "undefined location or parameter 'y'", 2),
    ],
)
def test_undefined_names(text, message, line):
    err = error_of(text)
    assert message in err.message
    assert err.line == line


@pytest.mark.parametrize(
    "text, message",
    [
        ("param n = 1\nthread t { n = 2 }", "'n' is a parameter, not a register"),
        ("shared x = 0\nthread t { x = 2 }", "'x' is a shared location, not a register"),
        ("thread t { __t1 = 2 }", "reserved"),
        ("shared x = 0\nshared x = 1\nthread t { }", "'x' is already declared"),
        ("thread t { r = 1 }\nthread t { r = 2 }", "thread 't' is declared twice"),
        ("shared x = 0\nthread t { r = load.release x }", "a load cannot have order .rel"),
        ("shared x = 0\nthread t { store.acq x = 1 }", "a store cannot have order .acq"),
        ("thread t { fence.rlx }", "a fence cannot have order .rlx"),
        ("shared x = 0\nthread t { fetch_add.na x, 1 }", "a read-modify-write cannot have order .na"),
        ("shared x = 0\nthread t { r = load.fast x }", "unknown memory order '.fast'"),
        ("shared x = 0\nthread t { r = load.acq.rlx x }", "one memory order expected"),
        ("thread t { r = 1 await r == 1 }", "must read a shared location"),
        ("thread t { r = 1 r = r = 1 }", "'=' compares only in the final condition"),
        ("shared x = 0\nthread t { }\nexists x == 0\nforall x == 0", "at most one final condition"),
        ("# only a comment\n", "no thread"),
        ("shared x = 99999999999999999999999\nthread t { }", "too large"),
        ("shared x = 9223372036854775808\nthread t { }", "does not fit in 64 bits"),
        ("shared x = 1 << 64\nthread t { }", "shift by 64"),
        ("shared x = 1 << 62 << 1\nthread t { }", "overflows 64 bits"),
        ("shared y = 0\nshared x = y\nthread t { }", "must be a constant: 'y' is not a parameter"),
        ("object o = 1 (owner=0, owner=1)\nthread t { }", "given twice"),
    ],
)
def test_ill_formed_statements(text, message):
    assert message in error_of(text).message


def test_set_of_an_undeclared_parameter_names_the_declared_ones():
    with pytest.raises(UsageError) as info:
        load_program("incref-race", {"thread": 3})
    assert str(info.value) == (
        "--set thread: scenario 'incref-race' has no parameter 'thread' (its parameters: threads, ops)"
    )


def test_negative_count_points_at_its_use():
    with pytest.raises(InputError) as info:
        load_program("incref-race", {"threads": -1})
    err = info.value
    assert "the number of copies of thread 'worker' is -1" in err.message and "cannot be negative" in err.message
    assert err.file.endswith("incref-race.inc") and err.line == 5
    with pytest.raises(InputError, match=r"a repeat count is -2 \(ops\)"):
        load_program("incref-race", {"ops": -2})
    with pytest.raises(InputError, match="initial count of object 'o' is -1"):
        parse_text("param n = 1\nobject o = n - 2\nthread t { }")


def test_absurd_repeat_is_refused_quickly():
    start = time.perf_counter()
    with pytest.raises(InputError, match="over the limit"):
        parse_text("object o = 1\nthread t { repeat 1000000000 { incref o } }")
    with pytest.raises(InputError, match="unrolls to more than"):
        parse_text("object o = 1\nthread t { repeat 1000 { repeat 1000 { incref o } } }")
    with pytest.raises(InputError, match="more than 64 threads"):
        parse_text("param n = 1000000\nthread t * n { }")
    with pytest.raises(InputError, match="over the limit"):
        parse_text("thread t { r = 0 while r == 0 max 1000000000 { } }")
    assert time.perf_counter() - start < 2


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin1.inc"
    path.write_bytes(b"shared x = 0\nthread t { store x = 1 } # caf\xe9\n")
    with pytest.raises(InputError) as info:
        parse_file(path)
    assert "not UTF-8" in info.value.message and "0xe9" in info.value.message
    assert (info.value.line, info.value.column) == (2, 31)


@pytest.mark.parametrize("content", [b"", b"   \n\n\t\n"])
def test_empty_file(tmp_path, content):
    path = tmp_path / "empty.inc"
    path.write_bytes(content)
    with pytest.raises(InputError, match="empty file"):
        parse_file(path)


def test_ten_megabytes_of_random_bytes_are_refused_at_once(tmp_path):
    path = tmp_path / "noise.inc"
    path.write_bytes(os.urandom(10 * 1024 * 1024))
    start = time.perf_counter()
    with pytest.raises(InputError, match="at most 1000000 bytes"):
        load_program(str(path))
    assert time.perf_counter() - start < 0.5


def test_small_binary_file_is_refused_by_its_nul_byte(tmp_path):
    path = tmp_path / "bin.inc"
    path.write_bytes(b"thread t {\n \x00\x01 }")
    with pytest.raises(InputError) as info:
        parse_file(path)
    assert "NUL byte" in info.value.message and (info.value.line, info.value.column) == (2, 2)


def test_random_printable_text_is_a_syntax_error_not_a_crash():
    import random

    rng = random.Random(7)
    alphabet = "abcxyz019 {}()=+-*&|^!~<>.,:;#\n\"'"
    for _ in range(200):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 80)))
        try:
            parse_text(text)
        except InputError as err:
            assert err.line is None or err.line >= 1
            assert "\n" not in str(err)


def test_python_in_a_scenario_is_never_run(tmp_path):
    marker = tmp_path / "pwned"
    text = f"shared x = __import__('os').system('touch {marker}')\nthread t {{ }}"
    with pytest.raises(InputError):
        parse_text(text)
    with pytest.raises(InputError):
        parse_text(f"thread t {{ r = exec(\"open('{marker}', 'w')\") }}")
    assert not marker.exists()
