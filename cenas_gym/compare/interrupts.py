"""SIGINT and SIGTERM as one exception, so that long runs stop cleanly.

Inside :func:`interruptible` both signals raise :class:`Interrupted` in the main thread (a
``KeyboardInterrupt`` subclass carrying the signal number), wherever the code waits: the
backends of :mod:`cenas_gym.compare.grid` catch it, cancel what is pending, stop their workers and
re-raise; the command line turns it into a one-line message and exit status 128 + signal.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived; ``signum`` says which."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = int(signum)

    @property
    def exit_status(self) -> int:
        """The shell's convention: 128 + the signal number (130 for SIGINT, 143 for SIGTERM)."""
        return 128 + self.signum


_held: list[int] = []  # depth of held() blocks now running
_pending: list[int] = []  # signals that arrived inside them
_depth: list[int] = []  # depth of interruptible() blocks now running
_fired: list[int] = []  # the signal already raised in the outermost block, if any


def _raise(signum: int, frame: object) -> None:
    if _fired:  # once: a second Ctrl-C must not cut short the cleanup that stops the workers
        return  # (which itself gives up waiting after a few seconds)
    if _held:
        _pending.append(signum)
        return
    _fired.append(signum)
    raise Interrupted(signum)


@contextmanager
def held() -> Iterator[None]:
    """Inside :func:`interruptible`: a signal arriving in this block is raised at its end,
    so the block (e.g. writing one finished run to two files) completes."""
    _held.append(1)
    try:
        yield
    finally:
        _held.pop()
    if not _held and _pending and not _fired:
        signum = _pending.pop()
        _pending.clear()
        _fired.append(signum)
        raise Interrupted(signum)


@contextmanager
def interruptible() -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`Interrupted` inside the block (main thread only;
    elsewhere the block runs unchanged), once: later signals are ignored until the
    outermost such block ends, so that cleanup runs to its end. Blocks nest (e.g. around
    ``ray.init``, which installs handlers of its own); each restores the handlers it found."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if not _depth:
        _pending.clear()
        _fired.clear()
    _depth.append(1)
    previous = {sig: signal.signal(sig, _raise) for sig in SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _depth.pop()


def ignore_sigint() -> None:
    """For worker processes: leave SIGINT (Ctrl-C reaches the whole process group) to the
    parent, which stops the workers itself; no traceback from every worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class StopFlag:
    """A context manager: inside, the first SIGINT/SIGTERM only sets :attr:`signum` (the loop
    checks it and stops at a clean point, e.g. PPO between two env steps); a second one
    raises :class:`Interrupted` at once. Main thread only; elsewhere it does nothing."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict = {}

    def _handle(self, signum: int, frame: object) -> None:
        if self.signum is not None:
            raise Interrupted(signum)
        self.signum = signum

    def __enter__(self) -> StopFlag:
        if threading.current_thread() is threading.main_thread():
            self._previous = {sig: signal.signal(sig, self._handle) for sig in SIGNALS}
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}
