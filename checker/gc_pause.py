"""Pausing Python's cyclic garbage collector where a run allocates many objects and frees few."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collections inside: imports and the lint model allocate hundreds of thousands of
    small objects that stay alive, and the collections they trigger would find nothing to free.
    Nested uses leave the collector as the outermost found it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
