"""A litmus file cut into its sections, every piece keeping its offset in the file.

herd7's format (herdtools7 documentation, "herd7: litmus test syntax") is a sequence of
sections: a header line `ARCH NAME`, an optional quoted cycle and `key=value` lines, an
init block in braces, the code (an instruction table for assembly, thread functions for
C), then `locations [...]`, `filter P` and the final condition. The sections are told
apart by layout, not by one grammar: the code of each architecture has its own syntax, so
each part goes to its own parser, and every error points back into the file through the
offsets kept here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from incref.errors import InputError, Unsupported

ARCHES = {"x86": "X86", "aarch64": "AArch64", "c": "C"}
# other architectures herd7 knows: well-formed tests that incref does not model
OTHER_ARCHES = {"ppc", "arm", "riscv", "mips", "lisa", "x86_64", "aarch32", "ptx", "opencl", "bpf"}

_COMMENT_OPEN = "(*"
_COMMENT_CLOSE = "*)"
_COMMENT_TOKENS = re.compile(r"\(\*|\*\)")
_BLOCKS = re.compile(r"<<.*?>>", re.S)  # herd's trailing "<< ... >>" display directives
TAIL_START = re.compile(r"^[ \t]*(exists|~[ \t]*exists|forall|final|locations|filter)\b", re.M)
_KEY_VALUE = re.compile(r"^\s*[A-Za-z][\w.-]*\s*=")


@dataclass
class Source:
    """The text of one file (comments blanked, offsets unchanged) and where it came from."""

    text: str
    file: str

    def position(self, offset: int) -> tuple[int, int]:
        line = self.text.count("\n", 0, offset) + 1
        col = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        return line, col

    def error(self, message: str, offset: int) -> InputError:
        line, col = self.position(offset)
        lines = self.text.split("\n")
        source_line = lines[line - 1] if line <= len(lines) else ""
        return InputError(message, self.file, line, col, source_line)

    def unsupported(self, feature: str, offset: int) -> Unsupported:
        line, col = self.position(offset)
        return Unsupported(feature, self.file, line, col)


@dataclass
class Piece:
    """A slice of the source: `text` starts at `offset` in the file."""

    text: str
    offset: int


@dataclass
class Sections:
    arch: str
    name: str
    meta: dict[str, str] = field(default_factory=dict)
    init: Piece | None = None
    code: Piece = field(default_factory=lambda: Piece("", 0))
    tail: Piece = field(default_factory=lambda: Piece("", 0))


def blank_comments(text: str, file: str) -> str:
    """OCaml-style `(* ... *)` comments (nested, as herd reads them) and `<< >>` blocks
    become spaces, newlines kept, so offsets still point into the original file."""
    c_code = text.lstrip()[:2] in ("C ", "C\t", "C\n")
    if "(*" not in text and "<<" not in text:
        return text
    out = list(text)
    depth, start = 0, 0
    for m in _COMMENT_TOKENS.finditer(text):
        i = m.start()
        if m.group() == _COMMENT_OPEN:
            if c_code and _is_c_deref(text, i + 2):
                continue
            if depth == 0:
                start = i
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                _blank(out, start, i + 2)
    if depth:
        raise Source(text, file).error("comment '(*' is never closed", start)
    for m in _BLOCKS.finditer(text):
        _blank(out, m.start(), m.end())
    return "".join(out)


def _is_c_deref(text: str, after: int) -> bool:
    """`(*b)` in C code is a dereference, not a comment: herd's comments open with `(*`
    followed by a space, a star or a line end."""
    return after < len(text) and (text[after].isalnum() or text[after] in "_(")


def _blank(chars: list[str], start: int, end: int) -> None:
    for k in range(start, end):
        if chars[k] != "\n":
            chars[k] = " "


def split(src: Source) -> Sections:
    """Header, key=value lines, init block, code and tail of a litmus file."""
    text = src.text
    m = re.search(r"\S+", text)
    if m is None:
        raise src.error("empty litmus file", 0)
    arch = ARCHES.get(m.group().lower())
    if m.group().lower() in OTHER_ARCHES:
        raise src.unsupported(f"architecture {m.group()}", m.start())
    if arch is None:
        raise src.error(f"unknown architecture {m.group()!r} (expected X86, AArch64 or C)", m.start())
    line_end = text.find("\n", m.end())
    line_end = len(text) if line_end < 0 else line_end
    header = text[m.end() : line_end].split()
    if not header:
        raise src.error("the header names no test", m.end())
    sections = Sections(arch=arch, name=header[0])
    pos = line_end
    brace = _find_init(src, pos, sections)
    if brace is None:
        raise src.error("no init block '{ ... }' after the header", len(text))
    close = _matching_brace(text, brace)
    if close < 0:
        raise src.error("init block '{' is never closed", brace)
    sections.init = Piece(text[brace + 1 : close], brace + 1)
    pos = close + 1
    semi = re.match(r"\s*;", text[pos:])
    if semi:
        pos += semi.end()
    tail = _tail_start(text, pos, arch)
    if tail is None:
        raise src.error("no final condition (exists, ~exists, forall or final): truncated file?", len(text))
    sections.code = Piece(text[pos:tail], pos)
    sections.tail = Piece(text[tail:], tail)
    return sections


def _matching_brace(text: str, start: int) -> int:
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _find_init(src: Source, pos: int, sections: Sections) -> int | None:
    """Skip the quoted cycle and `key=value` lines; return the offset of the init `{`."""
    text = src.text
    while pos < len(text):
        m = re.compile(r"\s*").match(text, pos)
        pos = m.end()
        if pos >= len(text):
            return None
        ch = text[pos]
        if ch == "{":
            return pos
        if ch == '"':
            end = text.find('"', pos + 1)
            if end < 0:
                raise src.error("unterminated quoted string", pos)
            pos = end + 1
            continue
        eol = text.find("\n", pos)
        eol = len(text) if eol < 0 else eol
        line = text[pos:eol]
        if not _KEY_VALUE.match(line):
            raise src.error("expected a 'key=value' line or the init block '{'", pos)
        key, _, value = line.partition("=")
        sections.meta[key.strip()] = value.strip()
        pos = eol
    return None


def _tail_start(text: str, pos: int, arch: str) -> int | None:
    """Offset of the first `locations`/`filter`/condition line at brace depth 0 (C thread
    bodies are braced; assembly tables have no braces)."""
    depth = 0
    line_start = pos
    for m in re.finditer(r"[{}\n]", text[pos:]):
        at = pos + m.start()
        if m.group() == "\n" or at == len(text):
            if depth == 0:
                hit = TAIL_START.match(text, line_start, at)
                if hit:
                    return line_start + (len(text[line_start:at]) - len(text[line_start:at].lstrip()))
            line_start = at + 1
        elif m.group() == "{":
            depth += 1
        else:
            depth -= 1
    if depth == 0 and TAIL_START.match(text, line_start):
        return line_start + (len(text[line_start:]) - len(text[line_start:].lstrip()))
    return None
