from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .test_agent_desk import AgentDeskCase
from .test_ingest import record

SHARED = "+420221999000"  # a company's switchboard, typed on two of its people


@tagged("post_install", "-at_install")
class TestSharedNumbers(AgentDeskCase):
    """A number several contacts have: the card lists them, the agent picks
    one, the call and its note go there, and the next call shows the pick first."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.karel = cls._partner("Karel Novák", phone="221 999 000", country_id=cls.cz.id)
        cls.eva = cls._partner("Eva Nováková", phone="+420 221 999 000")

    def test_the_card_lists_every_contact_of_the_number_best_first(self):
        self.ingest(record("s1", caller=SHARED))
        call = self.call("s1")
        self.assertEqual(call.partner_id, self.karel)
        self.assertEqual(call.candidate_ids, self.karel | self.eva)
        card = call.with_user(self.agent)._cc_my_card()
        self.assertEqual([c["name"] for c in card["candidates"]], ["Karel Novák", "Eva Nováková"])
        self.assertTrue(card["number_on_contact"])

    def test_the_pick_takes_the_call_and_its_note_and_is_remembered(self):
        self.ingest(record("s2", caller=SHARED))
        call = self.call("s2").with_user(self.agent)
        card = call.cc_pick_contact(self.eva.id)
        self.assertEqual(card["contact"]["id"], self.eva.id)
        self.assertEqual((call.partner_id, call.match_kind, call.match_what), (self.eva, "phone", "contact"))
        message = self.env["mail.message"].browse(call.cc_save_note("She is the one who orders."))
        self.assertEqual((message.model, message.res_id), ("res.partner", self.eva.id))
        self.ingest(record("s3", caller=SHARED))
        self.assertEqual(self.call("s3").partner_id, self.eva, "the next call shows the picked contact first")
        self.assertEqual(self.call("s3").candidate_ids, self.karel | self.eva, "the candidates stay on the call")
        self.assertEqual(self.env["res.partner"].cc_find_by_number(SHARED)[0], self.eva)
        # another pick replaces it
        self.call("s3").with_user(self.agent).cc_pick_contact(self.karel.id)
        self.ingest(record("s4", caller=SHARED))
        self.assertEqual(self.call("s4").partner_id, self.karel)
        self.assertEqual(self.env["k2.cc.number.pick"].search_count([("number_e164", "=", SHARED)]), 1)

    def test_a_contact_without_the_number_cannot_be_picked(self):
        self.ingest(record("s5", caller=SHARED))
        with self.assertRaisesRegex(UserError, "does not have the number"):
            self.call("s5").with_user(self.agent).cc_pick_contact(self.customer.id)
        self.assertEqual(self.call("s5").partner_id, self.karel)

    def test_the_pick_is_per_company(self):
        other = self.env["res.company"].create({"name": "Jiná firma", "country_id": self.cz.id})
        self.env["k2.cc.number.pick"].with_company(other)._cc_remember(SHARED, self.eva)
        self.ingest(record("s6", caller=SHARED))
        self.assertEqual(self.call("s6").partner_id, self.karel)


@tagged("post_install", "-at_install")
class TestIdentificationSources(AgentDeskCase):
    """Beyond contacts: colleagues by their lines, and, where their modules are
    installed, employees and open leads. Without CRM or Employees, those
    sources are simply not asked (the CI runs this class on a database with
    them and on one with the addon alone)."""

    def identify(self, number):
        return self.env["k2.cc.identification"]._cc_identify(number, self.pbx)

    def test_a_colleague_by_the_public_number_of_their_line(self):
        self.line2.number = "+420 221 122 202"
        self.ingest(record("c1", caller="+420221122202", callee="201"))
        call = self.call("c1")
        self.assertEqual((call.match_what, call.match_model, call.match_res_id), ("colleague", "res.users",
                                                                                 self.agent2.id))
        self.assertFalse(call.partner_id)
        card = call.with_user(self.agent)._cc_my_card()
        self.assertEqual(card["identity"]["what"], "colleague")
        self.assertEqual(card["identity"]["name"], "Agent Bob")

    def test_contacts_come_before_everything_else(self):
        self.line2.number = "+420 603 555 777"  # the customer's mobile, also a line's number
        found = self.identify("+420603555777")
        self.assertEqual([(entry["what"], entry["id"]) for entry in found[:2]],
                         [("contact", self.customer.id), ("colleague", self.agent2.id)])

    def test_open_leads_by_phone_and_mobile(self):
        if "crm.lead" not in self.env:
            self.assertFalse(self.identify("+420777123456"))
            self.ingest(record("l0", caller="+420777123456"))
            self.assertEqual((self.call("l0").match_what, self.call("l0").partner_id.id), (False, False))
            return
        lead = self.env["crm.lead"].create({"name": "Pumps for the brewery", "contact_name": "Jiří Král",
                                            "mobile": "777 123 456", "country_id": self.cz.id, "type": "lead"})
        self.env["crm.lead"].create({"name": "Won long ago", "phone": "+420777123456", "probability": 100})
        self.env["crm.lead"].create({"name": "Another number", "phone": "+420777123457"})
        self.assertEqual([(entry["what"], entry["id"]) for entry in self.identify("00420 777 123 456")],
                         [("lead", lead.id)])
        self.ingest(record("l1", caller="+420777123456"))
        call = self.call("l1")
        self.assertEqual((call.match_what, call.match_res_id, call.match_name), ("lead", lead.id,
                                                                                 "Pumps for the brewery"))
        # an agent who may not read leads is told what it is, not whose it is
        card = call.with_user(self.agent)._cc_my_card()
        self.assertEqual((card["identity"]["what"], card["identity"]["id"], card["identity"]["name"]),
                         ("lead", False, ""))
        with self.assertRaises(Exception):  # noqa: B017 - CRM's own access error, whatever its class
            call.with_user(self.agent).cc_convert_lead()
        salesman = new_test_user(self.env, "k2sales", name="Sales Agent",
                                 groups="base.group_user,sales_team.group_sale_salesman_all_leads")
        self.line.user_id = salesman
        card = call.with_user(salesman).cc_convert_lead()
        self.assertTrue(lead.partner_id)
        self.assertEqual(lead.partner_id.name, "Jiří Král")
        self.assertEqual((call.partner_id, call.match_what), (lead.partner_id, "contact"))
        self.assertEqual(card["contact"]["name"], "Jiří Král")
        self.assertEqual(self.env["res.partner"].cc_find_by_number("+420777123456"), lead.partner_id)
        # a lead whose customer was found as a contact is not listed again
        self.assertEqual([entry["what"] for entry in self.identify("+420777123456")], ["contact"])

    def test_employees_by_work_phone_and_mobile(self):
        if "hr.employee" not in self.env:
            self.assertFalse(self.identify("+420606111222"))
            return
        employee = self.env["hr.employee"].create({"name": "Marie Skladová", "work_phone": "+420 606 111 222"})
        mobile = self.env["hr.employee"].create({"name": "Petr Řidič", "mobile_phone": "606 333 444"})
        self.assertEqual([(entry["what"], entry["id"]) for entry in self.identify("606111222")],
                         [("employee", employee.id)])
        # Employees keeps a work contact with the mobile: found as that contact, said to be the employee
        [entry] = self.identify("+420606333444")
        self.assertEqual((entry["what"], entry["id"]), ("employee", mobile.id))
        self.assertEqual(entry["partner"], mobile.work_contact_id.id or False)
        self.ingest(record("e1", caller="+420606111222"))
        self.assertEqual((self.call("e1").match_what, self.call("e1").match_name), ("employee", "Marie Skladová"))
        self.ingest(record("e2", caller="+420606333444"))
        self.assertEqual((self.call("e2").match_what, self.call("e2").match_res_id), ("employee", mobile.id))
        self.assertEqual(self.call("e2").partner_id, mobile.work_contact_id, "the note goes to the work contact")

    def test_odd_numbers_identify_nobody_and_never_raise(self):
        for number in ("", "anonymous", "201", "+", "0" * 40, "abc", "+4206", None):
            with self.subTest(number=number):
                self.assertEqual(self.identify(number), [])


@tagged("post_install", "-at_install")
class TestNumberOnTheCard(AgentDeskCase):
    def test_the_number_joins_the_contact_as_the_kind_chosen(self):
        self.ingest(record("k1", caller="+420777000111"))
        call = self.call("k1").with_user(self.agent)
        card = call.cc_assign_number(self.customer.id, "mobile")
        self.assertEqual((card["contact"]["id"], card["number_on_contact"]), (self.customer.id, True))
        number = self.customer.cc_number_ids.filtered(lambda n: n.number_e164 == "+420777000111")
        self.assertEqual(number.kind, "mobile")
        self.assertEqual(call.match_kind, "mobile")
        # twice: no second number
        call.cc_assign_number(self.customer.id, "phone")
        self.assertEqual(len(self.customer.cc_number_ids.filtered(lambda n: n.number_e164 == "+420777000111")), 1)
        with self.assertRaisesRegex(UserError, "kind of number"):
            call.cc_assign_number(self.customer.id, "fax")

    def test_a_contact_set_by_hand_is_offered_the_number(self):
        self.ingest(record("k2", caller="+420777000222"))
        call = self.call("k2")
        call.partner_id = self.customer
        self.assertFalse(call.with_user(self.agent)._cc_my_card()["number_on_contact"])
        call.with_user(self.agent).cc_assign_number(self.customer.id, "phone")
        self.assertTrue(call.with_user(self.agent)._cc_my_card()["number_on_contact"])
