from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..services import numbers

# the card of an ended call stays open this long for its note
DEFAULT_WRAPUP_SECONDS = 60
# A phone's state as the PBX reports it (services.tracking.states.STATES);
# "unknown" whenever the link is down: never a stale "free".
DEVICE_STATES = [
    ("free", "Free"),
    ("ringing", "Ringing"),
    ("in_call", "In a Call"),
    ("on_hold", "On Hold"),
    ("unavailable", "Unavailable"),
    ("unknown", "Unknown"),
]


class K2CcLine(models.Model):
    _name = "k2.cc.line"
    _description = "Contact Center Line"
    _order = "pbx_id, extension, id"
    _rec_names_search = ["extension", "number", "user_id.name"]
    # The switches each agent sets for themself on their own lines (the seed's
    # Contact Center form); everything else of a line is the administrators'.
    _cc_personal_fields = ("autoclose_missed", "autoclose_calls", "autoconnect", "notify_missed", "wrapup_seconds")
    # What the bridge's recorder writes: the PBX's word on the phone.
    _cc_state_fields = ("device_state", "device_state_since")

    pbx_id = fields.Many2one("k2.cc.pbx", string="PBX", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="pbx_id.company_id", store=True, index=True)
    extension = fields.Char(string="Line", required=True, help="Extension of the line on the PBX.")
    endpoint = fields.Char(
        string="Device",
        help="Device or endpoint name when the PBX does not name it after the extension (e.g. PJSIP/201).",
    )
    number = fields.Char(string="Phone Number", help="The line's full public number with the international prefix.")
    number_e164 = fields.Char(string="Number (E.164)", compute="_compute_number_e164", store=True, index=True)
    user_id = fields.Many2one("res.users", index=True, ondelete="set null")
    partner_id = fields.Many2one(
        "res.partner",
        string="Contact",
        compute="_compute_partner_id",
        store=True,
        readonly=False,
        help="Contact the user is known under.",
    )
    active = fields.Boolean(default=True)
    log_calls = fields.Boolean(
        string="Log Call Information",
        default=True,
        help="Every call of this line is written to the call history, even when its user is not connected.",
    )
    autoclose_missed = fields.Boolean(
        string="Auto-close Missed Calls", help="The call card of a missed call closes by itself."
    )
    autoclose_calls = fields.Boolean(
        string="Auto-close Calls Without a Note",
        help="When nothing was written during the call, its card closes at hang-up.",
    )
    wrapup_seconds = fields.Integer(
        string="Wrap-up Time",
        default=DEFAULT_WRAPUP_SECONDS,
        help="Seconds the card of an ended call without a note stays open for the note before it "
        "collapses to one line.",
    )
    autoconnect = fields.Boolean(
        string="Connect at Login", help="The user is connected to the contact center when they log in."
    )
    notify_missed = fields.Boolean(
        string="Missed-call Notifications",
        default=True,
        help="The user is notified of calls to this line that nobody answered.",
    )

    device_state = fields.Selection(
        DEVICE_STATES, string="Phone State", default="unknown", readonly=True, copy=False,
        help="What the PBX reports of the line's phone; unknown while the PBX link is down.")
    device_state_since = fields.Datetime(string="Phone State Since", readonly=True, copy=False)
    queue_member_ids = fields.One2many("k2.cc.queue.member", "line_id", string="Queue Memberships")

    _sql_constraints = [
        ("extension_pbx_uniq", "unique(pbx_id, extension)", "This extension is already a line of this PBX."),
        ("wrapup_positive", "CHECK(wrapup_seconds >= 0)", "The wrap-up time cannot be negative."),
    ]

    @api.depends("number", "pbx_id.country_id", "pbx_id.international_prefix")
    def _compute_number_e164(self):
        for line in self:
            line.number_e164 = line.number and numbers.to_e164(
                line.number, line.pbx_id.country_id.code, line.pbx_id.international_prefix
            ) or False

    @api.depends("user_id")
    def _compute_partner_id(self):
        for line in self:
            if line.user_id:
                line.partner_id = line.user_id.partner_id

    @api.depends("extension", "user_id", "pbx_id")
    def _compute_display_name(self):
        for line in self:
            owner = line.user_id.name or line.partner_id.name
            line.display_name = f"{line.extension} ({owner})" if owner else (line.extension or "")

    @api.constrains("extension")
    def _check_extension(self):
        for line in self:
            if not line.extension.strip().replace("*", "").replace("#", "").isdigit():
                raise ValidationError(
                    self.env._("The line %(extension)s is not an extension: use digits only.", extension=line.extension)
                )

    @api.constrains("number", "number_e164")
    def _check_number(self):
        for line in self:
            if line.number and not line.number_e164:
                raise ValidationError(
                    self.env._(
                        "%(number)s is not a phone number of %(country)s: write the full number with its "
                        "international prefix, e.g. +420 221 123 201.",
                        number=line.number,
                        country=line.pbx_id.country_id.name or self.env._("the PBX's country"),
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines._cc_grant_agent_access()
        return lines

    def write(self, vals):
        foreign = [fname for fname in vals if fname not in self._cc_personal_fields]
        if self.env.user.has_group("k2_contact_center.group_k2_cc_recorder"):
            foreign = [fname for fname in foreign if fname not in self._cc_state_fields]
        if foreign and not self.env.su and not self.env.user.has_group("k2_contact_center.group_k2_cc_admin"):
            raise AccessError(self.env._(
                "Only contact-center administrators change a line's %(fields)s; you set its personal switches.",
                fields=", ".join(self._fields[fname]._description_string(self.env) for fname in foreign)))
        result = super().write(vals)
        if vals.get("user_id"):
            self._cc_grant_agent_access()
        return result

    def _cc_grant_agent_access(self):
        """A user given a line becomes an agent: they must see their calls."""
        group = self.env.ref("k2_contact_center.group_k2_cc_user")
        users = self.user_id.filtered(lambda user: not user.share and group not in user.groups_id)
        if users:
            group.sudo().write({"users": [(4, user.id) for user in users]})

    @api.model
    def cc_my_settings(self):
        """The current user's active lines and their personal switches, for the
        *My settings* panel of the Contact Center home."""
        lines = self.search([("user_id", "=", self.env.user.id)])
        switches = self.fields_get(list(self._cc_personal_fields), attributes=("string", "help", "type"))
        return {
            "switches": [{"name": fname, **switches[fname]} for fname in self._cc_personal_fields],
            "lines": lines.read(["display_name", "pbx_id", *self._cc_personal_fields]),
        }

    def _cc_interface(self):
        """The line's phone as a queue member: its device, else PJSIP/<extension>."""
        self.ensure_one()
        return self.endpoint or f"PJSIP/{self.extension}"

    @api.model
    def _cc_line_for(self, pbx, extension_or_endpoint):
        """The active line of ``pbx`` an extension or device name belongs to."""
        if not extension_or_endpoint:
            return self.browse()
        return self.search(
            [
                ("pbx_id", "=", pbx.id),
                "|",
                ("extension", "=", extension_or_endpoint),
                ("endpoint", "=", extension_or_endpoint),
            ],
            limit=1,
        )
