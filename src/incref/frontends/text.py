"""Reading an input file as text, the same way for every front end: a size limit checked
before reading, UTF-8 only, no NUL bytes, and errors that say where the bad byte is."""

from __future__ import annotations

from pathlib import Path

from incref.errors import InputError

MAX_BYTES = 1_000_000  # a scenario or litmus test is a few kB; refuse megabytes before reading
# A person's line is under 200 characters, herd7's widest tables under 2,000; a line of
# 900 kB (`1+1+1+...`) cost 25 s and 587 MB in the parser before its error (issue 12).
MAX_LINE = 10_000


def read_source(path: str | Path, what: str) -> str:
    """The text of the file at `path`, or an `InputError` saying why it is not a `what`."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", str(path)) from None
    if p.is_dir():
        raise InputError(f"is a directory, not a {what} file", str(path))
    if size > MAX_BYTES:
        raise InputError(f"file is {size} bytes; a {what} file is at most {MAX_BYTES} bytes", str(path))
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", str(path)) from None
    return decode(data, str(path), what)


def decode(data: bytes, file: str | None, what: str) -> str:
    """UTF-8 text without NUL bytes; errors carry the line and column."""
    if len(data) > MAX_BYTES:
        raise InputError(f"input is {len(data)} bytes; a {what} is at most {MAX_BYTES} bytes", file)
    nul = data.find(b"\0")
    if nul >= 0:
        line, col = line_col(data, nul)
        raise InputError(f"binary data (a NUL byte); a {what} is UTF-8 text", file, line, col)
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark (Windows "UTF-8 with BOM") is not content
    except UnicodeDecodeError as exc:
        line, col = line_col(data, exc.start)
        raise InputError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8", file, line, col
        ) from None
    refuse_long_lines(text, file, what)
    return text


def refuse_long_lines(text: str, file: str | None, what: str) -> None:
    """A line longer than `MAX_LINE` characters is refused where it passes the limit."""
    if len(text) <= MAX_LINE:
        return
    for number, line in enumerate(text.split("\n"), 1):
        if len(line) > MAX_LINE:
            raise InputError(
                f"line is {len(line):,} characters long; a {what} line is at most {MAX_LINE:,}",
                file,
                number,
                MAX_LINE + 1,
            )


def line_col(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column of byte `offset`."""
    line = data.count(b"\n", 0, offset) + 1
    return line, offset - (data.rfind(b"\n", 0, offset) + 1) + 1
