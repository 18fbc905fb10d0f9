from odoo import models

# What an open wallboard asks the bus for; each manager gets the channels of
# their companies' floors instead (the bridge sends one per company).
WALLBOARD_CHANNEL = "k2cc-wallboard"


def wallboard_subchannel(company_id):
    return f"{WALLBOARD_CHANNEL}-{company_id}"


class IrWebsocket(models.AbstractModel):
    _inherit = "ir.websocket"

    def _build_bus_channel_list(self, channels):
        if WALLBOARD_CHANNEL in channels:
            channels = [channel for channel in channels if channel != WALLBOARD_CHANNEL]
            user = self.env.user
            if user and user.has_group("k2_contact_center.group_k2_cc_manager"):
                group = self.env.ref("k2_contact_center.group_k2_cc_manager")
                channels.extend((group, wallboard_subchannel(company.id)) for company in user.company_ids)
        return super()._build_bus_channel_list(channels)
