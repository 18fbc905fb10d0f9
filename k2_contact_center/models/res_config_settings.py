from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    cc_incoming_activity_type_id = fields.Many2one(
        related="company_id.cc_incoming_activity_type_id", readonly=False
    )
    cc_outgoing_activity_type_id = fields.Many2one(
        related="company_id.cc_outgoing_activity_type_id", readonly=False
    )
    cc_default_country_id = fields.Many2one(related="company_id.cc_default_country_id", readonly=False)
    cc_recording_retention_days = fields.Integer(related="company_id.cc_recording_retention_days", readonly=False)
    cc_service_level_seconds = fields.Integer(related="company_id.cc_service_level_seconds", readonly=False)
    cc_service_level_target = fields.Float(related="company_id.cc_service_level_target", readonly=False)
    cc_short_abandon_seconds = fields.Integer(related="company_id.cc_short_abandon_seconds", readonly=False)
