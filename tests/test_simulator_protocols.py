"""Protocol tables: every bundled table has one cell per (state, event), and a table with a
missing, duplicate or malformed cell is refused when loaded, with its file and line."""

from __future__ import annotations

import pytest

from incref.errors import InputError, UsageError
from incref.simulator import protocols

GOOD = """
table cache
states  I:- M:rwo
events  Load Store Replacement OtherGetS OtherGetM OtherPutM Data DataExcl NoData
state | Load   | Store  | Replacement | OtherGetS  | OtherGetM  | OtherPutM | Data | DataExcl | NoData
I     | GetS/M | GetM/M | -           | /I         | /I         | /I        | -    | -        | -
M     | hit    | hit    | PutM/I      | data>req/I | data>req/I | -         | -    | -        | -

table home
states  X:
events  GetS GetM PutM
state | GetS     | GetM     | PutM
X     | data>req | data>req | mem<data
"""


@pytest.mark.parametrize("name", protocols.names())
@pytest.mark.parametrize("interconnect", protocols.INTERCONNECTS)
def test_bundled_tables_are_complete(name, interconnect):
    proto = protocols.load(name, interconnect)
    for table in (proto.cache, proto.home):
        assert set(table.cells) == {(s, e) for s in table.states for e in table.events}
        assert table.states[0] == "I" or table.role == "home"
    # a protocol's stable writable states own the data; SWMR is judged by these letters
    assert "w" in proto.cache.permissions["M"] and "o" in proto.cache.permissions["M"]
    assert proto.cache.permissions["I"] == ""


def test_exclusive_and_owned_states_are_where_the_primer_puts_them():
    assert "E" not in protocols.load("msi").cache.states
    assert "E" in protocols.load("mesi").cache.states and "O" not in protocols.load("mesi").cache.states
    owned = protocols.load("moesi", "directory").cache.permissions["O"]
    assert "r" in owned and "o" in owned and "w" not in owned


def test_a_good_table_parses():
    proto = protocols.parse(GOOD, name="tiny", interconnect="bus")
    cell = proto.cache.cell("I", "Load")
    assert (cell.kind, cell.actions, cell.next) == ("do", ("GetS",), "M")
    assert proto.cache.cell("M", "OtherPutM").kind == "impossible"


def _error(text: str) -> InputError:
    with pytest.raises(InputError) as info:
        protocols.parse(text, name="bad", interconnect="bus", file="bad.coh")
    return info.value


def test_missing_cell_is_refused_with_its_line():
    row = next(line for line in GOOD.splitlines() if line.startswith("I "))
    err = _error(GOOD.replace(row, row.rsplit("|", 1)[0]))
    assert "missing cell (I, NoData): row I has 8 cells for 9 events" in str(err)
    assert err.file == "bad.coh" and err.line == 6


def test_missing_row_is_refused():
    err = _error("\n".join(line for line in GOOD.splitlines() if not line.startswith("M ")))
    assert "missing cell (M, Load)" in str(err)


def test_duplicate_cell_is_refused():
    row = next(line for line in GOOD.splitlines() if line.startswith("M "))
    err = _error(GOOD.replace(row, row + "\n" + row))
    assert "duplicate cell (M, Load)" in str(err) and err.line == 8


@pytest.mark.parametrize(
    "change, message",
    [
        (("GetS/M", "GetS/Q"), "unknown next state 'Q'"),
        (("GetS/M", "Fetch/M"), "unknown action 'Fetch'"),
        (("events  Load Store", "events  Load Load"), "event Load listed twice"),
        (("state | Load   | Store ", "state | Store  | Load  "), "header row must list the events in order"),
        (("table home", "table memory"), "expected `table cache` or `table home`"),
    ],
)
def test_malformed_tables_are_refused(change, message):
    assert message in str(_error(GOOD.replace(*change)))


def test_unknown_protocol_and_interconnect_are_usage_errors():
    with pytest.raises(UsageError, match="unknown protocol 'mosi'"):
        protocols.load("mosi")
    with pytest.raises(UsageError, match="unknown interconnect 'ring'"):
        protocols.load("msi", "ring")


def test_with_cell_rewrites_one_cell_only():
    proto = protocols.load("msi")
    broken = proto.with_cell("cache", "S", "OtherGetM", "/S")
    assert broken.cache.cell("S", "OtherGetM").next == "S"
    assert proto.cache.cell("S", "OtherGetM").next == "I"
    changed = [k for k in proto.cache.cells if proto.cache.cells[k] != broken.cache.cells[k]]
    assert changed == [("S", "OtherGetM")]


def test_a_table_without_an_event_the_engine_raises_is_refused():
    """A bus table given for a directory lacks the forwarded-request columns."""
    from incref.simulator.protocols import msi

    with pytest.raises(InputError, match="a directory raises the events FwdGetS, FwdGetM"):
        protocols.parse(msi.BUS, name="msi", interconnect="directory")
    with pytest.raises(InputError, match="a bus carries the requests GetS, GetM, PutM, not PutS"):
        protocols.parse(msi.BUS.replace("| /I          | /S", "| PutS/I      | /S"), name="msi", interconnect="bus")
