"""C types as the front end needs them: how many memory cells a value takes, where a
field or an element sits, and whether an access is atomic.

Memory is a sequence of *cells*, one per scalar (every integer and pointer type is one
cell, as GenMC's interpreter treats each scalar access as one event): `sizeof` counts
cells and pointer arithmetic moves by cells. A struct is its fields' cells in order, an
array its elements'. `_Atomic` makes a plain access a seq_cst one (C11 7.17.2.1 and
6.5.16.2 for compound assignment)."""

from __future__ import annotations

from dataclasses import dataclass

# CPython's `PyObject` (the fake <Python.h> declares `struct _object`): its cells are
# named as the refcount schemes name an object's fields, so a scheme re-lays them
PYOBJECT_TAG = "_object"
PYOBJECT_FIELDS = {"ob_refcnt": "refcnt", "ob_tid": "tid", "ob_ref_local": "local", "ob_ref_shared": "shared"}


@dataclass(frozen=True)
class CType:
    """`kind`: int, ptr, array, struct, void, func. `target`: what a pointer points to or
    an array holds; `length`: an array's element count; `tag`: a struct's tag (its
    fields live in `Types.structs`, so a struct may point to itself); `name`: the typedef
    name it was written as (`pthread_t`)."""

    kind: str
    atomic: bool = False
    volatile: bool = False
    target: CType | None = None
    length: int = 0
    tag: str = ""
    name: str = ""
    boolean: bool = False

    @property
    def scalar(self) -> bool:
        return self.kind in ("int", "ptr")


INT = CType("int")
VOID = CType("void")
FUNC = CType("func")


def pointer(to: CType) -> CType:
    return CType("ptr", target=to)


class Types:
    """The struct, union and typedef tables of one translation unit."""

    def __init__(self) -> None:
        self.structs: dict[str, tuple[tuple[str, CType], ...]] = {}
        self.typedefs: dict[str, CType] = {}

    def cells(self, t: CType) -> int:
        if t.kind == "array":
            return t.length * self.cells(t.target)
        if t.kind == "struct":
            return sum(self.cells(ft) for _, ft in self.fields(t))
        if t.kind in ("void", "func"):
            return 1
        return 1

    def fields(self, t: CType) -> tuple[tuple[str, CType], ...]:
        if t.tag not in self.structs:
            raise KeyError(t.tag)
        return self.structs[t.tag]

    def field(self, t: CType, name: str) -> tuple[int, CType] | None:
        """Offset in cells and type of field `name` of struct `t`."""
        offset = 0
        for fname, ftype in self.fields(t):
            if fname == name:
                return offset, ftype
            offset += self.cells(ftype)
        return None

    def layout(self, prefix: str, t: CType) -> list[tuple[str, CType]]:
        """The named scalar cells of a value of type `t` stored under `prefix`: `x`,
        `a[1]`, `s.next`, `node.refcnt` for a PyObject's `ob_refcnt`."""
        if t.kind == "array":
            out = []
            for i in range(t.length):
                out += self.layout(f"{prefix}[{i}]", t.target)
            return out
        if t.kind == "struct":
            out = []
            for fname, ftype in self.fields(t):
                if t.tag == PYOBJECT_TAG:
                    fname = PYOBJECT_FIELDS.get(fname, fname.removeprefix("ob_"))
                if fname == "ob_base" and ftype.kind == "struct" and ftype.tag == PYOBJECT_TAG:
                    out += self.layout(prefix, ftype)  # PyObject_HEAD: the object's own fields
                else:
                    out += self.layout(f"{prefix}.{fname}", ftype)
            return out
        return [(prefix, t)]

    def is_pyobject(self, t: CType) -> bool:
        """A `PyObject` or a struct that starts with `PyObject_HEAD`."""
        if t.kind != "struct" or t.tag not in self.structs:
            return False
        if t.tag == PYOBJECT_TAG:
            return True
        first = self.fields(t)[:1]
        return bool(first) and first[0][0] == "ob_base" and first[0][1].tag == PYOBJECT_TAG
