"""A run that gathers a workbook decides its applicants a fixed number at a time, a reader's block cut between
two batches where needed.

Why: such a run holds every line of the batch it decides, twice over with the blanks read as none (the money at
stake, `assume.py`); a batch made of whole blocks of the reader (4 MB, some 15,000 applicants of a wide file) held
about 15 MB more at the run's peak than one of 10,000, and the size that pays (`run.GATHERED_ROWS`) need not be a
whole number of blocks. Cutting a block by its rows keeps every line of a row (its problems, a refusal before it
was read, its columns not read) with the row, and each batch's lines sorted by row as before, so the outputs are
the same whatever the cut. A batch is no larger than `assume.SLICE`, so the money at stake decides it in one call.
"""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl

from guangxi_subsidy.engine.batch.evaluator import Admitted
from guangxi_subsidy.engine.intake.frames import ROW

# admitted rows, rows rejected unread, rows read, position, the columns not read (frames.split_extras) or None
Block = tuple[Admitted, pl.DataFrame, int, int, pl.DataFrame | None]
Batch = tuple[list[Admitted], pl.DataFrame, int, int, pl.DataFrame | None]


def exactly(blocks: Iterator[Block], size: int) -> Iterator[Batch]:
    """Admitted blocks handed on `size` applicants at a time (the last batch the rest), each batch's applicants
    as one."""
    pending: list[Block] = []
    held = 0
    for block in blocks:
        while held + block[0].applicants.height >= size:
            first, block = cut(block, size - held)
            yield merged([*pending, first])
            pending, held = [], 0
        if block[0].applicants.height or block[1].height or block[2]:
            pending.append(block)
            held += block[0].applicants.height
    if pending:
        yield merged(pending)


def cut(block: Block, count: int) -> tuple[Block, Block]:
    """The block's first `count` applicants with every line of their rows, and the rest; the rows read shared
    between the two, as many in all."""
    admitted, rejected, rows, position, extras = block
    if count >= admitted.applicants.height:
        empty = Admitted(admitted.applicants.clear(), admitted.errors.clear())
        return block, (empty, rejected.clear(), 0, position, None if extras is None else extras.clear())
    at = admitted.applicants.get_column(ROW)[count]  # the rest's first row (applicants come in row order)
    before, after = pl.col(ROW) < at, pl.col(ROW) >= at
    first = Admitted(admitted.applicants.slice(0, count), admitted.errors.filter(before))
    rest = Admitted(admitted.applicants.slice(count), admitted.errors.filter(after))
    refused = pl.concat([first.errors.select(ROW), rejected.filter(before).select(ROW)])
    taken = min(rows, count + refused.get_column(ROW).n_unique())
    return ((first, rejected.filter(before), taken, position, None if extras is None else extras.filter(before)),
            (rest, rejected.filter(after), rows - taken, position, None if extras is None else extras.filter(after)))


def merged(blocks: list[Block]) -> Batch:
    """The blocks as one batch, their applicants admitted as one."""
    extras = [b[4] for b in blocks if b[4] is not None]
    admitted = [b[0] for b in blocks]
    if len(admitted) > 1:
        admitted = [Admitted(pl.concat([a.applicants for a in admitted]), pl.concat([a.errors for a in admitted]))]
    return (admitted, pl.concat([b[1] for b in blocks]), sum(b[2] for b in blocks), blocks[-1][3],
            pl.concat(extras) if extras else None)
