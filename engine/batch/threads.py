"""The batch run's two helper threads: reading ahead, and writing in order while the next batch is decided.

On two cores reading a file, deciding a batch and writing the last one overlap. Both classes keep memory flat
(one item handed over at a time) and hand any error to the thread that drives the run, so a failure anywhere
stops the run where it is driven and nothing runs after it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Prefetch(Generic[T]):
    """Batches read, admitted and gathered on a thread of their own, from entering the block, while earlier
    ones are decided and written: on two cores the two overlap. One batch is read ahead, and the next only once
    it is taken, so memory stays flat. (Gathering here, not in the deciding thread, keeps a whole batch ready
    when the last one is decided.) An error in reading is raised where the batches are taken; leaving the
    block stops the reading."""

    def __init__(self, batches: Iterator[T]) -> None:
        self._batches = batches
        self._handoff: queue.Queue[Any] = queue.Queue(maxsize=1)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)

    def __enter__(self) -> Iterator[T]:
        self._thread.start()
        return self._taken()

    def __exit__(self, *exc: Any) -> None:
        self._stopped.set()
        while self._thread.is_alive():  # a reader waiting to hand on a batch sees the stop
            try:
                self._handoff.get(timeout=0.05)
                self._handoff.task_done()
            except queue.Empty:
                pass

    def _read(self) -> None:
        try:
            for batch in self._batches:
                self._handoff.put(batch)
                self._handoff.join()  # the next is read once this one is taken: two batches in memory, not three
                if self._stopped.is_set():
                    return
            self._handoff.put(DONE)
        except BaseException as error:  # noqa: BLE001 - handed to the taking thread, which raises it
            self._handoff.put(error)
        finally:
            if isinstance(self._batches, Generator):
                self._batches.close()  # a reader stopped early finishes its blocks in hand and lets go of them

    def _taken(self) -> Iterator[T]:
        while True:
            item = self._handoff.get()
            self._handoff.task_done()
            if item is DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item


DONE = object()


class InOrder:
    """Jobs run one after another on a thread of their own, in the order given; at most one waits. The first
    error a job raises is raised in the submitting thread (at the next submit or at the end), and no job runs
    after it; leaving the block on an error stops the thread before the error goes on."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._stopped = False
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> InOrder:
        self._thread.start()
        return self

    def submit(self, job: Callable[[], None]) -> None:
        if self._error is not None:
            raise self._error
        self._jobs.put(job)

    def __exit__(self, kind: type[BaseException] | None, *rest: Any) -> None:
        if kind is not None:
            self._stopped = True
        self._jobs.put(None)
        self._thread.join()
        if kind is None and self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            if self._error is None and not self._stopped:
                try:
                    job()
                except BaseException as error:  # noqa: BLE001 - raised in the submitting thread
                    self._error = error
