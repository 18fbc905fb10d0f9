from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, JsonRpcException, new_test_user, tagged

from ..bridge.ingest import ingest
from .common import K2CcCase
from .test_ingest import live, record

REFUSED = "only contact-center administrators may correct"


@tagged("post_install", "-at_install")
class TestCallFacts(K2CcCase):
    """The call history is the PBX's word: what it reported is written by the
    bridge, and corrected (on the record) only by administrators."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.call = cls._call(user_id=cls.agent.id, line_id=cls.line.id, rang_line_ids=[(6, 0, cls.line.ids)],
                             pbx_call_id="f1", disposition="no_answer")
        cls.admin = new_test_user(cls.env, "k2factadmin", groups="base.group_user,k2_contact_center.group_k2_cc_admin")
        cls.recorder = cls.env.ref("k2_contact_center.user_k2_cc_recorder")
        cls.customer = cls._partner("Bedřich Smetana")
        cls.other_pbx = cls.env["k2.cc.pbx"].create({"code": "F2", "name": "Other PBX"})
        cls.other_company = cls.env["res.company"].create({"name": "Elsewhere s.r.o."})
        cls.attachment = cls.env["ir.attachment"].create({"name": "other.mp3", "raw": b"ID3"})
        cls.queue = cls.env["k2.cc.queue"].create({"pbx_id": cls.pbx.id, "name": "support"})
        cls.callback = cls.env["k2.cc.callback"].create({
            "number": "+420601000000", "company_id": cls.company.id, "first_call_time": "2026-03-02 08:00:00",
            "last_call_time": "2026-03-02 08:00:00"})

    def _other_value(self, fname):
        """A value of ``fname`` different from the call's: what someone would write."""
        field = self.call._fields[fname]
        current = self.call[fname]
        if field.type == "selection":
            return next(key for key, _label in field._description_selection(self.env) if key != current)
        if field.type == "boolean":
            return not current
        if field.type == "integer":
            return current + 60
        if field.type == "char":
            return f"{current or ''}9"
        if field.type == "datetime":
            return (current or self.call.start) - timedelta(minutes=7)
        if field.type == "json":
            return [{"from": "201", "to": "202"}]
        if field.type == "many2many":
            return [(4, self.line2.id)]
        others = {"k2.cc.line": self.line2, "res.users": self.agent2, "k2.cc.pbx": self.other_pbx,
                  "res.company": self.other_company, "ir.attachment": self.attachment,
                  "k2.cc.queue": self.queue, "k2.cc.callback": self.callback}
        return others[field.comodel_name].id

    def _assert_facts_refused(self, user):
        for fname in self.call._cc_pbx_facts:
            with self.subTest(field=fname):
                before = self.call[fname]
                with self.assertRaisesRegex(AccessError, REFUSED):
                    self.call.with_user(user).write({fname: self._other_value(fname)})
                self.call.invalidate_recordset()
                self.assertEqual(self.call[fname], before)

    def test_every_fact_is_declared_on_the_model(self):
        self.assertTrue(set(self.call._cc_pbx_facts) <= set(self.call._fields))
        people = {"partner_id", "match_kind", "note_message_id"}
        self.assertFalse(people & set(self.call._cc_pbx_facts), "what people add is theirs to write")

    def test_agent_cannot_rewrite_their_calls(self):
        """The missed call stays missed, its times stay the PBX's."""
        self._assert_facts_refused(self.agent)
        self.assertEqual(self.call.call_type, "missed")

    def test_manager_cannot_rewrite_calls(self):
        self._assert_facts_refused(self.manager)

    def test_agent_writes_what_people_add(self):
        call = self.call.with_user(self.agent)
        call.write({"partner_id": self.customer.id})
        self.assertEqual(call.partner_id, self.customer)
        call.cc_save_note("Called back, all settled.")
        self.assertIn("all settled", call.note)
        call.cc_schedule_followup(self.agent.id, fields.Date.today(), "Send the offer")
        self.assertIn("Send the offer", self.customer.activity_ids.mapped("summary"))

    def test_a_note_links_only_a_message_its_writer_may_read(self):
        others = self._call(user_id=self.agent2.id, pbx_call_id="f2")
        secret = others.message_post(body="Bob's private remark")
        with self.assertRaises(AccessError):
            self.call.with_user(self.agent).write({"note_message_id": secret.id})
        self.assertFalse(self.call.note)

    def test_people_cannot_add_calls(self):
        for user in (self.agent, self.manager):
            with self.subTest(user=user.login), self.assertRaisesRegex(AccessError, "Calls come from the PBX"):
                self.env["k2.cc.call"].with_user(user).create({"pbx_id": self.pbx.id, "partner_id": self.customer.id})

    def test_administrator_correction_is_logged_with_old_and_new_values(self):
        # even when the writer asks for no tracking
        call = self.call.with_user(self.admin).with_context(tracking_disable=True, mail_notrack=True)
        call.write({"disposition": "answered", "answer_time": "2026-03-02 08:00:20",
                    "transfers": [{"from": "201", "to": "202"}]})
        self.assertEqual((call.call_type, call.ring_duration, call.talk_duration), ("received", 20, 280))
        message = self.call.message_ids[:1]
        self.assertIn("Corrected by", message.body)
        self.assertEqual(message.author_id, self.admin.partner_id)
        changes = {value.field_id.name: value for value in message.sudo().tracking_value_ids}
        self.assertEqual(set(changes), {"disposition", "call_type", "answer_time", "ring_duration",
                                        "talk_duration", "transfers"})
        self.assertEqual((changes["disposition"].old_value_char, changes["disposition"].new_value_char),
                         ("No Answer", "Answered"))
        self.assertEqual((changes["ring_duration"].old_value_integer, changes["ring_duration"].new_value_integer),
                         (300, 20))
        self.assertEqual(changes["talk_duration"].new_value_integer, 280)
        self.assertFalse(changes["answer_time"].old_value_datetime)
        self.assertEqual(changes["answer_time"].new_value_datetime, fields.Datetime.to_datetime("2026-03-02 08:00:20"))
        self.assertIn('"to": "202"', changes["transfers"].new_value_char)

    def test_administrator_writing_the_same_facts_logs_nothing(self):
        self.call.with_user(self.admin).write({"disposition": "no_answer"})
        self.assertFalse(self.call.message_ids.filtered(lambda message: "Corrected by" in (message.body or "")))

    def test_administrator_adding_a_call_is_logged(self):
        call = self.env["k2.cc.call"].with_user(self.admin).create({"pbx_id": self.pbx.id, "caller_number": "777"})
        self.assertIn("did not report", call.message_ids[:1].body)

    def test_bridge_and_watchdog_write_facts_without_a_trace(self):
        pbx = self.pbx.with_user(self.recorder)
        [call] = ingest(pbx, [live("b1", "ringing")])
        ingest(pbx, [record("b1")])
        self.assertEqual((call.state, call.talk_duration), ("done", 247))
        [lost] = ingest(pbx, [live("b2", "talking")])
        lost._cc_close_lost()  # the resync after a reconnect, as the bridge
        self.assertEqual(lost.state, "done")
        [stale] = ingest(pbx, [live("b3", "ringing")])
        self.env.flush_all()
        self.env.cr.execute("UPDATE k2_cc_call SET write_date = write_date - interval '1 day' WHERE id = %s",
                            [stale.id])
        self.env.invalidate_all()
        self.env["k2.cc.pbx"]._cc_watchdog()  # the cron, as the superuser
        self.assertEqual((stale.state, stale.disposition), ("done", "no_answer"))
        self.assertFalse((call | lost | stale).sudo().message_ids)


