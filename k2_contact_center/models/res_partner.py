from odoo import api, fields, models

from ..services import numbers
from .k2_cc_partner_number import KIND_RANK

# Partner fields mirrored into contact-center numbers, and the kind they get.
SYNCED_FIELDS = {"phone": "phone", "mobile": "mobile"}
# A company's address, hence its country, is read from its partner or that
# partner's contacts (``res.company._compute_address``): these fields of them.
ADDRESS_FIELDS = {"country_id", "type", "parent_id", "is_company", "active"}


class ResPartner(models.Model):
    _inherit = "res.partner"

    cc_number_ids = fields.One2many("k2.cc.partner.number", "partner_id", string="Contact-center Numbers")

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        partners._cc_sync_numbers()
        return partners

    def write(self, vals):
        address_changed = bool(ADDRESS_FIELDS & vals.keys())
        of_a_company = address_changed and self._cc_address_of_a_company()  # before: parents may change
        result = super().write(vals)
        if SYNCED_FIELDS.keys() & vals.keys():
            self._cc_sync_numbers()
        if of_a_company or ("parent_id" in vals and self._cc_address_of_a_company()):
            self.env.registry.clear_cache()  # res.company._cc_country_code, PBXs' number plans
        return result

    def _cc_address_of_a_company(self):
        """Whether these partners (or their parents) make a company's address."""
        partners = self | self.parent_id
        return bool(self.env["res.company"].sudo().with_context(active_test=False).search_count(
            [("partner_id", "in", partners.ids)], limit=1))

    def _cc_number_country(self):
        """Country a national number of this contact is read in."""
        if self and self[:1].country_id:
            return self[:1].country_id
        company = self[:1].company_id or self.env.company
        return company._cc_country()

    def _cc_sync_numbers(self):
        """Keep the numbers taken from phone and mobile equal to those fields."""
        Number = self.env["k2.cc.partner.number"].sudo()
        existing = Number.search([("partner_id", "in", self.ids), ("source", "in", list(SYNCED_FIELDS))])
        by_key = {(number.partner_id.id, number.source): number for number in existing}
        to_create = []
        to_unlink = Number
        for partner in self:
            for field, kind in SYNCED_FIELDS.items():
                value = (partner[field] or "").strip()
                current = by_key.get((partner.id, field))
                if not value:
                    to_unlink |= current or Number
                elif not current:
                    to_create.append({"partner_id": partner.id, "kind": kind, "number": value, "source": field})
                elif current.number != value:
                    current.number = value
        to_unlink.unlink()
        Number.create(to_create)

    @api.model
    def _cc_match_numbers(self, number, pbx=None):
        """Contact-center numbers of active contacts that ``number`` reaches, best first.

        ``number`` is read as the PBX sends it: national numbers in the PBX's
        country (else the company's), the PBX's outside-line and international
        prefixes understood. Anything that is no phone number matches nothing.
        """
        # Every caller is looked up in a fresh transaction (the bridge's, a web
        # request's): the country, the number plan, the number's reading and
        # the query with the user's record rules come from caches that live
        # longer, and the lookup is one probe of the E.164 index that also
        # reads what the ranking needs (stored on the number, not the partner).
        e164 = self._cc_e164(number, pbx)
        if not e164:
            return self.env["k2.cc.partner.number"]
        found = self.env["k2.cc.partner.number"]._cc_reaching(e164)
        if len(found.partner_id) > 1:  # a shared number: the contact an agent picked for it comes first
            picked = self.env["k2.cc.number.pick"]._cc_picked(e164)
            return found.sorted(lambda match: (match.partner_id != picked, match.partner_is_company,
                                               KIND_RANK[match.kind], match.partner_id.id))
        return found.sorted(lambda match: (match.partner_is_company, KIND_RANK[match.kind], match.partner_id.id))

    @api.model
    def _cc_e164(self, number, pbx=None):
        """``number`` as the PBX sends it, in E.164 (see ``_cc_match_numbers``), or None."""
        if pbx:
            return pbx._cc_saved_number_plan().normalise(number)
        return numbers.to_e164(number, self.env["res.company"]._cc_country_code(self.env.company.id))

    @api.model
    def cc_find_by_number(self, number, pbx=None):
        """Active contacts whose number is ``number``, best first (see ``_cc_match_numbers``)."""
        return self._cc_match_numbers(number, pbx).partner_id
