"""The model language: relational algebra on bit-matrices against the textbook
definitions on sets of pairs, the parser's errors, and the facts the engine's pruning
relies on (which axioms are monotone in rf/co)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incref.models.axiomatic import FOLDER, NAMES, get
from incref.models.axiomatic import relalg as ra
from incref.models.axiomatic.cat import CatError, Model

N = 6


def as_pairs(rel):
    return set(ra.pairs(rel))


def from_pairs(pairs):
    rows = [0] * N
    for a, b in pairs:
        rows[a] |= 1 << b
    return tuple(rows)


relations = st.sets(st.tuples(st.integers(0, N - 1), st.integers(0, N - 1)), max_size=12)


def closure(pairs):
    out = set(pairs)
    while True:
        more = {(a, d) for a, b in out for c, d in out if b == c} - out
        if not more:
            return out
        out |= more


@settings(max_examples=200, deadline=None)
@given(relations, relations)
def test_operators_match_set_definitions(p, q):
    a, b = from_pairs(p), from_pairs(q)
    assert as_pairs(ra.union(a, b)) == p | q
    assert as_pairs(ra.inter(a, b)) == p & q
    assert as_pairs(ra.diff(a, b)) == p - q
    assert as_pairs(ra.seq(a, b)) == {(x, z) for x, y in p for y2, z in q if y == y2}
    assert as_pairs(ra.inverse(a)) == {(y, x) for x, y in p}
    assert as_pairs(ra.plus(a)) == closure(p)
    cyclic = any(x == y for x, y in closure(p))
    assert ra.is_acyclic(a) is not cyclic
    witness = ra.cycle_witness(a)
    assert bool(witness) is cyclic
    for i, node in enumerate(witness):
        assert (node, witness[(i + 1) % len(witness)]) in p


def test_every_model_is_a_cat_file_that_compiles_cites_a_source_and_fits_on_a_screen():
    for name in NAMES:
        model = get(name)
        assert model.path.suffix == ".cat" and model.path.is_file()
        assert model.source
        statements = [line for line in model.text.splitlines() if line and not line.startswith((" ", "(*"))]
        assert len(statements) <= 25
        assert model.axioms


def test_python_holds_no_model_text():
    """Besides the interpreter (whose docstring shows the syntax), the models package is
    IR-to-event-set code: no line of it states an axiom or binds a relation."""
    statement = re.compile(r"^\s*((acyclic|irreflexive|empty) .+ as \S+|let \S+ = .+)$", re.M)
    for module in FOLDER.parent.joinpath("axiomatic").glob("*.py"):
        if module.name != "cat.py":
            assert not statement.search(module.read_text(encoding="utf-8")), module


def test_pruning_uses_only_axioms_monotone_in_rf_and_co():
    c11 = get("c11")
    # `rf ; [R & NA] \ hb`: hb grows with rf, so a partial graph cannot refute it
    assert "visible-side-effect" in {a.name for a in c11.axioms}
    assert "visible-side-effect" not in {a.name for a in c11.pruning}
    assert {a.name for a in get("tso").pruning} == {a.name for a in get("tso").axioms}


@pytest.mark.parametrize(
    "text,message",
    [
        ("let a = po |", "Unexpected"),
        ("acyclic nosuch as x", "unknown relation 'nosuch'"),
        ('include "nosuch.cat"', "include 'nosuch.cat': no such file"),
    ],
)
def test_model_text_errors_are_reported(tmp_path, text, message):
    bad = tmp_path / "bad.cat"
    bad.write_text(text)
    with pytest.raises(CatError, match=message):
        Model("bad", bad)


def test_a_later_let_shadows_an_earlier_one_and_includes_resolve_beside_the_file(tmp_path):
    (tmp_path / "common.cat").write_text("let ghb = po | com\n")
    (tmp_path / "mine.cat").write_text('Mine "a test"\ninclude "common.cat"\nlet ghb = ghb | po\nacyclic ghb as mine\n')
    model = Model("mine", tmp_path / "mine.cat")
    assert model.source == "Mine a test"
    assert [a.name for a in model.axioms] == ["mine"]


def test_an_include_cycle_is_an_error(tmp_path):
    (tmp_path / "a.cat").write_text('include "b.cat"\n')
    (tmp_path / "b.cat").write_text('include "a.cat"\n')
    with pytest.raises(CatError, match="include cycle: a.cat -> b.cat -> a.cat"):
        Model("a", tmp_path / "a.cat")