@tagged("post_install", "-at_install")
class TestCallFactsOverRpc(HttpCase):
    """What each group may write, over JSON-RPC as the web client and scripts do."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        pbx = cls.env["k2.cc.pbx"].create({"code": "RPC", "name": "RPC PBX", "host": "127.0.0.1"})
        cls.users = {
            group: new_test_user(cls.env, f"k2rpc{group}",
                                 groups=f"base.group_user,k2_contact_center.group_k2_cc_{group}")
            for group in ("user", "manager", "admin")
        }
        cls.lines = {group: cls.env["k2.cc.line"].create({"pbx_id": pbx.id, "extension": str(201 + index),
                                                          "user_id": user.id})
                     for index, (group, user) in enumerate(cls.users.items())}
        cls.call = cls.env["k2.cc.call"].with_context(tracking_disable=True).create({
            "pbx_id": pbx.id, "pbx_call_id": "rpc1", "direction": "inbound", "disposition": "no_answer",
            "start": "2026-03-02 08:00:00", "end": "2026-03-02 08:00:30", "caller_number": "+420603555777",
            "user_id": cls.users["user"].id, "line_id": cls.lines["user"].id,
            "rang_line_ids": [Command.set(cls.lines["user"].ids)],
        })
        cls.customer = cls.env["res.partner"].create({"name": "Leoš Janáček"})

    def rpc(self, group, model, method, *args):
        self.authenticate(self.users[group].login, self.users[group].login)
        return self.make_jsonrpc_request(f"/web/dataset/call_kw/{model}/{method}", {
            "model": model, "method": method, "args": list(args), "kwargs": {}})

    def test_people_cannot_rewrite_what_the_pbx_reported(self):
        for group in ("user", "manager"):
            for vals in ({"disposition": "answered"}, {"answer_time": "2026-03-02 08:00:05"},
                         {"end": "2026-03-02 08:10:00"}, {"talk_duration": 600},
                         {"user_id": self.users["manager"].id}):
                with self.subTest(group=group, vals=vals), \
                        self.assertRaisesRegex(JsonRpcException, "AccessError"):
                    self.rpc(group, "k2.cc.call", "write", self.call.ids, vals)
        self.assertEqual((self.call.call_type, self.call.talk_duration, self.call.ring_duration), ("missed", 0, 30))

    def test_people_write_the_contact(self):
        for group in ("user", "manager"):
            with self.subTest(group=group):
                self.assertTrue(self.rpc(group, "k2.cc.call", "write", self.call.ids, {"partner_id": self.customer.id}))
        self.assertEqual(self.call.partner_id, self.customer)

    def test_administrator_corrects_on_the_record(self):
        self.rpc("admin", "k2.cc.call", "write", self.call.ids, {"disposition": "answered",
                                                                 "answer_time": "2026-03-02 08:00:05"})
        self.assertEqual((self.call.call_type, self.call.talk_duration), ("received", 25))
        self.assertIn("Corrected by", self.call.message_ids[:1].body)

    def test_agents_set_their_own_line_switches_only(self):
        line = self.lines["user"]
        self.assertTrue(self.rpc("user", "k2.cc.line", "write", line.ids, {"autoclose_missed": True,
                                                                           "notify_missed": False}))
        self.assertEqual((line.autoclose_missed, line.notify_missed), (True, False))
        for vals in ({"extension": "299"}, {"endpoint": "PJSIP/x"}, {"user_id": self.users["manager"].id},
                     {"log_calls": False}):
            with self.subTest(vals=vals), self.assertRaisesRegex(JsonRpcException, "AccessError"):
                self.rpc("user", "k2.cc.line", "write", line.ids, vals)
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self.rpc("manager", "k2.cc.line", "write", line.ids, {"autoclose_missed": False})
        self.assertTrue(line.autoclose_missed)
        self.assertTrue(self.rpc("admin", "k2.cc.line", "write", line.ids, {"endpoint": "PJSIP/201"}))
