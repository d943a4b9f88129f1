"""Streams between a thread and the caller (age works on whole streams), and hashing wrappers.

Nothing here holds more than a buffer of data: a pipe joins the two sides.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import threading
from collections.abc import Callable
from typing import IO, Any


class Hashing(io.RawIOBase):
    """Reads through to `raw`, counting and hashing (SHA-256) what passes."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.digest.update(data)
        self.size += len(data)
        return len(data)

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


class HashingSink:
    """A write-only file that keeps only the SHA-256 and size of what is written."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


class Producer:
    """Runs `produce(writer)` in a thread; the caller reads what it writes from `reader`."""

    def __init__(self, produce: Callable[[IO[bytes]], Any]) -> None:
        r, w = os.pipe()
        self.reader: IO[bytes] = os.fdopen(r, "rb")
        self._writer: IO[bytes] = os.fdopen(w, "wb")
        self.error: BaseException | None = None
        self._aborted = False
        self._thread = threading.Thread(target=self._run, args=(produce,), daemon=True)
        self._thread.start()

    def _run(self, produce: Callable[[IO[bytes]], Any]) -> None:
        try:
            produce(self._writer)
        except BaseException as exc:  # handed to the caller in finish()
            if not self._aborted:  # not the broken pipe abort() causes
                self.error = exc
        finally:
            with contextlib.suppress(OSError):  # the reader went away first
                self._writer.close()

    def finish(self) -> None:
        """Read to the end, wait for the thread, and raise what it raised."""
        while self.reader.read(1024 * 1024):
            pass
        self._thread.join()
        self.reader.close()
        if self.error is not None:
            raise self.error

    def abort(self) -> None:
        """Stop reading: the thread's next write fails and it ends."""
        self._aborted = True
        self.reader.close()
        self._thread.join()


class Consumer:
    """Runs `consume(reader)` in a thread; the caller writes into `writer`."""

    def __init__(self, consume: Callable[[IO[bytes]], Any]) -> None:
        r, w = os.pipe()
        self._reader: IO[bytes] = os.fdopen(r, "rb")
        self.writer: IO[bytes] = os.fdopen(w, "wb")
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(consume,), daemon=True)
        self._thread.start()

    def _run(self, consume: Callable[[IO[bytes]], Any]) -> None:
        try:
            consume(self._reader)
        except BaseException as exc:  # handed to the caller in finish()
            self.error = exc
        finally:
            self._reader.close()

    def finish(self) -> None:
        """Close the stream, wait for the thread, and raise what it raised."""
        with contextlib.suppress(OSError):  # the thread stopped reading: its error says why
            self.writer.close()
        self._thread.join()
        if self.error is not None:
            raise self.error
