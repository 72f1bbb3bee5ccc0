"""Every test of incref's catalogue gets its published verdict (the `Expect=` line of the
file, with the paper or manual that publishes it in `Source=`) under every model named."""

import pytest

from incref import catalogue
from incref.compose import run_file

CASES = [
    pytest.param(entry, model, expected, id=f"{entry.key}-{model}")
    for entry in catalogue.entries()
    for model, expected in sorted(entry.expected.items())
]


def test_catalogue_covers_the_classic_shapes_on_every_architecture():
    keys = {e.key for e in catalogue.entries()}
    for arch in ("x86", "aarch64", "c"):
        for shape in ("SB", "MP", "LB", "CoRR"):
            assert any(k.startswith(f"{arch}/{shape}") for k in keys), (arch, shape)
    for shape in ("IRIW", "WRC", "ISA2", "R", "S", "2+2W", "CoWR", "CoRW", "CoWW", "INC", "LOCKINC"):
        assert any(k.startswith(f"x86/{shape}") for k in keys), shape
    assert all(e.source and e.expected for e in catalogue.entries())


@pytest.mark.parametrize("entry, model, expected", CASES)
def test_published_verdict(entry, model, expected):
    verdict = run_file(entry.path, model, timeout=30)
    assert verdict.check.stats.complete
    assert verdict.result == expected, f"{entry.key} under {model}: {entry.source}"


def test_get_by_key_and_unknown_key():
    assert catalogue.get("x86/SB").name == "SB"
    with pytest.raises(Exception, match="no catalogue test"):
        catalogue.get("x86/NOPE")
