"""The bridge's write path: what a call tracker update becomes in the call
history (``k2.cc.call``), and which agents are told about it.

Runs as the bridge's technical user inside the bridge's transaction; the
model keeps its fields, computes and user actions.
"""

from datetime import UTC, datetime

from odoo import fields

from ..services import numbers

# PBX call id of a click-to-call until the PBX reports its channels
ORIGINATE_PREFIX = "originate:"


def ingest(pbx, items, lines=None):
    """Write what the call tracker emitted for ``pbx``: ``items`` is a list of
    ``(kind, data)``, kind ``"live"`` (a call ringing or talking) or
    ``"record"`` (a call that ended), in the order they happened.
    ``lines``: the batch's :class:`PbxLines`, when the caller has one.

    Idempotent on the PBX's call id: an ended call is never written twice,
    a live update of an ended call is ignored. Returns the calls touched.

    A batch that holds several updates of one call (the database was slower
    than the PBX) writes only the last: what the call became is what the
    history and the agents need now. The batch's calls are read in one
    search, the new ones created in one ``create``, the others written
    before anything reads them back (Odoo then updates them in one query
    per set of fields), and the agents told afterwards: one bus message per
    agent with their cards, in the order the updates came.
    """
    last = {data["call_id"]: index for index, (_kind, data) in enumerate(items)}
    items = [item for index, item in enumerate(items) if last[item[1]["call_id"]] == index]
    # Calls come from the PBX: no "created" messages, followers or tracking.
    Call = pbx.env["k2.cc.call"].with_context(tracking_disable=True, mail_create_nolog=True,
                                              mail_create_nosubscribe=True, mail_notrack=True)
    lines = lines or PbxLines(Call.env, pbx)
    lines.load_queues(items)
    call_ids = list({data["call_id"] for _kind, data in items})
    calls = {call.pbx_call_id: call for call in Call.search(
        [("pbx_id", "=", pbx.id), ("pbx_call_id", "in", call_ids)])}
    updates = []  # [call or None, vals, kind, data], in the order of the updates
    for kind, data in items:
        call = calls.get(data["call_id"]) or lines.adopt_originate(data)
        if call and call.state == "done":
            continue
        involved = lines.involved(data)
        if not call and involved and not any(line.log_calls or line.user_id.cc_presence_wanted
                                             for line in involved):
            continue  # lines that log nothing unless their user is connected
        updates.append([call, values_from_pbx(pbx, lines, kind, data, call), kind, data])
    _write_grouped([(call, _changes(call, vals)) for call, vals, _kind, _data in updates if call])
    new = [update for update in updates if not update[0]]
    for update, call in zip(new, Call.create([update[1] for update in new]), strict=True):
        update[0] = call
    touched = Call.browse([update[0].id for update in updates])
    ended = Call.browse([update[0].id for update in updates if update[2] == "record"])
    cards = {}
    for call, _vals, kind, data in updates:
        if not data.get("recovered"):  # a call that ended while nobody saw it opens no call card
            call._cc_notify_agents(lines, kind, data, cards)
    Call._cc_send_cards(cards)
    touched._cc_notify_missed()
    Call.env["k2.cc.callback"]._cc_track(ended)
    return touched


def _changes(call, vals):
    """What of ``vals`` ``call`` does not hold yet: the rest written again
    would only recompute what depends on it. The state always: a write
    dates the call's card (its version)."""
    changed = {}
    for name, value in vals.items():
        field = call._fields[name]
        if name != "state" and field.type != "many2many":
            current = call[name].id if field.type == "many2one" else call[name]
            if current == value or (not current and not value):
                continue
        elif name == "candidate_ids" and set(value[0][2]) == set(call.candidate_ids.ids):
            continue
        changed[name] = value
    return changed


