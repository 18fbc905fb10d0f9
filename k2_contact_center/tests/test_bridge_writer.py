import os
import signal

from odoo.tests import TransactionCase, tagged

from ..bridge.writer import WriterError, WriterProcess


@tagged("post_install", "-at_install")
class TestWriterProcess(TransactionCase):
    """The writer process of the ``k2cc-bridge`` command: a process of its
    own on this database (it sees what is committed, not this test's
    transaction), answering each batch once written, a failure as an error
    the sink retries, and replaced when it dies."""

    def setUp(self):
        super().setUp()
        # no PBX has this id: what is written to it fails, as a batch the database refuses
        self.writer = WriterProcess(self.env.cr.dbname, 987654, "Writer test").start()
        self.addCleanup(self.writer.close)

    def test_batches_are_answered_a_refused_one_is_an_error_and_a_dead_process_is_replaced(self):
        self.assertEqual(self.writer.write_batch([]), [], "an empty batch is written and answered")
        first = self.writer.process.pid
        with self.assertRaises(WriterError) as refused:
            self.writer.write_batch([("heartbeat", {})])
        self.assertIn("MissingError", str(refused.exception))
        self.assertEqual(self.writer.process.pid, first, "a batch refused is no reason to end the process")

        os.kill(first, signal.SIGKILL)
        with self.assertRaises(WriterError) as died:
            self.writer.write_batch([])
        self.assertIn(f"exit code {-signal.SIGKILL}", str(died.exception))
        self.assertEqual(self.writer.write_batch([]), [], "the next batch is written by a new process")
        self.assertNotEqual(self.writer.process.pid, first)
        self.assertEqual(self.writer.started, 2)

    def test_it_ends_when_asked_and_when_its_link_is_gone(self):
        self.writer.write_batch([])
        process = self.writer.process
        self.writer.close()
        self.assertEqual(process.wait(10), 0)
        self.assertIsNone(self.writer.process)

        self.writer.start()
        process = self.writer.process
        self.writer._connection.close()  # the link's end of the socket, as when its process is killed
        self.assertEqual(process.wait(60), 0)
