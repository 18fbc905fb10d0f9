from datetime import timedelta

from odoo import api, fields, models


class K2CcFollowupWizard(models.TransientModel):
    _name = "k2.cc.followup.wizard"
    _description = "Schedule a Call Follow-up"

    call_id = fields.Many2one("k2.cc.call", required=True, ondelete="cascade")
    partner_id = fields.Many2one(related="call_id.partner_id", string="Contact")
    user_id = fields.Many2one("res.users", string="Assigned to", required=True, default=lambda self: self.env.user)
    date_deadline = fields.Date(string="Due Date", required=True,
                                default=lambda self: fields.Date.context_today(self) + timedelta(days=1))
    summary = fields.Char(required=True)
    note = fields.Html()

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        call = self.env["k2.cc.call"].browse(values.get("call_id") or self.env.context.get("active_id"))
        if call.exists() and "summary" in fields_list and not values.get("summary"):
            values["summary"] = self.env._("Call back %(who)s", who=call.partner_id.name or call.caller_number)
        return values

    def action_schedule(self):
        self.ensure_one()
        self.call_id.cc_schedule_followup(self.user_id.id, self.date_deadline, self.summary, self.note)
        return {"type": "ir.actions.act_window_close"}
