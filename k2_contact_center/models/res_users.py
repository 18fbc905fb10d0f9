from odoo import Command, api, fields, models

PRESENCE = [
    ("connected", "Connected"),  # green: wants calls and the PBX link is up
    ("off", "Not Connected"),  # white
    ("failing", "Connection Failing"),  # orange: wants calls, the PBX link is down
]


class ResUsers(models.Model):
    _inherit = "res.users"

    cc_line_ids = fields.One2many("k2.cc.line", "user_id", string="Contact Center Lines")
    cc_presence_wanted = fields.Boolean(
        string="Connected to Contact Center",
        copy=False,
        help="The user wants call cards and notifications of the contact center.",
    )
    cc_presence = fields.Selection(PRESENCE, string="Contact Center Status", compute="_compute_cc_presence")
    cc_presence_reason = fields.Char(string="Contact Center Status Reason", compute="_compute_cc_presence")

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + ["cc_presence_wanted", "cc_presence", "cc_presence_reason"]

    @api.depends("cc_presence_wanted", "cc_line_ids.active", "cc_line_ids.pbx_id.link_state")
    @api.depends_context("lang")
    def _compute_cc_presence(self):
        for user in self:
            lines = user.sudo().cc_line_ids.filtered("active")
            down = lines.pbx_id.filtered(lambda pbx: pbx.link_state != "connected")
            if not user.cc_presence_wanted:
                user.cc_presence, user.cc_presence_reason = "off", False
            elif not lines:
                user.cc_presence = "failing"
                user.cc_presence_reason = self.env._("You have no contact-center line.")
            elif down:
                user.cc_presence = "failing"
                user.cc_presence_reason = "; ".join(
                    self.env._("%(pbx)s: %(state)s", pbx=pbx.name, state=pbx.link_error or pbx._cc_link_state_label())
                    for pbx in down
                )
            else:
                user.cc_presence, user.cc_presence_reason = "connected", False

    def write(self, vals):
        # The preferences form saves the personal switches of the user's own
        # lines as updates of ``cc_line_ids``: they are written with the
        # user's own rights on lines (their own lines, those switches only),
        # never as the superuser the rest of their preferences is written as.
        commands = vals.get("cc_line_ids")
        if commands and self == self.env.user and not self.env.su \
                and all(command[0] == Command.UPDATE for command in commands):
            for _update, line_id, line_vals in commands:
                self.env["k2.cc.line"].browse(line_id).write(line_vals)
            vals = {key: value for key, value in vals.items() if key != "cc_line_ids"}
            if not vals:
                return True
        return super().write(vals)

    @api.model
    def _update_last_login(self):  # pylint: disable=missing-return
        super()._update_last_login()
        user = self.env.user
        autoconnect = user.sudo().cc_line_ids.filtered(lambda line: line.active and line.autoconnect)
        if autoconnect and not user.cc_presence_wanted:
            user.sudo()._cc_set_presence(True)

    def cc_get_presence(self):
        """The current user's contact-center status, as the systray shows it."""
        user = self.env.user
        return {"wanted": user.cc_presence_wanted, "state": user.cc_presence, "reason": user.cc_presence_reason or ""}

    def cc_connect(self):
        self.env.user.sudo()._cc_set_presence(True)
        return self.cc_get_presence()

    def cc_disconnect(self):
        self.env.user.sudo()._cc_set_presence(False)
        return self.cc_get_presence()

    def _cc_set_presence(self, wanted):
        self.write({"cc_presence_wanted": wanted})
        self._cc_send_presence()

    def _cc_send_presence(self):
        # Often sent by the bridge or a cron: the reason is written in the
        # language of the user who reads it, not of the one who sends it.
        for user in self:
            user = user.with_context(lang=user.lang)
            user._bus_send("k2_cc_presence", {
                "wanted": user.cc_presence_wanted,
                "state": user.cc_presence,
                "reason": user.cc_presence_reason or "",
            })