def _write_grouped(writes):
    """``(call, vals)`` written with one ``write`` per distinct ``vals``, and
    the lines that join the calls one ``write`` per line."""
    groups, joining = {}, {}
    for call, vals in writes:
        for _command, line_id in vals.pop("rang_line_ids", ()):
            joining[line_id] = joining.get(line_id, call.browse()) | call
        key = repr(sorted(vals.items()))
        if key in groups:
            groups[key][0] |= call
        else:
            groups[key] = [call, vals]
    for calls, vals in groups.values():
        calls.write(vals)
    for line_id, calls in joining.items():
        calls.write({"rang_line_ids": [(4, line_id)]})


def values_from_pbx(pbx, lines, kind, data, call):
    """The values of the call history record ``call`` (or of a new one) for a
    tracker update ``(kind, data)``: the PBX's facts, the lines, the contact."""
    direction = data.get("direction") or "internal"
    vals = {
        "pbx_id": pbx.id,
        "pbx_call_id": data["call_id"],
        "direction": direction,
        "caller_number": data.get("caller") or False,
        "caller_name": data.get("caller_name") or False,
        "called_number": data.get("callee") or False,
        "answered_by": data.get("answered_by") or False,
    }
    if call and call.originated and not data.get("callee"):
        # the PBX is still ringing the user's own phone: what was dialled stands
        del vals["direction"], vals["called_number"]
        direction = "outbound"
    rang = lines.lines_of(data.get("rang") or data.get("ringing") or [])
    answered = lines.lines_of([data.get("answered_by")])
    line = lines.owner(direction, data, answered, rang)
    if line:
        vals.update(line_id=line.id, user_id=line.user_id.id)
    # a colleague the call was handed to takes part in it (sees it, gets its card) as a line that rang does
    handed = lines.lines_of([transfer.get("to") for transfer in data.get("transfers") or ()])
    # only the lines it did not have yet: a call's lines are read once for the batch, never written again
    joined = (rang | answered | handed) - call.rang_line_ids if call else rang | answered | handed
    if joined:
        vals["rang_line_ids"] = [(4, rang_line.id) for rang_line in joined]
    if not call or not (call.partner_id or call.match_what):
        outside = {"inbound": data.get("caller"), "outbound": data.get("callee")}.get(direction)
        vals.update(identity_values(lines.identify(outside)))
    queue = lines.queues.get(data.get("queue"))
    if queue or kind == "record":
        vals["queue_id"] = queue.id if queue else False
    if kind == "record" and data.get("cdr_due"):
        vals["cdr_due"] = data["cdr_due"]  # what the bridge did not see, its CDR tells (runner._correct_later)
    if data.get("adopted") and call:
        return _keep_what_is_known(call, kind, vals, data)
    if kind == "live":
        vals["state"] = data["state"]
        if data.get("transfers"):
            vals["transfers"] = data["transfers"]
        if data.get("waiting_since"):
            vals["wait_start"] = utc(data["waiting_since"])
        if not call:
            vals["start"] = utc(data.get("start")) or fields.Datetime.now()
            vals["disposition"] = "no_answer"
        if data["state"] == "talking" and not (call and call.answer_time):
            vals["answer_time"] = _answered_at(data)
            vals["disposition"] = "answered"
            if data.get("adopted"):
                vals["cdr_due"] = "answer"  # a call taken up: answered before or as it was, its CDR tells when
        return vals
    start, answer, end = utc(data.get("start")), utc(data.get("answer")), utc(data.get("end"))
    vals.update(
        state="done",
        disposition=data.get("disposition") or "failed",
        start=start or (call and call.start) or fields.Datetime.now(),
        answer_time=answer or False,
        end=end or fields.Datetime.now(),
        transfers=data.get("transfers") or False,
        queue_outcome=data.get("queue_outcome") or False,
        queue_visits=data.get("queues") or False,
        wait_known=data.get("wait_seconds") is not None,
        wait_time=round(data["wait_seconds"]) if data.get("wait_seconds") is not None else 0,
    )
    if data.get("ring_seconds") is not None:
        vals["ring_duration"] = round(data["ring_seconds"])
    if data.get("talk_seconds") is not None:
        vals["talk_duration"] = round(data["talk_seconds"])
    if data.get("recovered"):
        vals["cdr_recovered"] = True
    return vals


