from odoo import api, fields, models

from ..services import numbers

# What a caller can be, best first after contacts: a colleague (a line of the
# company), an employee, an open lead. None of their modules is a dependency.
IDENTITIES = [("contact", "Contact"), ("colleague", "Colleague"), ("employee", "Employee"), ("lead", "Lead")]
# Employees and leads are found by the last digits, then checked in full.
_TAIL_DIGITS = 7


class K2CcNumberPick(models.Model):
    """The contact an agent picked for a number several contacts share (a
    company's switchboard, a family phone): the next call from it shows that
    contact first."""

    _name = "k2.cc.number.pick"
    _description = "Contact Picked for a Shared Number"
    _order = "write_date desc, id desc"
    _rec_name = "number_e164"

    number_e164 = fields.Char(string="Number", required=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Contact", required=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company,
                                 ondelete="cascade")
    user_id = fields.Many2one("res.users", string="Picked by", default=lambda self: self.env.user)

    _sql_constraints = [
        ("number_company_uniq", "unique(number_e164, company_id)", "A number has one picked contact per company."),
    ]

    @api.model
    def _cc_picked(self, e164):
        """The contact picked for ``e164`` in the current company, or an empty recordset."""
        pick = self.sudo().search_fetch([("number_e164", "=", e164), ("company_id", "=", self.env.company.id)],
                                        ["partner_id"], limit=1)
        return pick.partner_id

    @api.model
    def _cc_remember(self, e164, partner):
        pick = self.sudo().search([("number_e164", "=", e164), ("company_id", "=", self.env.company.id)], limit=1)
        if pick:
            pick.write({"partner_id": partner.id, "user_id": self.env.user.id})
        else:
            self.sudo().create({"number_e164": e164, "partner_id": partner.id, "user_id": self.env.user.id})


class K2CcIdentification(models.AbstractModel):
    """Who a number is: contacts first (``res.partner._cc_match_numbers``),
    then, where their modules are installed, colleagues by their lines,
    employees by their work phone and mobile, open leads and opportunities by
    their phone and mobile."""

    _name = "k2.cc.identification"
    _description = "Caller Identification"

    @api.model
    def _cc_identify(self, number, pbx=None, limit=5):
        """Who ``number`` is, best first: dicts with ``what`` (contact,
        colleague, employee, lead), ``model``, ``id``, ``name`` and, where
        found by a contact's number, ``partner`` (the contact's id: the call
        and its note go there) and ``kind`` (the kind of number)."""
        found, contacts = [], set()
        matches = self.env["res.partner"]._cc_match_numbers(number, pbx)
        names = self._cc_contact_names(matches.partner_id)
        for match in matches:
            if match.partner_id.id not in contacts:  # a contact found under two of its numbers
                contacts.add(match.partner_id.id)
                found.append({"what": "contact", "model": "res.partner", "id": match.partner_id.id,
                              "name": names[match.partner_id.id], "kind": match.kind,
                              "partner": match.partner_id.id})
        self._cc_employees_behind(found)
        e164 = self.env["res.partner"]._cc_e164(number, pbx)
        if e164 and len(found) < limit:
            country = pbx.country_id.code if pbx else self.env["res.company"]._cc_country_code(self.env.company.id)
            found += self._cc_colleagues(e164, pbx)
            found += self._cc_employees(e164, country, contacts)
            found += self._cc_leads(e164, country, contacts)
        return found[:limit]

    def _cc_contact_names(self, partners):
        """The names of ``partners``, found by their numbers. The bridge's
        recorder may read every contact of its companies, and the numbers it
        finds are of those companies (their rule is the contacts' own): it
        reads the names without checking that rule once more, which on a
        fresh transaction costs more than the lookup itself (the companies'
        hierarchy is read anew for each caller)."""
        if self.env.user.has_group("k2_contact_center.group_k2_cc_recorder"):
            partners = partners.sudo()
        return {partner.id: partner.display_name for partner in partners}

    def _cc_colleagues(self, e164, pbx):
        domain = [("number_e164", "=", e164), ("user_id", "!=", False)]
        if pbx:
            domain.append(("pbx_id", "=", pbx.id))
        # by id: the lines' own order would join their PBXs to sort a result of one line
        lines = self.env["k2.cc.line"].sudo().search(domain, limit=3, order="id")
        return [{"what": "colleague", "model": "res.users", "id": line.user_id.id, "name": line.user_id.name,
                 "kind": False, "partner": False} for line in lines]

    def _cc_same_number(self, values, e164, country):
        return any(value and numbers.to_e164(value, country) == e164 for value in values)

    @staticmethod
    def _cc_tail(e164):
        """An ``ilike`` pattern of the number's last digits, whatever is typed between them."""
        return "%".join(e164[-_TAIL_DIGITS:])

    def _cc_employees_behind(self, found):
        """Contacts that are employees' work contacts are said to be those employees."""
        if "hr.employee" not in self.env or not found:
            return
        employees = self.env["hr.employee"].sudo().search_fetch(
            [("work_contact_id", "in", [entry["partner"] for entry in found])], ["name", "work_contact_id"])
        by_contact = {employee.work_contact_id.id: employee for employee in employees}
        for entry in found:
            employee = by_contact.get(entry["partner"])
            if employee:
                entry.update(what="employee", model="hr.employee", id=employee.id, name=employee.name)

    def _cc_employees(self, e164, country, contacts):
        if "hr.employee" not in self.env:
            return []
        tail = self._cc_tail(e164)
        employees = self.env["hr.employee"].sudo().search_fetch(
            ["|", ("work_phone", "ilike", tail), ("mobile_phone", "ilike", tail)],
            ["name", "work_phone", "mobile_phone", "work_contact_id"], limit=20)
        return [{"what": "employee", "model": "hr.employee", "id": employee.id, "name": employee.name,
                 "kind": False, "partner": False}
                for employee in employees
                if employee.work_contact_id.id not in contacts
                and self._cc_same_number((employee.work_phone, employee.mobile_phone), e164, country)]

    def _cc_leads(self, e164, country, contacts):
        if "crm.lead" not in self.env:
            return []
        # phone_validation's search over phone and mobile, separators ignored (trigram-indexed where
        # PostgreSQL has pg_trgm)
        leads = self.env["crm.lead"].sudo().search_fetch(
            [("probability", "<", 100), ("phone_mobile_search", "like", e164[-_TAIL_DIGITS:])],
            ["name", "phone", "mobile", "partner_id", "country_id"], limit=20)
        return [{"what": "lead", "model": "crm.lead", "id": lead.id, "name": lead.name, "kind": False,
                 "partner": False}
                for lead in leads
                if lead.partner_id.id not in contacts
                and self._cc_same_number((lead.phone, lead.mobile), e164, lead.country_id.code or country)]
