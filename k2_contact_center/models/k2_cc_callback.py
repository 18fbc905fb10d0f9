from odoo import api, fields, models
from odoo.tools import SQL


class K2CcCallback(models.Model):
    """A caller from outside whom nobody answered, until someone speaks with them.

    The bridge opens one when an incoming call from an external number ends
    missed or abandoned, adds later missed calls of that number to it, and
    closes it as *called back* when a call with that number (either
    direction) is answered. One open callback per number and company."""

    _name = "k2.cc.callback"
    _description = "Callback"
    _order = "first_call_time, id"
    _rec_name = "number"

    number = fields.Char(required=True, index=True, help="The caller's number, in E.164 when it could be read.")
    partner_id = fields.Many2one("res.partner", string="Contact", index=True)
    pbx_id = fields.Many2one("k2.cc.pbx", string="PBX", index=True, ondelete="set null")
    company_id = fields.Many2one("res.company", required=True, index=True)
    queue_id = fields.Many2one("k2.cc.queue", index=True, ondelete="set null",
                               help="The queue of the last missed call.")
    line_ids = fields.Many2many("k2.cc.line", string="Lines That Rang",
                                help="The lines the missed calls rang: their agents see the callback.")
    call_ids = fields.One2many("k2.cc.call", "callback_id", string="Calls")
    attempts = fields.Integer(default=1, help="How many times the caller called without being answered.")
    first_call_time = fields.Datetime(string="First Missed Call", required=True, index=True)
    last_call_time = fields.Datetime(string="Last Missed Call", required=True)
    state = fields.Selection([("open", "To Call Back"), ("done", "Called Back")], required=True, default="open",
                             index=True)
    closed_call_id = fields.Many2one("k2.cc.call", string="Answered Call", ondelete="set null", readonly=True)
    closed_by_id = fields.Many2one("res.users", string="Called Back By", readonly=True)
    closed_time = fields.Datetime(string="Called Back At", readonly=True)
    delay_seconds = fields.Integer(
        string="Time to Call Back", readonly=True, aggregator="median",
        help="Seconds from the first missed call to the answered call that closed the callback (median when "
        "grouped).")
    called_back_rate = fields.Float(
        string="Called Back (%)", compute="_compute_called_back_rate", store=True, aggregator="avg",
        digits=(16, 1), help="100 for a callback closed by an answered call, 0 while open: averaged, the share "
        "of missed callers that were called back.")

    @api.depends("state")
    def _compute_called_back_rate(self):
        for callback in self:
            callback.called_back_rate = 100.0 if callback.state == "done" else 0.0

    def init(self):
        # One open callback per number and company, whatever writes them.
        self.env.cr.execute(SQL(
            "CREATE UNIQUE INDEX IF NOT EXISTS k2_cc_callback_open_number_uniq ON %s (company_id, number) "
            "WHERE state = 'open'", SQL.identifier(self._table)))

    @api.model
    def _read_group_select(self, aggregate_spec, query):
        # The median time to call back, over the callers that were called back.
        if aggregate_spec == "delay_seconds:median":
            return SQL("PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY %s) FILTER (WHERE %s = 'done')",
                       self._field_to_sql(self._table, "delay_seconds", query),
                       self._field_to_sql(self._table, "state", query))
        return super()._read_group_select(aggregate_spec, query)

    def action_call_back(self):
        """Call the missed caller from the user's phone; the call is linked to
        this callback and closes it when answered."""
        self.ensure_one()
        self.env["k2.cc.call"].cc_dial(self.number, self.partner_id.id, callback_id=self.id)
        return False

    # -- written by the bridge ----------------------------------------------

    @api.model
    def _cc_track(self, calls):
        """Open, extend or close callbacks for ``calls``, which just ended.
        The open callbacks of their numbers are read in one search, those
        the calls open are created in one ``create`` and the calls linked
        with one write per callback: a batch of the bridge holds hundreds."""
        outside = {call: call._cc_outside_number() for call in calls}
        numbers = {number for number in outside.values() if number}
        # (company, number) -> its open callback: a record, or the values of one to create
        open_callbacks = {}
        if numbers:
            for callback in self.search([("company_id", "in", calls.company_id.ids), ("number", "in", list(numbers)),
                                         ("state", "=", "open")], order="id"):
                open_callbacks.setdefault((callback.company_id.id, callback.number), callback)
        new = []  # the values of the callbacks to create, in the order of their first calls
        linked = []  # (call, callback record or values)
        for call in calls.sorted(lambda c: (c.start, c.id)):
            number = outside[call]
            if not number:
                continue
            key = (call.company_id.id, number)
            if call.disposition == "answered":
                callback = call.callback_id.filtered(lambda cb: cb.state == "open") or open_callbacks.get(key)
                if callback is None:
                    continue
                moment = call.answer_time or call.start
                first = callback["first_call_time"]
                closing = {
                    "state": "done", "closed_call_id": call.id, "closed_by_id": call.user_id.id,
                    "closed_time": moment, "delay_seconds": max(int((moment - first).total_seconds()), 0),
                }
                if isinstance(callback, dict):  # opened by this batch: the open one of this number
                    callback.update(closing)
                    del open_callbacks[key]
                else:
                    callback.write(closing)
                    found = open_callbacks.get((callback.company_id.id, callback.number))
                    if not isinstance(found, dict) and found == callback:
                        del open_callbacks[(callback.company_id.id, callback.number)]
                if not call.callback_id:
                    linked.append((call, callback))
            elif call.direction == "inbound" and not call.is_internal:
                callback = open_callbacks.get(key)
                lines = call.rang_line_ids | call.line_id
                if isinstance(callback, dict):
                    callback.update({
                        "attempts": callback["attempts"] + 1,
                        "last_call_time": max(call.start, callback["last_call_time"]),
                        "line_ids": [(6, 0, sorted(set(callback["line_ids"][0][2]) | set(lines.ids)))],
                        "queue_id": call.queue_id.id or callback["queue_id"],
                        "partner_id": callback["partner_id"] or call.partner_id.id,
                    })
                elif callback:
                    callback.write({
                        "attempts": callback.attempts + 1,
                        "last_call_time": max(call.start, callback.last_call_time),
                        "line_ids": [(4, line.id) for line in lines],
                        "queue_id": call.queue_id.id or callback.queue_id.id,
                        "partner_id": callback.partner_id.id or call.partner_id.id,
                    })
                else:
                    callback = open_callbacks[key] = {
                        "number": number, "partner_id": call.partner_id.id, "pbx_id": call.pbx_id.id,
                        "company_id": call.company_id.id, "queue_id": call.queue_id.id,
                        "line_ids": [(6, 0, lines.ids)], "attempts": 1,
                        "first_call_time": call.start, "last_call_time": call.start,
                    }
                    new.append(callback)
                linked.append((call, callback))
        created = {}
        if new:
            self.flush_model(["state"])  # one open per number: those closed above are closed first
            created = dict(zip(map(id, new), self.create(new), strict=True))
        callers = {}  # callback -> the calls it gathers
        for call, callback in linked:
            record = created[id(callback)] if isinstance(callback, dict) else callback
            callers[record] = callers.get(record, call.browse()) | call
        for callback, its_calls in callers.items():
            its_calls.callback_id = callback
