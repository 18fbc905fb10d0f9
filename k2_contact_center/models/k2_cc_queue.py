from odoo import api, fields, models

# Asterisk's app_queue outcomes of a caller's stay (services.tracking.queues.OUTCOMES).
QUEUE_OUTCOMES = [
    ("answered", "Answered"),
    ("abandoned", "Abandoned"),
    ("timeout", "Timed Out"),
    ("full", "Queue Full"),
    ("empty", "No Agent Available"),
    ("exit", "Left the Queue"),
]


class K2CcQueue(models.Model):
    """A PBX queue (Asterisk ``app_queue``) and the service it promises.

    The bridge creates a queue the first time the PBX reports a caller in it;
    administrators give it a display name and its service-level settings."""

    _name = "k2.cc.queue"
    _description = "Contact Center Queue"
    _order = "pbx_id, display_name_custom, name, id"
    _rec_names_search = ["name", "display_name_custom"]

    name = fields.Char(string="Asterisk Name", required=True,
                       help="The queue's name on the PBX (queues.conf), as its events report it.")
    display_name_custom = fields.Char(string="Name", help="What users read; the Asterisk name when empty.")
    extension = fields.Char(
        help="The dialplan extension that puts a caller into this queue (e.g. 600): agents transfer calls to "
        "the queue from the call card through it. Without one the queue is not offered as a transfer target.")
    pbx_id = fields.Many2one("k2.cc.pbx", string="PBX", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="pbx_id.company_id", store=True, index=True)
    active = fields.Boolean(default=True)
    service_level_seconds = fields.Integer(
        string="Service Level Threshold (s)", default=20,
        help="A caller answered within this many seconds of waiting was served within the service level.")
    service_level_target = fields.Float(
        string="Service Level Target (%)", default=80.0, digits=(5, 1),
        help="The share of callers the queue promises to answer within the threshold.")
    short_abandon_seconds = fields.Integer(
        string="Short Abandon (s)", default=5,
        help="Callers who hang up within this many seconds are not counted as offered or abandoned "
        "(misdials, changed minds).")
    member_line_ids = fields.Many2many(
        "k2.cc.line", string="Agents",
        help="The lines whose agents take this queue's calls: they see its callbacks and may join it.")
    queue_member_ids = fields.One2many("k2.cc.queue.member", "queue_id", string="Members on the PBX")

    _sql_constraints = [
        ("pbx_name_uniq", "unique(pbx_id, name)", "This PBX already has a queue of that name."),
        ("settings_positive", "CHECK(service_level_seconds >= 0 AND short_abandon_seconds >= 0 "
         "AND service_level_target >= 0 AND service_level_target <= 100)",
         "Thresholds cannot be negative and the target is a percentage."),
    ]

    @api.depends("name", "display_name_custom")
    def _compute_display_name(self):
        for queue in self:
            queue.display_name = queue.display_name_custom or queue.name

    @api.model
    def _cc_for_pbx(self, pbx, names):
        """The queues of ``pbx`` named ``names`` (Asterisk names), created when
        the PBX reports one for the first time: ``{name: queue}``."""
        names = {name for name in names if name}
        if not names:
            return {}
        Queue = self.with_context(active_test=False)
        found = {queue.name: queue for queue in Queue.search([("pbx_id", "=", pbx.id), ("name", "in", list(names))])}
        missing = sorted(names - set(found))
        if missing:
            for queue in Queue.create([{"pbx_id": pbx.id, "name": name} for name in missing]):
                found[queue.name] = queue
        return found
