from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import K2CcCase


@tagged("post_install", "-at_install")
class TestSecurity(K2CcCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice_call = cls._call(user_id=cls.agent.id, line_id=cls.line.id, rang_line_ids=[(6, 0, cls.line.ids)])
        cls.bob_call = cls._call(user_id=cls.agent2.id, line_id=cls.line2.id, rang_line_ids=[(6, 0, cls.line2.ids)])
        # A ring group: it rang both lines, Bob answered.
        cls.group_call = cls._call(user_id=cls.agent2.id, rang_line_ids=[(6, 0, (cls.line | cls.line2).ids)])
        cls.admin = new_test_user(cls.env, "k2admin", groups="base.group_user,k2_contact_center.group_k2_cc_admin")

    def test_agent_sees_own_and_rung_calls_only(self):
        visible = self.env["k2.cc.call"].with_user(self.agent).search([])
        self.assertEqual(visible, self.alice_call | self.group_call)
        with self.assertRaises(AccessError):
            self.bob_call.with_user(self.agent).read(["caller_number"])

    def test_manager_sees_all_calls_of_company(self):
        visible = self.env["k2.cc.call"].with_user(self.manager).search([])
        self.assertTrue((self.alice_call | self.bob_call | self.group_call) <= visible)

    def test_other_company_calls_hidden(self):
        other = self.env["res.company"].create({"name": "Other s.r.o."})
        other_pbx = self.env["k2.cc.pbx"].create({"code": "O1", "name": "Other PBX", "company_id": other.id})
        foreign = self._call(pbx_id=other_pbx.id, user_id=self.manager.id)
        self.assertEqual(foreign.company_id, other)
        self.assertNotIn(foreign, self.env["k2.cc.call"].with_user(self.manager).search([]))
        self.assertFalse(self.env["k2.cc.pbx"].with_user(self.manager).search([("id", "=", other_pbx.id)]))

    def test_password_for_administrators_only(self):
        self.assertNotIn("password", self.pbx.with_user(self.manager).fields_get())
        with self.assertRaises(AccessError):
            self.pbx.with_user(self.manager).read(["password"])
        with self.assertRaises(AccessError):
            self.pbx.with_user(self.agent).read(["password"])
        self.assertEqual(self.pbx.with_user(self.admin).read(["password"])[0]["password"], "s3cret")
        self.pbx.with_user(self.admin).password = "n3w"
        self.assertEqual(self.pbx.with_user(self.admin).password, "n3w")

    def test_cdr_credentials_for_administrators_only(self):
        self.pbx.write({"cdr_kind": "mysql", "cdr_host": "cdr.example.com", "cdr_database": "asteriskcdrdb",
                        "cdr_user": "reader", "cdr_password": "r3ad"})
        for user in (self.manager, self.agent):
            fields = self.pbx.with_user(user).fields_get()
            self.assertNotIn("cdr_password", fields)
            self.assertNotIn("cdr_user", fields)
            for fname in ("cdr_user", "cdr_password"):
                with self.assertRaises(AccessError):
                    self.pbx.with_user(user).read([fname])
            with self.assertRaises(AccessError):
                self.env["k2.cc.pbx"].with_user(user).search([("cdr_password", "=", "r3ad")])
        self.assertEqual(self.pbx.with_user(self.admin).read(["cdr_user", "cdr_password"])[0]["cdr_password"],
                         "r3ad")
        # where the CDRs are is no secret: the manager reads it on the link health page
        self.assertEqual(self.pbx.with_user(self.manager).cdr_host, "cdr.example.com")

    def test_configuration_for_administrators_only(self):
        with self.assertRaises(AccessError):
            self.pbx.with_user(self.manager).write({"name": "Renamed"})
        with self.assertRaises(AccessError):
            self.env["k2.cc.line"].with_user(self.agent).create({"pbx_id": self.pbx.id, "extension": "209"})
        self.assertEqual(self.pbx.with_user(self.agent).name, "Test PBX")

    def test_agent_cannot_create_or_delete_calls(self):
        with self.assertRaises(AccessError):
            self.env["k2.cc.call"].with_user(self.agent).create({"pbx_id": self.pbx.id})
        with self.assertRaises(AccessError):
            self.alice_call.with_user(self.agent).unlink()

    def test_groups_imply_each_other(self):
        self.assertTrue(self.admin.has_group("k2_contact_center.group_k2_cc_manager"))
        self.assertTrue(self.admin.has_group("k2_contact_center.group_k2_cc_user"))
        self.assertFalse(self.agent.has_group("k2_contact_center.group_k2_cc_manager"))
