"""Small-number suppression of a report whose rows are villages, for every reader below the system admin.

Primary suppression: a count of 1 to SMALL_CELL_MAX in a village row is hidden and shown as "<5" (zero is no one
and is shown).

Complementary suppression, because totals are shown: the district total of each figure is public anyway (it is a
row of the regency's report), and some figures are sums of others in the same row (screenings = by risk level,
visits = by type, contact attempts = by result, in treatment = outpatient + inpatient + methadone). A sum whose
total is shown and which has exactly one hidden cell gives that cell back by subtraction; with only small cells
hidden the subtraction still pins them down (two hidden cells summing to 2 are 1 and 1). So in every such sum
with a hidden cell, the hidden cells must include one *complementary* cell of at least COMPLEMENT_MIN (twice
SMALL_CELL_MAX): whatever the hidden small cells are (1 to 4 each), the complementary cell absorbs the
difference and stays credible (never 1 to 4), so the small ones are not pinned. Complementary cells are shown as
"*", not "<5" (they are not small).

The smallest cell of at least COMPLEMENT_MIN is chosen (least information lost). Where a sum has none, a row sum
hides its own total instead (which then takes part in its column); a column (the total is fixed, it is public)
hides every non-zero cell of the column, the best left: that residual case is a district with no village of
eight or more in that figure, and its hidden cells are then only known to add up to the total.

Measures (median time to acceptance, dropout rate) are hidden where the counts they describe are hidden.
The report of a single village is the row of that village in its district's suppressed report, so asking for the
villages one by one gives nothing more than the district's report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from backend.reports.figures import FIGURES, MEASURE_BASIS, ROW_SUMS

SMALL_CELL_MAX = 4
COMPLEMENT_MIN = 2 * SMALL_CELL_MAX
SMALL = "<5"
COMPLEMENT = "*"

Mark = Literal["<5", "*"]


@dataclass
class Cells:
    """The values of the village rows (row index, figure) and what is hidden: cell -> mark."""

    values: dict[tuple[int, str], int]
    hidden: dict[tuple[int, str], Mark] = field(default_factory=dict)


def _hide_complement(cells: Cells, candidates: list[tuple[int, str]]) -> bool:
    """Hide the smallest visible candidate of at least COMPLEMENT_MIN; False if there is none."""
    big = [c for c in candidates if c not in cells.hidden and cells.values[c] >= COMPLEMENT_MIN]
    if not big:
        return False
    cells.hidden[min(big, key=lambda c: (cells.values[c], c))] = COMPLEMENT
    return True


def _needs_complement(cells: Cells, members: list[tuple[int, str]]) -> bool:
    """A sum with hidden cells but no hidden cell of at least COMPLEMENT_MIN."""
    hidden = [c for c in members if c in cells.hidden]
    return bool(hidden) and not any(cells.values[c] >= COMPLEMENT_MIN for c in hidden)


def suppress(values: list[dict[str, int]]) -> list[dict[str, Mark]]:
    """The hidden cells of each village row (figure -> "<5" or "*"), given the rows' counts."""
    cells = Cells(values={(i, k): row[k] for i, row in enumerate(values) for k in FIGURES})
    for cell, value in cells.values.items():
        if 0 < value <= SMALL_CELL_MAX:
            cells.hidden[cell] = SMALL
    rows = range(len(values))
    while True:  # each pass hides at least one more cell, or ends: at most every cell
        before = len(cells.hidden)
        for i in rows:
            for total, parts in ROW_SUMS:
                members = [(i, total), *((i, p) for p in parts)]
                if _needs_complement(cells, members) and not _hide_complement(cells, [(i, p) for p in parts]):
                    cells.hidden.setdefault((i, total), COMPLEMENT)
        for k in FIGURES:
            column = [(i, k) for i in rows]
            if _needs_complement(cells, column) and not _hide_complement(cells, column):
                for c in column:  # the residual case of the docstring
                    if cells.values[c] > 0:
                        cells.hidden.setdefault(c, COMPLEMENT)
        if len(cells.hidden) == before:
            break
    out: list[dict[str, Mark]] = [{} for _ in rows]
    for (i, k), mark in cells.hidden.items():
        out[i][k] = mark
    return out


def hidden_measures(hidden: dict[str, Mark]) -> set[str]:
    """Measures of a row to hide, given its hidden figures."""
    return {m for m, basis in MEASURE_BASIS.items() if any(k in hidden for k in basis)}
