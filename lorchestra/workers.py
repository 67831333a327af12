"""Worker processes for CPU-bound package work that die with lorchestra.

``worker_pool(n)`` is a ``ProcessPoolExecutor`` whose workers each watch their parent's sentinel
(``multiprocessing.parent_process().sentinel``, a pipe end the kernel closes when lorchestra
exits in any way, ``kill -9`` included) on a daemon thread and exit at once when it fires. A plain
pool's workers would outlive a killed lorchestra — still rendering and writing files, racing
the next run. Workers start from a clean interpreter (``spawn``, or ``forkserver`` with the
modules to preload): never a fork of the process that holds the warehouse open.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # multiprocessing is imported when a pool is made, not on every CLI start
    from concurrent.futures import ProcessPoolExecutor


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity: a container's or ``taskset``'s
    share, not the machine's), the default number of workers."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def worker_pool(
    workers: int,
    *,
    method: str = "spawn",
    preload: Sequence[str] = (),
    initializer: Callable[[], None] | None = None,
) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes that exit when lorchestra does; ``initializer`` (a
    module-level function) runs in each worker when it starts."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context(method)
    if preload:
        context.set_forkserver_preload(list(preload))
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=partial(_start, initializer)
    )


def _start(initializer: Callable[[], None] | None) -> None:
    _die_with_parent()
    if initializer is not None:
        initializer()


def _die_with_parent() -> None:
    import multiprocessing
    import multiprocessing.connection
    import os
    import threading

    parent = multiprocessing.parent_process()
    if parent is None:
        return
    sentinel = parent.sentinel

    def watch() -> None:
        multiprocessing.connection.wait([sentinel])
        os._exit(1)  # the parent is gone: nothing this worker does can be used any more

    threading.Thread(target=watch, name="die-with-lorchestra", daemon=True).start()
