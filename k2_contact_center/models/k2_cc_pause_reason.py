from odoo import fields, models


class K2CcPauseReason(models.Model):
    """Why an agent pauses in their queues (lunch, training, back office):
    the list agents pick from; the reason is sent to the PBX with the pause
    (AMI ``QueuePause`` ``Reason``) and comes back in its events."""

    _name = "k2.cc.pause.reason"
    _description = "Contact Center Pause Reason"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True, help="Empty: offered in every company.")

    _sql_constraints = [
        ("name_company_uniq", "unique(name, company_id)", "This pause reason already exists."),
    ]
