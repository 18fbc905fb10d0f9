"""Hand call updates from the PBX link to the database without losing any.

The PBX link must never wait on the database, and a finished call must
survive a database that is down for a while. ``CallSink`` sits between them:
``put()`` appends to a bounded buffer; a writer thread takes items in order,
in batches, and calls ``write_batch(items)``. When that raises, the same batch
is retried with capped exponential backoff, for as long as it takes: items
leave the buffer only once written. When the buffer is full, ``put()`` blocks
(the AMI socket then stops being read and the PBX buffers for us) instead of
dropping anything.
"""

import json
import logging
import threading
import time
from collections import deque

_logger = logging.getLogger(__name__)


class CallSink:
    def __init__(self, write_batch, *, name="calls", max_buffer=10_000, max_batch=200,
                 retry_initial=0.5, retry_max=30.0, sleep=time.sleep):
        self._write_batch = write_batch
        self.name = name
        self.max_buffer = max_buffer
        self.max_batch = max_batch
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self._sleep = sleep
        self._items = deque()
        self._lock = threading.Condition()
        self._stopping = False
        self._abandoned = False
        self._waiting = False
        self._thread = None
        self.written = 0
        self.failures = 0
        self.last_error = None

    # -- producer side --
    def put(self, item, timeout=None):
        """Queue ``item``; blocks while the buffer is full. False on timeout."""
        with self._lock:
            if len(self._items) >= self.max_buffer:
                if not self._waiting:  # once per episode, not once per event
                    self._waiting = True
                    _logger.warning("%s: buffer full (%d items), the PBX link waits for the database",
                                    self.name, len(self._items))
                if not self._lock.wait_for(lambda: len(self._items) < self.max_buffer or self._stopping, timeout):
                    return False
            self._items.append(item)
            self._lock.notify_all()
            return True

    def __len__(self):
        with self._lock:
            return len(self._items)

    # -- writer side --
    def start(self):
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"k2cc-sink-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout=10.0):
        """Write what is buffered (trying until ``timeout``), then stop."""
        deadline = time.monotonic() + timeout
        with self._lock:
            self._lock.wait_for(lambda: not self._items, timeout)
            self._stopping = True
            self._lock.notify_all()
        if self._thread:
            self._thread.join(max(deadline - time.monotonic(), 0.1))
        with self._lock:
            self._abandoned = True
            left = list(self._items)
        if left:
            # Last resort: the items go to the log, from where they can be replayed.
            _logger.error("%s: stopped with %d unwritten items: %s", self.name, len(left),
                          json.dumps(left, default=str, ensure_ascii=False))
        return not left

    def drain(self):
        """Write everything buffered now, in the calling thread (tests, CLI)."""
        while self._write_next():
            pass

    def _run(self):
        while True:
            with self._lock:
                self._lock.wait_for(lambda: self._items or self._stopping)
                if (self._stopping and not self._items) or self._abandoned:
                    return
            self._write_next()

    def _write_next(self):
        with self._lock:
            batch = [self._items[index] for index in range(min(self.max_batch, len(self._items)))]
        if not batch:
            return False
        delay = self.retry_initial
        while True:
            try:
                self._write_batch(batch)
            except Exception as error:  # noqa: BLE001 - any database fault: keep the batch, retry
                self.failures += 1
                self.last_error = f"{type(error).__name__}: {error}"
                if self._abandoned:
                    return False
                _logger.warning("%s: writing %d items failed (%s), retrying in %.1f s",
                                self.name, len(batch), self.last_error, delay)
                self._sleep(delay)
                delay = min(delay * 2, self.retry_max)
                continue
            break
        with self._lock:
            for _item in batch:
                self._items.popleft()
            self.written += len(batch)
            if self._waiting and len(self._items) < self.max_buffer // 2:
                self._waiting = False
                _logger.info("%s: the database caught up (%d items buffered)", self.name, len(self._items))
            self._lock.notify_all()
        return True