def correct_from_cdr(call, data, unseen="end", cancel_told=False):
    """What the bridge did not see of ``call`` (``unseen``, its ``cdr_due``),
    told by its CDR record ``data``: for a call the resync closed at the
    time the link was lost (its channels had gone when the link came back,
    ``end``), when it really ended and whether it was answered after all;
    for a call taken up in progress (``answer``), its answer, which came
    before the bridge saw it; for a call taken up and then closed by a
    resync (``all``), both. ``cancel_told``: the PBX's CDRs read *CANCEL*
    for a caller who hung up while ringing (``canceldispositionenabled``),
    so their *NO ANSWER* is one too."""
    end = utc(data.get("end"))
    if not end or data.get("disposition") is None:
        return
    adopted = unseen in ("answer", "all")
    if unseen == "answer" and call.end:
        # the bridge saw this call end: its CDR's end is its own legs' (an attended transfer's
        # consultation ends at the transfer, while the call goes on with the colleague)
        end = call.end
    vals = {"end": max(end, call.start)}
    cdr_answer = utc(data.get("answer")) if data.get("disposition") == "answered" else None
    answer = (cdr_answer or call.answer_time) if adopted else (call.answer_time or cdr_answer)
    if answer:
        talk = data.get("talk_seconds")
        vals.update(disposition="answered", answer_time=answer,
                    talk_duration=round(talk) if talk is not None and not adopted
                    else max(0, round((end - answer).total_seconds())))
    elif cancel_told or not (data["disposition"] == "no_answer" and call.disposition == "cancelled"):
        # what the closing guessed, the PBX knows; but a CDR's NO ANSWER may be a caller who hung up
        vals["disposition"] = data["disposition"]
    call.write(vals)


def _keep_what_is_known(call, kind, vals, data):
    """A call a restarted bridge took up in progress (see
    ``CallTracker.reconcile``): its tracker saw only its end, the history
    knows its start, parties and answer. Only the end, and what the tracker
    did see happen since, is written."""
    # a call the history saw talking does not go back to ringing
    state = "talking" if kind == "live" and call.state == "talking" else data.get("state")
    kept = {"state": state} if kind == "live" else {
        "state": "done", "end": utc(data.get("end")) or fields.Datetime.now(), "cdr_due": _owed(call, vals),
        "disposition": "answered" if call.answer_time else data.get("disposition") or "failed",
        "transfers": (call.transfers or []) + (data.get("transfers") or []) or False,
    }
    if kind == "live" and data["state"] == "talking" and not call.answer_time:
        # its tracker's answer: a guess when it came before the call was taken up, so its CDR tells
        kept.update(answer_time=_answered_at(data), disposition="answered", cdr_due="answer")
    if data.get("answered_by") and not call.answered_by:
        kept.update({k: vals[k] for k in ("answered_by", "line_id", "user_id") if k in vals})
    return kept


def _answered_at(data):
    """The answer of a call a live update says is talking: the moment its
    tracker saw it, or about now for an update that does not tell."""
    return utc(data.get("answer")) or fields.Datetime.now().replace(microsecond=0)


def _owed(call, vals):
    """What the CDR of ``call``, taken up in progress and now ended, still
    has to tell (its ``cdr_due``): nothing of an answer a bridge saw happen
    (the history's is exact, the CDR's whole seconds), only its end if that
    was not seen either."""
    owed = vals.get("cdr_due")
    if call.answer_time and call.cdr_due not in ("answer", "all"):
        return {"answer": False, "all": "end"}.get(owed, owed)
    return owed


def utc(iso):
    """Naive UTC datetime (what Odoo stores) of an ISO 8601 string, or None."""
    if not iso:
        return None
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


