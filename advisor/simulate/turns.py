"""Write turns: the simulation workers' events reach the one manifest in a fixed order.

The simulated stretch is cut into slices of virtual time. Each worker buffers its events
and writes its part of slice k in its turn: after slice k of the workers before it and
after slice k - 1 of every worker. So the row ids depend only on the number of workers
(one worker writes its events in the order they happen), whichever process runs faster.
A worker simulates ahead of its turn by at most ``MAX_AHEAD`` slices, then waits.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Protocol

from advisor.telemetry import ManifestWriter

MAX_AHEAD = 32  # finished slices a worker may hold in memory while waiting for its turn
CHECKS_PER_SLICE = 8  # how often a running worker looks for its turn, per slice of its time
_POLL_S = 0.0005  # how often a waiting worker looks at the turn counter


class Counter(Protocol):
    """Turns taken so far by all workers: a ``multiprocessing.Value`` shared by them."""

    value: int


class LocalCounter:
    """The turn counter of a run in one process."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


class TurnWriter:
    """One worker's writes, slice by slice, each in its turn.

    Slice ``k`` holds the calls that start in ``[start + k * width, start + (k + 1) * width)``;
    the last of the ``count`` slices runs to ``stop``.

    Args:
        writer: the worker's manifest writer; it must write only through this object.
        counter: turns taken so far by all workers.
        workers: how many workers take turns.
        index: this worker's place in each round of turns.
        start: where slice 0 begins (epoch seconds).
        stop: where the last slice ends.
        count: how many slices (at least 1).
    """

    def __init__(
        self,
        writer: ManifestWriter,
        counter: Counter,
        *,
        workers: int,
        index: int,
        start: float,
        stop: float,
        count: int,
    ) -> None:
        self._writer = writer
        self._counter = counter
        self._workers = workers
        self._index = index
        self._start = start
        self._stop = stop
        self._count = max(1, count)
        self._width = (stop - start) / self._count
        self._written = 0  # slices written
        self._closed: deque[int] = deque()  # events recorded by the end of each unwritten slice
        self._end = self._end_of(0)  # of the open slice
        self.next_check = min(self._end, start + self._width / CHECKS_PER_SLICE)
        """When (virtual time, <= ``stop``) the loop calls ``check`` next."""

    def check(self, t: float) -> float:
        """A call is about to start at ``t`` >= ``next_check``: close the slices it is past,
        write those whose turn has come (wait when too many are held); returns ``next_check``.

        Looking for a turn more often than once a slice keeps the workers from waiting on
        each other: a turn that comes is taken soon, not when the slice ends.
        """
        if t >= self._end:
            recorded = self._writer.written + self._writer.pending
            while t >= self._end and self._open_slice() < self._count - 1:
                self._closed.append(recorded)
                self._end = self._end_of(self._open_slice())
        if self._closed:
            self._write(keep=MAX_AHEAD)
        self.next_check = min(self._end, t + self._width / CHECKS_PER_SLICE)
        return self.next_check

    def finish(self) -> None:
        """After the last call: close every remaining slice and write each in its turn."""
        recorded = self._writer.written + self._writer.pending
        while self._open_slice() < self._count:
            self._closed.append(recorded)
        self._write(keep=0)

    def _open_slice(self) -> int:
        return self._written + len(self._closed)

    def _end_of(self, k: int) -> float:
        return self._stop if k >= self._count - 1 else self._start + (k + 1) * self._width

    def _write(self, keep: int) -> None:
        """Write closed slices whose turn has come; wait for turns while more than ``keep``
        closed slices would stay in memory."""
        closed = self._closed
        while closed:
            turn = self._written * self._workers + self._index
            if self._counter.value != turn:
                if len(closed) <= keep:
                    return
                while self._counter.value != turn:
                    time.sleep(_POLL_S)
            events = closed.popleft() - self._writer.written
            if events:
                self._writer.flush(events)
            self._written += 1
            self._counter.value = turn + 1
