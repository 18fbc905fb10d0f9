from odoo.tests import Form, tagged

from .common import K2CcCase


@tagged("post_install", "-at_install")
class TestPartnerNumbers(K2CcCase):
    def test_phone_and_mobile_take_part(self):
        partner = self._partner("Eva Malá", country_id=self.cz.id, phone="224 812 345", mobile="+420 737 111 222")
        numbers = {(n.source, n.kind): n.number_e164 for n in partner.cc_number_ids}
        self.assertEqual(numbers, {("phone", "phone"): "+420224812345", ("mobile", "mobile"): "+420737111222"})

    def test_sync_follows_edits_and_removal(self):
        partner = self._partner("Eva Malá", country_id=self.cz.id, phone="224 812 345")
        partner.phone = "224 812 999"
        self.assertEqual(partner.cc_number_ids.mapped("number_e164"), ["+420224812999"])
        partner.mobile = "737111222"
        partner.phone = False
        self.assertEqual(partner.cc_number_ids.mapped("kind"), ["mobile"])
        self.assertEqual(self.env["res.partner"].cc_find_by_number("+420224812999"), self.env["res.partner"])

    def test_country_change_renormalises(self):
        partner = self._partner("Hans", country_id=self.cz.id, phone="030 7654321")
        self.assertFalse(partner.cc_number_ids.is_valid)
        partner.country_id = self.de
        self.assertEqual(partner.cc_number_ids.number_e164, "+49307654321")
        self.assertTrue(partner.cc_number_ids.is_valid)

    def test_unparseable_number_is_kept_and_flagged(self):
        partner = self._partner("Odd Number Ltd", country_id=self.cz.id)
        with Form(partner) as form:
            with form.cc_number_ids.new() as line:
                line.kind = "other"
                line.number = "call the reception, ext. 12"
        number = partner.cc_number_ids
        self.assertEqual(number.number, "call the reception, ext. 12")
        self.assertFalse(number.is_valid)
        self.assertFalse(number.number_e164)

    def test_extra_numbers_found_with_their_kind(self):
        partner = self._partner("Call Center Customer", country_id=self.cz.id)
        self.env["k2.cc.partner.number"].create(
            [{"partner_id": partner.id, "kind": "cc", "number": "+420 800 123 456"},
             {"partner_id": partner.id, "kind": "other", "number": "00420 222 333 444"}]
        )
        match = self.env["res.partner"]._cc_match_numbers("222333444")
        self.assertEqual((match.partner_id, match.kind), (partner, "other"))
        self.assertEqual(self.env["res.partner"]._cc_match_numbers("+420800123456").kind, "cc")

    def test_post_init_hook_backfills_existing_contacts(self):
        partner = self._partner("Before Install", country_id=self.cz.id, phone="224 812 345")
        partner.cc_number_ids.unlink()
        from ..hooks import post_init_hook

        post_init_hook(self.env)
        self.assertEqual(partner.cc_number_ids.number_e164, "+420224812345")

    def test_number_the_metadata_does_not_know_is_flagged_and_found(self):
        """A number of a range phonenumbers does not know (possible, not valid)
        is kept in E.164 and flagged; a call from the digits that were typed,
        in any form a PBX sends them, finds its contact."""
        partner = self._partner("Nová řada s.r.o.", country_id=self.cz.id, mobile="989 123 456")
        number = partner.cc_number_ids
        self.assertEqual((number.number, number.number_e164, number.is_valid), ("989 123 456", "+420989123456", False))
        Partner = self.env["res.partner"]
        for sent in ("989123456", "+420989123456", "00420989123456"):
            with self.subTest(sent=sent):
                self.assertEqual(Partner.cc_find_by_number(sent), partner)
                self.assertEqual(Partner.cc_find_by_number(sent, pbx=self.pbx), partner)
        self.assertEqual(Partner.cc_find_by_number("0989123456", pbx=self.pbx), partner, "outside-line prefix")