class PbxLines:
    """The lines of one PBX by extension and device, and a per-batch cache of
    caller identification, for one :func:`ingest` run."""

    def __init__(self, env, pbx):
        self.env = env
        self.pbx = pbx
        self.by_key = {}
        for line in env["k2.cc.line"].search([("pbx_id", "=", pbx.id)]):
            self.by_key[line.extension] = line
            if line.endpoint:
                self.by_key[line.endpoint] = line
                self.by_key[line.endpoint.split("/", 1)[-1]] = line
        self._matches = {}
        self._regions = {}
        self._countries = {}  # region -> res.country id
        self._activity_types = {}
        self._originates = None
        self.queues = {}  # Asterisk name -> k2.cc.queue, of the batch

    def load_queues(self, items):
        """The queues the tracker updates ``items`` name (created when new)."""
        self.queues = self.env["k2.cc.queue"]._cc_for_pbx(self.pbx, {
            name for _kind, data in items
            for name in [data.get("queue"), *(visit.get("queue") for visit in data.get("queues") or ())]})

    def country_of(self, number):
        """Id of the country ``number`` belongs to, or False."""
        if number not in self._regions:
            self._regions[number] = numbers.region_of(number, self.pbx.country_id.code)
        region = self._regions[number]
        if region not in self._countries:
            self._countries[region] = region and self.env["res.country"].search(
                [("code", "=", region)], limit=1).id or False
        return self._countries[region]

    def activity_type_name(self, company, direction):
        key = (company.id, direction == "outbound")
        if key not in self._activity_types:
            self._activity_types[key] = company._cc_activity_type(direction).name
        return self._activity_types[key]

    def lines_of(self, keys):
        found = self.env["k2.cc.line"]
        for key in keys:
            line = key and (self.by_key.get(key) or self.by_key.get(key.split("/", 1)[-1]))
            if line:
                found |= line
        return found

    def involved(self, data):
        return self.lines_of([data.get("caller"), data.get("callee"), data.get("answered_by"),
                              *(data.get("rang") or data.get("ringing") or [])])

    def owner(self, direction, data, answered, rang):
        """The line a call belongs to: the caller's line for an outgoing call,
        else the line that answered, else the first that rang, else the one dialled."""
        if direction == "outbound":
            return self.lines_of([data.get("caller")])[:1]
        return answered[:1] or rang[:1] or self.lines_of([data.get("callee")])[:1]

    def adopt_originate(self, data):
        """The click-to-call of the caller's line still waiting for its
        channels, which the PBX call ``data`` is; else an empty recordset."""
        Call = self.env["k2.cc.call"]
        line = self.lines_of([data.get("caller")])[:1]
        if not line:
            return Call
        if self._originates is None:
            self._originates = Call.search([("pbx_id", "=", self.pbx.id), ("originated", "=", True),
                                            ("state", "!=", "done"),
                                            ("pbx_call_id", "=like", f"{ORIGINATE_PREFIX}%")], order="id")
        call = self._originates.filtered(lambda pending: pending.line_id == line)[:1]
        self._originates -= call
        return call

    def identify(self, number):
        """Who ``number`` is, best first (``k2.cc.identification``), once a batch."""
        if not number:
            return []
        if number not in self._matches:
            self._matches[number] = self.env["k2.cc.identification"]._cc_identify(number, self.pbx)
        return self._matches[number]


def identity_values(found):
    """The call's contact (the best match when it is a contact), what the
    number was found on, and the contacts it could be when several share it."""
    if not found:
        return {}
    best = found[0]
    vals = {"match_what": best["what"], "match_model": best["model"], "match_res_id": best["id"],
            "match_name": best["name"]}
    if best["partner"]:
        vals.update(partner_id=best["partner"], match_kind=best["kind"])
    contacts = [entry["partner"] for entry in found if entry["partner"]]
    if len(contacts) > 1:
        vals["candidate_ids"] = [(6, 0, contacts)]
    return vals
