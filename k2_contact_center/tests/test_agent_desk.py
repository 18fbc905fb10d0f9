import json
from datetime import date

from markupsafe import Markup

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from ..bridge.ingest import ingest
from .common import K2CcCase
from .test_ingest import record


class AgentDeskCase(K2CcCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_partner = cls._partner("Dvořák a syn s.r.o.", is_company=True)
        cls.customer = cls._partner("Antonín Dvořák", parent_id=cls.company_partner.id, country_id=cls.cz.id,
                                    mobile="603 555 777")
        cls.recorder = cls.env.ref("k2_contact_center.user_k2_cc_recorder")

    def ingest(self, *items):
        return ingest(self.pbx.with_user(self.recorder), list(items))

    def call(self, call_id):
        return self.env["k2.cc.call"].search([("pbx_call_id", "=", call_id)])


@tagged("post_install", "-at_install")
class TestAgentDesk(AgentDeskCase):
    def test_note_lands_on_the_contact_as_done_call_activity(self):
        self.ingest(record("n1"))
        call = self.call("n1").with_user(self.agent)
        message_id = call.cc_save_note("Wants a quote for 20 pumps, call back Friday.")
        message = self.env["mail.message"].browse(message_id)
        self.assertEqual((message.model, message.res_id), ("res.partner", self.customer.id))
        self.assertIn("20 pumps", message.body)
        self.assertEqual(message.mail_activity_type_id, self.env.ref(
            "k2_contact_center.mail_activity_type_incoming_call"))
        self.assertEqual(call.note_message_id.id, message_id)
        self.assertFalse(self.customer.activity_ids, "the activity is done, not pending")

    def test_outgoing_note_uses_outgoing_type_and_settings(self):
        custom = self.env["mail.activity.type"].create({"name": "Telefon vytáčený", "category": "phonecall"})
        self.company.cc_outgoing_activity_type_id = custom
        self.ingest(record("n2", direction="outbound", caller="201", callee="+420603555777",
                           answered_by="+420603555777", rang=["+420603555777"]))
        message_id = self.call("n2").with_user(self.agent).cc_save_note("Confirmed the delivery date.")
        self.assertEqual(self.env["mail.message"].browse(message_id).mail_activity_type_id, custom)

    def test_note_needs_text_and_a_contact(self):
        self.ingest(record("n3", caller="+420777000999"))
        call = self.call("n3").with_user(self.agent)
        with self.assertRaisesRegex(UserError, "Write something"):
            call.cc_save_note("  ")
        with self.assertRaisesRegex(UserError, "Assign the number"):
            call.cc_save_note("Who was it?")

    def test_unknown_number_assigned_to_a_contact(self):
        self.ingest(record("n4", caller="+420777000999"))
        call = self.call("n4").with_user(self.agent)
        call.cc_assign_number(self.customer.id)
        self.assertEqual((call.partner_id, call.match_kind), (self.customer, "cc"))
        self.assertEqual(self.env["res.partner"].cc_find_by_number("777000999"), self.customer)

    def test_follow_up_is_a_todo_on_the_contact(self):
        self.ingest(record("n5"))
        call = self.call("n5").with_user(self.agent)
        activity = self.env["mail.activity"].browse(call.cc_schedule_followup(self.agent2.id, "2026-12-01",
                                                                            "Send the quote"))
        self.assertEqual((activity.res_model, activity.res_id), ("res.partner", self.customer.id))
        self.assertEqual((activity.user_id, activity.summary), (self.agent2, "Send the quote"))
        self.assertIn("Follow-up scheduled", call.message_ids[0].body)

    def notices(self, user):
        return self.env["mail.notification"].search([("res_partner_id", "=", user.partner_id.id),
                                                     ("mail_message_id.model", "=", "k2.cc.call")])

    def test_missed_call_notice_once_to_each_line_user_that_wants_it(self):
        self.line2.notify_missed = False
        self.ingest(record("m1", disposition="no_answer", answered_by=None, answer=None, talk_seconds=0.0,
                           rang=["201", "202"]))
        self.ingest(record("m1", disposition="no_answer", answered_by=None, answer=None, rang=["201", "202"]))
        notices = self.notices(self.agent)
        self.assertEqual(len(notices), 1)
        self.assertEqual(notices.notification_type, "inbox")
        self.assertIn("Antonín Dvořák", notices.mail_message_id.body)
        self.assertFalse(self.notices(self.agent2))

    def test_missed_call_notices_of_a_batch_each_as_message_notify_sends_it(self):
        """A batch's notices are made together: still one inbox message per
        missed call, to each of its users, with the inbox toast Odoo's
        ``message_notify`` would send for it."""
        self.env["bus.bus"].sudo().search([]).unlink()
        self.ingest(
            record("b1", disposition="no_answer", answered_by=None, answer=None, rang=["201", "202"]),
            record("b2", disposition="cancelled", answered_by=None, answer=None, rang=["202"],
                   caller="+420777000999"),
            record("b3", answered_by="202", rang=["201", "202"]),
        )
        b1, b2, b3 = self.call("b1"), self.call("b2"), self.call("b3")
        self.assertEqual((self.notices(self.agent).mail_message_id.res_id, len(self.notices(self.agent2))),
                         (b1.id, 2))
        notice = {}
        for call, who, users in ((b1, self.customer.display_name, self.agent | self.agent2),
                                 (b2, "+420777000999", self.agent2)):
            message = notice[call] = self.env["mail.message"].search([("model", "=", "k2.cc.call"),
                                                                      ("res_id", "=", call.id)])
            self.assertEqual((message.message_type, message.author_id, message.subject, message.partner_ids),
                             ("user_notification", self.env.ref("base.partner_root"), f"Missed call from {who}",
                              users.partner_id))
            self.assertIn(f"({who}) at 2026-03-02 08:00:00", message.body)
            self.assertEqual(message.notification_ids.mapped(lambda n: (n.res_partner_id, n.notification_type,
                                                                        n.notification_status, n.is_read)),
                             [(user.partner_id, "inbox", "sent", False) for user in users])
        self.assertFalse(self.env["mail.message"].search([("model", "=", "k2.cc.call"), ("res_id", "=", b3.id)]))
        toasts = self.bus_payloads(self.agent2, "mail.message/inbox")
        self.assertEqual([[message["id"] for message in toast["mail.message"]] for toast in toasts],
                         [notice[b1].ids, notice[b2].ids])
        # what Odoo's own message_notify sends the inbox of a notice like b2's
        self.env["bus.bus"].sudo().search([]).unlink()
        reference = b2.sudo().with_context(k2_cc_inbox_notice=True).message_notify(
            partner_ids=self.agent2.partner_id.ids, subject=notice[b2].subject, body=notice[b2].body,
            author_id=self.env.ref("base.partner_root").id, email_layout_xmlid="mail.mail_notification_light")
        [sent] = self.bus_payloads(self.agent2, "mail.message/inbox")

        def shape(payload):
            """The payload but for the ids and times of the message and its notifications."""
            payload = json.loads(json.dumps(payload))
            for message in payload["mail.message"]:
                message.update(id="X", date="X", create_date="X", write_date="X",
                               notifications=["X"] * len(message["notifications"]))
            for notification in payload["mail.notification"]:
                notification.update(id="X", message="X")
            return payload

        same = ["author_id", "email_from", "model", "res_id", "record_name", "body", "subject", "message_type",
                "subtype_id", "is_internal", "partner_ids", "email_add_signature", "email_layout_xmlid",
                "record_alias_domain_id", "record_company_id", "reply_to", "attachment_ids"]
        self.assertEqual(*(message.read(same, load=None)[0] | {"id": 0} for message in (notice[b2], reference)))
        # "<random.time-openerp-message-notify@host>"
        self.assertEqual(notice[b2].message_id.split("-", 1)[1], reference.message_id.split("-", 1)[1])
        self.assertEqual(shape(toasts[1]), shape(sent))

    def test_no_notice_for_a_call_someone_answered(self):
        self.ingest(record("m2", answered_by="202", rang=["201", "202"]))
        self.assertFalse(self.notices(self.agent) | self.notices(self.agent2))

    def test_follow_up_from_the_call_history(self):
        self.ingest(record("n6"))
        call = self.call("n6")
        wizard = Form(self.env["k2.cc.followup.wizard"].with_user(self.agent).with_context(default_call_id=call.id))
        self.assertEqual(wizard.summary, "Call back Antonín Dvořák")
        wizard.user_id = self.agent2
        wizard.date_deadline = date(2026, 12, 3)
        wizard.save().action_schedule()
        activity = self.customer.activity_ids
        self.assertEqual((activity.user_id, activity.date_deadline, activity.summary),
                         (self.agent2, date(2026, 12, 3), "Call back Antonín Dvořák"))


@tagged("post_install", "-at_install")
class TestCardInsight(AgentDeskCase):
    """What the card tells the agent about the partner, never more than the agent may see."""

    def insight(self, call_id, user=None):
        return self.call(call_id).with_user(user or self.agent).cc_card_insight()

    def test_last_communication_is_the_latest_call_or_message_the_agent_may_read(self):
        self.ingest(record("i1", start="2026-02-01T09:00:00+00:00"))
        self.ingest(record("i2", callee="202", answered_by="202", rang=["202"], start="2026-02-20T09:00:00+00:00"))
        self.ingest(record("i3"))
        last = self.insight("i3")["last_communication"]
        self.assertEqual((last["kind"], last["call_id"], last["date"]),
                         ("call", self.call("i1").id, "2026-02-01 09:00:00"),
                         "the agent does not see the call of Bob's line")
        self.assertEqual(self.insight("i3", self.manager)["last_communication"]["call_id"], self.call("i2").id)
        self.company_partner.message_post(body=Markup("<p>Price list for 2026 sent</p>"), message_type="comment",
                                          subtype_xmlid="mail.mt_comment")
        last = self.insight("i3")["last_communication"]
        self.assertEqual((last["kind"], last["summary"]), ("message", "Price list for 2026 sent"))

    def test_unknown_caller_has_no_insight(self):
        self.ingest(record("i4", caller="+420777000999"))
        self.assertEqual(self.insight("i4"), {})

    def test_open_opportunities_only_for_users_of_crm(self):
        if "crm.lead" not in self.env:
            self.skipTest("CRM is not installed in this database (the test command installs it)")
        salesman = self.agent
        salesman.groups_id += self.env.ref("sales_team.group_sale_salesman")
        Lead = self.env["crm.lead"]
        Lead.create({"name": "20 pumps", "type": "opportunity", "partner_id": self.customer.id,
                     "expected_revenue": 12000, "user_id": salesman.id})
        Lead.create({"name": "Spare parts", "type": "opportunity", "partner_id": self.company_partner.id,
                     "expected_revenue": 3000, "user_id": salesman.id})
        won = Lead.create({"name": "Last year's order", "type": "opportunity", "partner_id": self.customer.id,
                           "expected_revenue": 50000, "user_id": salesman.id})
        won.action_set_won()
        Lead.create({"name": "Bob's deal", "type": "opportunity", "partner_id": self.customer.id,
                     "expected_revenue": 7000, "user_id": self.manager.id})
        self.ingest(record("i5"))
        opportunities = self.insight("i5")["opportunities"]
        self.assertEqual(opportunities["count"], 2, "open ones of the whole company the salesman may see")
        self.assertIn("15,000.00", opportunities["amount"])
        self.assertFalse(self.insight("i5", self.manager)["opportunities"], "no CRM rights, no opportunities")

    def test_amount_due_only_for_users_of_invoicing(self):
        if "account.move" not in self.env:
            self.skipTest("Accounting is not installed in this database (the test command installs it)")
        invoice = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": self.company_partner.id,
            "invoice_line_ids": [(0, 0, {"name": "Pump", "quantity": 2, "price_unit": 625.0, "tax_ids": []})],
        })
        invoice.action_post()
        self.ingest(record("i6"))
        self.assertFalse(self.insight("i6")["amount_due"], "an agent without invoicing rights sees no amounts")
        self.agent.groups_id += self.env.ref("account.group_account_invoice")
        due = self.insight("i6")["amount_due"]
        self.assertIn("1,250.00", due["amount"])
        self.assertTrue(due["owes"])
