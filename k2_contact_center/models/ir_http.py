from odoo import models


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    def session_info(self):
        result = super().session_info()
        # Phone fields dial through the PBX for users with a line (tel: for everyone else).
        result["k2_cc_can_dial"] = bool(self.env.user.sudo().cc_line_ids.filtered("active"))
        return result
