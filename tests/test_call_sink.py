"""The sink between the PBX link and the database: order, retry, backpressure."""

import threading

from k2_contact_center.bridge.sink import CallSink


def test_items_written_in_order_in_batches():
    batches = []
    sink = CallSink(batches.append, max_batch=3)
    for item in range(7):
        sink.put(item)
    sink.drain()
    assert batches == [[0, 1, 2], [3, 4, 5], [6]]
    assert sink.written == 7 and len(sink) == 0


def test_failed_batch_is_retried_with_capped_backoff_and_nothing_lost():
    written, delays = [], []
    failures = iter([True, True, True, True, False, False])

    def write(batch):
        if next(failures):
            raise ConnectionError("database is down")
        written.extend(batch)

    sink = CallSink(write, max_batch=2, retry_initial=1, retry_max=4, sleep=delays.append)
    for item in "abc":
        sink.put(item)
    sink.drain()
    assert written == ["a", "b", "c"]
    assert delays == [1, 2, 4, 4]
    assert sink.failures == 4 and "database is down" in sink.last_error


def test_full_buffer_blocks_producer_instead_of_dropping():
    release = threading.Event()
    written = []

    def slow_write(batch):
        release.wait(5)
        written.extend(batch)

    sink = CallSink(slow_write, max_buffer=2, max_batch=1).start()
    assert sink.put(1) and sink.put(2)
    assert sink.put(3, timeout=0.2) is False  # full: refused after waiting, not dropped silently
    release.set()
    assert sink.put(3, timeout=5)
    assert sink.stop(timeout=5)
    assert written == [1, 2, 3]


def test_writer_thread_and_clean_stop():
    written = []
    sink = CallSink(written.extend).start()
    for item in range(100):
        sink.put(item)
    assert sink.stop(timeout=5)
    assert written == list(range(100))


def test_stop_with_database_down_logs_what_was_not_written(caplog):
    def broken(_batch):
        raise OSError("no database")

    sink = CallSink(broken, retry_initial=0.01, retry_max=0.02).start()
    sink.put({"call_id": "1700000000.1", "caller": "Dvořák"})
    assert sink.stop(timeout=0.3) is False
    assert "1 unwritten items" in caplog.text and "Dvořák" in caplog.text


def test_full_buffer_is_reported_once_per_episode(caplog):
    release = threading.Event()
    sink = CallSink(lambda batch: release.wait(5), max_buffer=1, max_batch=1).start()
    sink.put(1)
    for _attempt in range(3):
        sink.put(2, timeout=0.05)
    assert caplog.text.count("buffer full") == 1
    release.set()
    assert sink.stop(timeout=5)
