from odoo import api, fields, models, tools
from odoo.tools import SQL

from ..services import numbers

NUMBER_KINDS = [
    ("cc", "Contact-center Line"),
    ("mobile", "Mobile"),
    ("phone", "Phone"),
    ("other", "Other"),
]
# Best match first: a number given for the contact center beats a mobile,
# which beats a shared landline.
KIND_RANK = {kind: rank for rank, (kind, _label) in enumerate(NUMBER_KINDS)}
# What ranking the numbers a caller's number reaches needs (res.partner._cc_match_numbers).
_REACHING_FIELDS = ("partner_id", "kind", "partner_is_company")


class K2CcPartnerNumber(models.Model):
    _name = "k2.cc.partner.number"
    _description = "Contact Center Number of a Contact"
    _order = "partner_id, sequence, id"
    _rec_name = "number"

    partner_id = fields.Many2one("res.partner", string="Contact", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="partner_id.company_id", store=True, index=True)
    # Kept here so that finding a caller reads one table (res.partner._cc_match_numbers).
    partner_active = fields.Boolean(related="partner_id.active", store=True, string="Contact Active")
    partner_is_company = fields.Boolean(related="partner_id.is_company", store=True, string="Contact Is a Company")
    sequence = fields.Integer(default=10)
    kind = fields.Selection(NUMBER_KINDS, required=True, default="cc")
    number = fields.Char(required=True, help="The number as it was typed.")
    number_e164 = fields.Char(
        string="Canonical Number",
        compute="_compute_number_e164",
        store=True,
        index=True,
        help="The number in international E.164 form, used to recognise callers.",
    )
    is_valid = fields.Boolean(
        string="Recognised",
        compute="_compute_number_e164",
        store=True,
        help="Unset when the phone-number database does not know the number. One with the length of its "
        "country's numbers but of a range the database does not know yet (new, private or machine-to-machine "
        "ranges, or a typing error) is kept in international form as well, and calls from it are recognised; "
        "one that cannot be read as a phone number at all is kept as typed only.",
    )
    source = fields.Selection(
        [("manual", "Added Here"), ("phone", "Contact's Phone"), ("mobile", "Contact's Mobile")],
        required=True,
        default="manual",
        readonly=True,
        help="Numbers taken from the contact's phone and mobile follow them automatically.",
    )

    @api.depends("number", "partner_id.country_id", "partner_id.company_id")
    def _compute_number_e164(self):
        for line in self:
            reading = numbers.read(line.number, line.partner_id._cc_number_country().code)
            line.number_e164 = reading.e164 if reading else False
            line.is_valid = bool(reading and reading.valid)

    @api.model
    def _cc_reaching(self, e164):
        """Numbers of active contacts equal to ``e164`` that the user may read,
        with what ranking them needs (contact, kind, contact is a company) in
        the cache: what ``search_fetch`` would return, in one probe of the
        E.164 index and without making the query anew for each caller."""
        head, tail = self._cc_reaching_statement()
        rows = self.env.execute_query(SQL("%s%s%s", head, e164, tail))
        found = self.browse([row[0] for row in rows])
        for column, name in enumerate(_REACHING_FIELDS, start=1):
            self.env.cache.insert_missing(found, self._fields[name], [row[column] for row in rows])
        return found

    @api.model
    @tools.ormcache("self.env.uid", "self.env.su", "tuple(self.env['ir.rule']._compute_domain_context_values())")
    def _cc_reaching_statement(self):
        """The query of ``_cc_reaching`` around its number: what ``_search``
        makes of "of an active contact" for this user in these companies
        (access rights checked, record rules applied), ordered by sequence
        rather than by the table's order, which would join the contacts to
        sort by their names (the caller ranks the few rows itself). Kept
        under the key and with the lifetime of ``ir.rule``'s own cache of the
        rules, which is cleared whenever rules, access rights or a user's
        groups change."""
        query = self._search([("partner_active", "=", True)])
        table = self._table
        columns = [SQL.identifier(table, "id")]
        columns += [SQL.identifier(table, name) for name in _REACHING_FIELDS]
        head = SQL("SELECT %s FROM %s WHERE %s = ", SQL(", ").join(columns), query.from_clause,
                   SQL.identifier(table, "number_e164", to_flush=self._fields["number_e164"]))
        tail = SQL(" AND %s ORDER BY %s, %s", query.where_clause,
                   SQL.identifier(table, "sequence", to_flush=self._fields["sequence"]), SQL.identifier(table, "id"))
        return head, tail
