from odoo.tests import TransactionCase, tagged

from ..bridge.runner import PbxLink


@tagged("post_install", "-at_install")
class TestBridgeLock(TransactionCase):
    def test_one_link_per_pbx_across_processes(self):
        first = PbxLink(self.env.cr.dbname, 987654)
        second = PbxLink(self.env.cr.dbname, 987654)
        other = PbxLink(self.env.cr.dbname, 987655)
        try:
            self.assertTrue(first._take_lock())
            self.assertFalse(second._take_lock())
            self.assertTrue(other._take_lock())
            first._release_lock()
            self.assertTrue(second._take_lock())
        finally:
            for link in (first, second, other):
                link._release_lock()
