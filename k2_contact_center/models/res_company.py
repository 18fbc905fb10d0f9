from odoo import api, fields, models, tools

# What a company's country (``_cc_country``) is made of.
COUNTRY_FIELDS = {"cc_default_country_id", "country_id", "partner_id"}


class ResCompany(models.Model):
    _inherit = "res.company"

    cc_incoming_activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Incoming Call Activity",
        default=lambda self: self.env.ref("k2_contact_center.mail_activity_type_incoming_call", False),
    )
    cc_outgoing_activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Outgoing Call Activity",
        default=lambda self: self.env.ref("k2_contact_center.mail_activity_type_outgoing_call", False),
    )
    cc_recording_retention_days = fields.Integer(
        string="Keep Recordings (days)", default=30,
        help="Recordings fetched from the PBX are kept this many days, then deleted (the PBX keeps its own copy).",
    )
    cc_default_country_id = fields.Many2one(
        "res.country",
        string="Default Country for Numbers",
        help="National numbers are read as numbers of this country when neither the contact nor the PBX "
        "says otherwise. Empty: the company's country.",
    )

    cc_service_level_seconds = fields.Integer(
        string="Service Level Threshold (s)", default=20,
        help="Calls that reached no queue: answered within this many seconds of ringing is within the service "
        "level. Each queue has its own.")
    cc_service_level_target = fields.Float(
        string="Service Level Target (%)", default=80.0, digits=(5, 1),
        help="Calls that reached no queue: the share to answer within the threshold.")
    cc_short_abandon_seconds = fields.Integer(
        string="Short Abandon (s)", default=5,
        help="Calls that reached no queue: callers hanging up within this many seconds are neither offered "
        "nor abandoned in the quality figures.")

    def _cc_country(self):
        self.ensure_one()
        return self.cc_default_country_id or self.country_id

    @api.model
    @tools.ormcache("company_id")
    def _cc_country_code(self, company_id):
        """ISO code of ``_cc_country`` of company ``company_id``, kept between
        transactions: a company's country is computed from its address
        (``address_get``) at each read, which costs more than a caller lookup."""
        return self.browse(company_id).sudo()._cc_country().code or None

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._cc_grant_recorder()
        return companies

    def write(self, vals):
        result = super().write(vals)
        if COUNTRY_FIELDS & vals.keys():
            self.env.registry.clear_cache()  # _cc_country_code, PBXs' number plans
        return result

    def _cc_grant_recorder(self):
        """The bridge's technical user writes the calls of every company."""
        recorder = self.env.ref("k2_contact_center.user_k2_cc_recorder", raise_if_not_found=False)
        if recorder:
            recorder.sudo().write({"company_ids": [(4, company.id) for company in self]})

    def _cc_activity_type(self, direction):
        """Activity type a call note of ``direction`` is logged as."""
        self.ensure_one()
        if direction == "outbound":
            return self.cc_outgoing_activity_type_id or self.env.ref(
                "k2_contact_center.mail_activity_type_outgoing_call"
            )
        return self.cc_incoming_activity_type_id or self.env.ref("k2_contact_center.mail_activity_type_incoming_call")

    @api.model
    def _cc_install_defaults(self):
        """Give companies that existed before the addon its call activity types."""
        defaults = {
            "cc_incoming_activity_type_id": self.env.ref("k2_contact_center.mail_activity_type_incoming_call"),
            "cc_outgoing_activity_type_id": self.env.ref("k2_contact_center.mail_activity_type_outgoing_call"),
        }
        companies = self.sudo().with_context(active_test=False).search(
            ["|", ("cc_incoming_activity_type_id", "=", False), ("cc_outgoing_activity_type_id", "=", False)]
        )
        for company in companies:
            missing = {field: record.id for field, record in defaults.items() if not company[field]}
            if missing:
                company.write(missing)
