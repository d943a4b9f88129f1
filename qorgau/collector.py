"""The cyclic garbage collector, set for a server process once start-up is done.

What start-up made lives as long as the process: it is frozen out of the collector's sight,
so that a full collection walks only what requests make (about 100 ms a time otherwise), and
the workers forked under gunicorn's --preload leave the pages they share unwritten. The
young generation keeps Python's threshold: a larger one (20,000) made no difference to the
case page that the machine's noise did not hide (docs/performance.md, "Case page").
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect and freeze what start-up made (the server before its first request, and the
    page benchmarks after their warm-up)."""
    gc.collect()
    gc.freeze()
