from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from .common import K2CcCase


@tagged("post_install", "-at_install")
class TestCallerIdentification(K2CcCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.novak = cls._partner("Jan Novák", country_id=cls.cz.id, mobile="603 555 777")
        cls.berlin = cls._partner("Berliner GmbH", is_company=True, country_id=cls.de.id, phone="030 7654321")
        cls.office = cls._partner("Novák & syn", is_company=True, country_id=cls.cz.id, phone="+420 541 000 111")

    def test_forms_pbxs_send(self):
        for number in (
            "+420603555777",
            "00420603555777",
            "420603555777",
            "603555777",
            "603 555 777",
            "603-555-777",
            "(603) 555 777",
            "+420 (603) 555-777",
            " 00 420 603 555 777 ",
        ):
            with self.subTest(number=number):
                self.assertEqual(self.env["res.partner"].cc_find_by_number(number), self.novak)

    def test_foreign_number_in_its_national_format(self):
        """A German partner's ``030 7654321`` is found from the international form."""
        for number in ("+49307654321", "0049307654321", "0049 30 7654321"):
            with self.subTest(number=number):
                self.assertEqual(self.env["res.partner"].cc_find_by_number(number), self.berlin)

    def test_national_number_read_with_pbx_country(self):
        self.company.country_id = self.de
        Partner = self.env["res.partner"]
        self.assertFalse(Partner.cc_find_by_number("603555777").filtered(lambda p: p == self.novak))
        self.assertEqual(Partner.cc_find_by_number("603555777", pbx=self.pbx), self.novak)

    def test_pbx_outside_line_prefix(self):
        """An outbound number as the PBX reports it, with the outside-line 0 in front."""
        self.assertEqual(self.env["res.partner"].cc_find_by_number("0603555777", pbx=self.pbx), self.novak)
        self.assertEqual(self.env["res.partner"].cc_find_by_number("00049307654321", pbx=self.pbx), self.berlin)

    def test_no_match_never_raises(self):
        Partner = self.env["res.partner"]
        for number in ("", None, False, "anonymous", "Anonymous", "unknown", "201", "2", "abc", "+",
                       "++--()", "0" * 80, "+999 123", "6035557777890123456", "\x00\x01", "😀📞", 603555777):
            with self.subTest(number=number):
                self.assertFalse(Partner.cc_find_by_number(number))

    def test_internal_extension_is_no_caller(self):
        self._partner("Extension Owner", phone="201")
        self.assertFalse(self.env["res.partner"].cc_find_by_number("201", pbx=self.pbx))

    def test_archived_contact_not_found(self):
        self.novak.active = False
        self.assertFalse(self.env["res.partner"].cc_find_by_number("+420603555777"))

    def test_best_first_and_match_kind(self):
        """A person beats a company on the same number; a contact-center line beats a phone."""
        colleague = self._partner("Petra Nováková", parent_id=self.office.id, country_id=self.cz.id)
        self.env["k2.cc.partner.number"].create({"partner_id": colleague.id, "kind": "cc", "number": "541000111"})
        other = self._partner("Karel Dlouhý", country_id=self.cz.id, phone="+420541000111")
        matches = self.env["res.partner"]._cc_match_numbers("+420 541 000 111")
        self.assertEqual(matches.partner_id, colleague | other | self.office)
        self.assertEqual(matches.partner_id[0], colleague)
        self.assertEqual(matches.mapped("kind"), ["cc", "phone", "phone"])
        self.assertEqual(self.env["res.partner"].cc_find_by_number("+420541000111")[:1], colleague)

    def test_numbers_in_unusual_forms_not_in_fixtures(self):
        slovak = self._partner("Ľubica", country_id=self.env.ref("base.sk").id, mobile="0905 777 888")
        usa = self._partner("Acme Inc.", is_company=True, country_id=self.env.ref("base.us").id,
                            phone="(650) 253-0000")
        Partner = self.env["res.partner"]
        self.assertEqual(Partner.cc_find_by_number("00421905777888"), slovak)
        self.assertEqual(Partner.cc_find_by_number("+421.905.777.888"), slovak)
        self.assertEqual(Partner.cc_find_by_number("+1 650-253-0000"), usa)
        self.assertEqual(Partner.cc_find_by_number("0016502530000"), usa)

    def test_lookup_uses_the_index(self):
        """The lookup is one probe of the E.164 index, whatever the table size."""
        query = self.env["k2.cc.partner.number"]._search([("number_e164", "=", "+420603555777")])
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        self.env.cr.execute(SQL("EXPLAIN %s", query.select()))
        plan = "\n".join(row[0] for row in self.env.cr.fetchall())
        self.assertIn("k2_cc_partner_number__number_e164_index", plan)
        self.assertNotIn("res_partner", plan)

    def test_cold_lookup_is_one_query(self):
        """The bridge and the web client look each caller up in a fresh
        transaction: nothing of it is cached but what outlives transactions
        (the company's country, the PBX's number plan), and it takes one query."""
        recorder = self.env.ref("k2_contact_center.user_k2_cc_recorder")
        for who, env in (("web client", self.env(context=dict(self.env.context, allowed_company_ids=self.company.ids))),
                         ("bridge", self.env(user=recorder, context={"allowed_company_ids": self.company.ids}))):
            for pbx in (None, self.pbx.with_env(env)):
                with self.subTest(who=who, pbx=pbx):
                    Partner = env["res.partner"]
                    self.assertEqual(Partner.cc_find_by_number("603555777", pbx=pbx), self.novak)  # warms them
                    for number, partner in (("+420 603 555 777", self.novak), ("0049307654321", self.berlin)):
                        env.invalidate_all()
                        with self.assertQueryCount(1):
                            self.assertEqual(Partner.cc_find_by_number(number, pbx=pbx), partner)

    def test_cached_country_and_plan_follow_their_changes(self):
        """The same answers as reading them anew: a change of the company's
        country (or of its partner's), or of a PBX's plan, is seen at once."""
        Partner = self.env["res.partner"]
        hans = self._partner("Hans Müller", mobile="+49 151 98765432")
        self.assertEqual(Partner.cc_find_by_number("603555777"), self.novak)
        self.company.partner_id.country_id = self.de
        self.assertEqual(Partner.cc_find_by_number("015198765432"), hans)
        self.assertFalse(Partner.cc_find_by_number("603555777"))
        self.company.cc_default_country_id = self.cz
        self.assertEqual(Partner.cc_find_by_number("603555777"), self.novak)
        self.assertEqual(Partner.cc_find_by_number("603555777", pbx=self.pbx), self.novak)
        self.pbx.country_id = self.de
        self.assertEqual(Partner.cc_find_by_number("015198765432", pbx=self.pbx), hans)
        self.pbx.outside_prefix = "9"
        self.assertEqual(Partner.cc_find_by_number("9015198765432", pbx=self.pbx), hans)

    def test_archiving_or_making_a_company_reranks_at_once(self):
        colleague = self._partner("Petra Nováková", country_id=self.cz.id, phone="+420541000111")
        Partner = self.env["res.partner"]
        self.assertEqual(Partner.cc_find_by_number("+420541000111"), colleague | self.office)
        colleague.is_company = True
        self.assertEqual(Partner.cc_find_by_number("+420541000111")[:1], self.office)
        self.office.active = False
        self.assertEqual(Partner.cc_find_by_number("+420541000111"), colleague)

    def test_lookup_keeps_to_the_companies_of_who_asks(self):
        """A contact of another company is found only by those working in it:
        not by an agent of this company, but by the bridge recording the
        other company's PBX, and by a user in both when both are selected. A
        contact of no company is everyone's."""
        other = self.env["res.company"].create({"name": "Jiná firma s.r.o.", "country_id": self.cz.id})
        theirs = self._partner("Cizí zákazník", company_id=other.id, country_id=self.cz.id, mobile="+420 731 000 222")
        ours = self._partner("Náš zákazník", company_id=self.company.id, country_id=self.cz.id, phone="731 000 222")
        everyones = self._partner("Společný zákazník", country_id=self.cz.id, phone="00420731000222")
        both = new_test_user(self.env, "k2both", groups="base.group_user", company_id=self.company.id,
                             company_ids=[(6, 0, (self.company | other).ids)])
        recorder = self.env.ref("k2_contact_center.user_k2_cc_recorder")
        for who, user, companies, expected in (
            ("agent", self.agent, self.company, ours | everyones),
            ("bridge of the other company", recorder, other, theirs | everyones),
            ("user of both, this one selected", both, self.company, ours | everyones),
            ("user of both, both selected", both, self.company | other, theirs | ours | everyones),
            ("user of both, the other selected", both, other, theirs | everyones),
        ):
            with self.subTest(who=who):
                env = self.env(user=user, context={"allowed_company_ids": companies.ids})
                env.invalidate_all()
                self.assertEqual(env["res.partner"].cc_find_by_number("+420731000222").ids, expected.ids)

    def test_a_new_record_rule_applies_at_once(self):
        """The query is kept between transactions with the user's record
        rules: a rule added later, even one through the contact, narrows it
        at once, and taking it away widens it again."""
        Partner = self.env["res.partner"].with_user(self.agent).with_context(allowed_company_ids=self.company.ids)
        self.assertEqual(Partner.cc_find_by_number("+49307654321"), self.berlin)
        rule = self.env["ir.rule"].create({
            "name": "Czech contacts' numbers only",
            "model_id": self.env.ref("k2_contact_center.model_k2_cc_partner_number").id,
            "domain_force": f"[('partner_id.country_id', '=', {self.cz.id})]",
            "groups": [(4, self.env.ref("base.group_user").id)],
        })
        self.assertFalse(Partner.cc_find_by_number("+49307654321"))
        self.assertEqual(Partner.cc_find_by_number("+420603555777"), self.novak)
        self.assertEqual(self.env["res.partner"].cc_find_by_number("+49307654321"), self.berlin, "not for admins")
        rule.unlink()
        self.assertEqual(Partner.cc_find_by_number("+49307654321"), self.berlin)

    def test_numbers_of_one_contact_in_their_sequence(self):
        """Two numbers of one kind on a contact that the caller's number is:
        the one put first on the contact comes first."""
        synced = self.novak.cc_number_ids
        first = self.env["k2.cc.partner.number"].create(
            {"partner_id": self.novak.id, "kind": "mobile", "number": "+420 603 555 777", "sequence": 1})
        later = self.env["k2.cc.partner.number"].create(
            {"partner_id": self.novak.id, "kind": "cc", "number": "603555777", "sequence": 20})
        matches = self.env["res.partner"]._cc_match_numbers("603555777")
        self.assertEqual(matches.ids, [later.id, first.id, synced.id])
        self.assertEqual(matches.mapped("kind"), ["cc", "mobile", "mobile"])
