import logging
import time
from datetime import timedelta

import pytz

from odoo import api, fields, models, tools
from odoo.exceptions import UserError, ValidationError

from odoo.addons.base.models.res_partner import _tz_get

from ..bridge.ingest import ORIGINATE_PREFIX
from ..services import cdr, recordings
from ..services.ami import actions as ami_actions
from ..services.ami.connector import AmiActionError, AmiError, run_once
from ..services.ari.connector import AriClient
from ..services.number_plan import NumberPlan, PatternError, parse_patterns

_logger = logging.getLogger(__name__)

ADMIN_GROUP = "k2_contact_center.group_k2_cc_admin"
# A bridge that has not written a heartbeat for this long is taken for dead.
BRIDGE_SILENCE = 120

# What _cc_number_plan reads of a PBX (a company's country is watched by res.company).
PLAN_FIELDS = {"country_id", "company_id", "country_prefix", "extension_prefix", "extension_patterns",
               "trunk_names", "outside_prefix", "international_prefix"}


class K2CcPbx(models.Model):
    _name = "k2.cc.pbx"
    _description = "Contact Center PBX"
    _order = "sequence, name, id"

    # -- identity (seed: Id, Jméno) --
    code = fields.Char(string="Identifier", required=True, help="Identifier of the PBX, unique per company.")
    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)

    # -- connection (seed: Adresa ústředny, Port, Uživatel, Heslo, ...) --
    connector = fields.Selection(
        [("ami", "Asterisk Manager Interface (AMI)"), ("ari", "Web PBX (Asterisk REST Interface)")],
        required=True,
        default="ami",
    )
    use_web_pbx = fields.Boolean(
        string="Use Web PBX",
        compute="_compute_use_web_pbx",
        inverse="_inverse_use_web_pbx",
        help="The PBX is reached over the web (Asterisk REST Interface) instead of the manager interface.",
    )
    host = fields.Char(string="PBX Address", help="Host name or address of the PBX's manager interface.")
    port = fields.Integer(default=5038)
    username = fields.Char(string="User")
    password = fields.Char(groups=ADMIN_GROUP, copy=False)
    ari_url = fields.Char(
        string="Web PBX Address",
        help="Base address of the Asterisk REST Interface, e.g. https://pbx.example.com:8089 (the part before /ari).",
    )
    ari_app = fields.Char(
        string="Application", default="k2_contact_center",
        help="Name of the ARI application the bridge subscribes as; nothing to set up in Asterisk for it.",
    )
    ari_username = fields.Char(string="Web PBX User", help="User of the ARI (ari.conf).")
    ari_password = fields.Char(string="Web PBX Password", groups=ADMIN_GROUP, copy=False)
    default_context = fields.Char(default="from-internal", help="Dialplan context used to place calls.")
    version = fields.Char(help="Asterisk version of the PBX, as the PBX reports it when the bridge links it "
                          "(AMI CoreSettings, ARI asterisk/info).")
    ip_address = fields.Char(string="IP Address", help="Address the PBX sees Odoo under, when it differs.")
    ip_port = fields.Integer(string="IP Port")
    timeout = fields.Integer(string="Timeout (s)", default=10, help="How long to wait for an answer of the PBX.")
    recording_url = fields.Char(
        string="Recordings Address",
        help="Web address of a call's recording on the PBX, e.g. "
        "https://pbx.example.com/monitor/{year}/{month}/{day}/{call_id}.wav. Placeholders: {call_id}, {caller}, "
        "{callee}, {year}, {month}, {day}, {hour}, {minute}, {second}, {date} (YYYYMMDD), {time} (HHMMSS), "
        "in the PBX's time zone. Only the PBX's own host is ever asked for a recording.",
    )
    recording_username = fields.Char(string="Recordings User", help="User of the recordings address, when it asks.")
    recording_password = fields.Char(string="Recordings Password", groups=ADMIN_GROUP, copy=False)
    tz = fields.Selection(
        _tz_get, string="Time Zone", default=lambda self: self.env.user.tz or "UTC",
        help="Time zone of the PBX's clock: the date parts of the recordings address are read in it, and so "
        "are the CDR times a table keeps without a zone (FreePBX's DATETIME).",
    )

    # -- CDR source: the calls the bridge could not see (link down, no bridge running) --
    cdr_kind = fields.Selection(
        [("none", "None"), ("pgsql", "PostgreSQL (cdr_pgsql)"), ("mysql", "MySQL / MariaDB (FreePBX, cdr_mysql)")],
        string="CDR Source", default="none", required=True,
        help="Where the PBX writes its call detail records. After each outage of the link, and when a bridge "
        "starts, the calls of the time the bridge could not see are read from there and recorded, marked as "
        "recovered from CDR; a call the bridge saw is never recorded twice.",
    )
    cdr_host = fields.Char(string="CDR Database Host")
    cdr_port = fields.Integer(string="CDR Database Port", help="Empty: 5432 for PostgreSQL, 3306 for MySQL.")
    cdr_database = fields.Char(string="CDR Database", help="e.g. asteriskcdrdb (FreePBX) or asterisk.")
    cdr_table = fields.Char(string="CDR Table", default="cdr")
    cdr_cancel_disposition = fields.Boolean(
        string="CDR Tells Cancelled Calls",
        help="The PBX's cdr.conf says canceldispositionenabled = yes: a caller who hung up while the phone rang "
        "reads CANCEL, so a CDR's NO ANSWER means the phone was not answered. Without it, the bridge cannot tell "
        "the two apart in a CDR and keeps what it saw.",
    )
    cdr_user = fields.Char(string="CDR Database User", groups=ADMIN_GROUP, copy=False,
                           help="A user that may only read the CDR table (see the configuration guide).")
    cdr_password = fields.Char(string="CDR Database Password", groups=ADMIN_GROUP, copy=False)
    cdr_backfilled = fields.Datetime(string="Last CDR Backfill", readonly=True, copy=False)
    cdr_recovered = fields.Integer(string="Calls Recovered at Last Backfill", readonly=True, copy=False)
    cdr_error = fields.Char(string="CDR Source Error", readonly=True, copy=False)

    # -- dialling (seed: Předčíslí pro volání z interního telefonu, Mezinárodní telefonní předvolba) --
    outside_prefix = fields.Char(
        string="Outside Line Prefix", help="Digits an internal phone dials before a number outside the PBX."
    )
    international_prefix = fields.Char(default="00", help="Digits dialled before a country code, e.g. 00.")

    # -- number plan (seed: Konfigurace externího telefonního čísla) --
    country_id = fields.Many2one(
        "res.country",
        default=lambda self: self.env.company.country_id,
        help="National numbers the PBX reports are read as numbers of this country.",
    )
    country_prefix = fields.Char(
        compute="_compute_country_prefix",
        store=True,
        readonly=False,
        help="International prefix of the PBX's public numbers, e.g. +420.",
    )
    extension_prefix = fields.Char(
        help="Digits of the public number that come before the extension (after the country prefix)."
    )
    extension_patterns = fields.Char(
        default="XXX",
        help="Internal extensions, X for a varying digit; several patterns separated by commas (e.g. 2XX, 3XXX).",
    )
    trunk_names = fields.Char(
        string="Trunk Endpoints",
        help="Endpoint names of the PBX's trunks (e.g. PJSIP/o2-trunk), separated by commas. "
        "Calls through them are calls to or from outside.",
    )
    sample_number = fields.Char(help="A public number of the company, to check the pattern.")
    sample_extension = fields.Char(compute="_compute_sample_extension", help="Extension the sample number leads to.")

    # -- link health, written by the bridge --
    link_state = fields.Selection(
        [("connected", "Connected"), ("disconnected", "Disconnected"), ("error", "Error")],
        default="disconnected",
        readonly=True,
        copy=False,
    )
    link_error = fields.Char(string="Last Error", readonly=True, copy=False)
    link_changed = fields.Datetime(string="State Since", readonly=True, copy=False)
    link_last_event = fields.Datetime(string="Last Event", readonly=True, copy=False)
    bridge_heartbeat = fields.Datetime(
        readonly=True, copy=False, help="Last sign of life of the process holding the link to this PBX."
    )
    open_call_timeout = fields.Integer(
        string="Close Open Calls After (min)",
        default=240,
        help="A call still open this long after its last update (its end was lost with the link) is closed.",
    )

    line_ids = fields.One2many("k2.cc.line", "pbx_id", string="Lines")
    line_count = fields.Integer(compute="_compute_line_count")

    _sql_constraints = [
        ("code_company_uniq", "unique(code, company_id)", "A PBX with this ID already exists in this company."),
        ("port_range", "CHECK(port IS NULL OR (port >= 0 AND port <= 65535))", "The port must be between 0 and 65535."),
        ("timeout_positive", "CHECK(timeout IS NULL OR timeout >= 0)", "The timeout cannot be negative."),
    ]

    @api.depends("connector")
    def _compute_use_web_pbx(self):
        for pbx in self:
            pbx.use_web_pbx = pbx.connector == "ari"

    def _inverse_use_web_pbx(self):
        for pbx in self:
            pbx.connector = "ari" if pbx.use_web_pbx else "ami"

    @api.depends("country_id")
    def _compute_country_prefix(self):
        for pbx in self:
            if pbx.country_id.phone_code:
                pbx.country_prefix = f"+{pbx.country_id.phone_code}"
            elif not pbx.country_prefix:
                pbx.country_prefix = False

    @api.depends("sample_number", "country_prefix", "extension_prefix", "extension_patterns", "country_id")
    def _compute_sample_extension(self):
        for pbx in self:
            try:
                plan = pbx._cc_number_plan()
            except PatternError:
                pbx.sample_extension = False
                continue
            pbx.sample_extension = pbx.sample_number and plan.extension_of(pbx.sample_number) or False

    @api.depends("line_ids")
    def _compute_line_count(self):
        counts = dict(
            self.env["k2.cc.line"]._read_group([("pbx_id", "in", self.ids)], ["pbx_id"], ["__count"])
        )
        for pbx in self:
            pbx.line_count = counts.get(pbx, 0)

    @api.constrains("extension_patterns")
    def _check_extension_patterns(self):
        for pbx in self:
            try:
                parse_patterns(pbx.extension_patterns)
            except PatternError as error:
                raise ValidationError(
                    self.env._("PBX %(pbx)s: %(error)s", pbx=pbx.display_name, error=error)
                ) from error

    @api.constrains("sample_number", "country_prefix", "extension_prefix", "extension_patterns")
    def _check_sample_number(self):
        for pbx in self.filtered("sample_number"):
            try:
                plan = pbx._cc_number_plan()
            except PatternError:
                continue  # reported by _check_extension_patterns
            if not plan.extension_of(pbx.sample_number):
                raise ValidationError(
                    self.env._(
                        "The sample number %(number)s does not lead to an extension: it should be the country "
                        "prefix %(country)s, then the extension prefix %(prefix)s, then digits fitting %(patterns)s.",
                        number=pbx.sample_number,
                        country=pbx.country_prefix or "-",
                        prefix=pbx.extension_prefix or "-",
                        patterns=pbx.extension_patterns or "-",
                    )
                )

    @api.constrains("international_prefix", "outside_prefix")
    def _check_prefixes(self):
        for pbx in self:
            for label, value in ((self.env._("international prefix"), pbx.international_prefix),
                                 (self.env._("outside line prefix"), pbx.outside_prefix)):
                if value and not value.isdigit():
                    raise ValidationError(self.env._("The %(label)s may hold only digits.", label=label))

    @api.constrains("recording_url", "host")
    def _check_recording_url(self):
        for pbx in self.filtered("recording_url"):
            try:
                recordings.recording_origin(pbx.recording_url, pbx.host)
            except recordings.RecordingError as error:
                raise ValidationError(self.env._("Recordings address of %(pbx)s: %(error)s",
                                                 pbx=pbx.display_name, error=error)) from error

    def write(self, vals):
        result = super().write(vals)
        if PLAN_FIELDS & vals.keys():
            self.env.registry.clear_cache()  # _cc_saved_number_plan
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()  # _cc_saved_number_plan
        return result

    def action_test_connection(self):
        """Log in to the PBX with this configuration and ping it; say how it went."""
        self.ensure_one()
        started = time.monotonic()
        try:
            if self.connector == "ari":
                info = self._cc_ari_client().info()
                version = ((info or {}).get("system") or {}).get("version") or "?"
            else:
                self._cc_ami_session(lambda connector: connector.ping())
        except (AmiError, OSError) as error:
            return _notification(
                self.env._("Connection to %(pbx)s failed", pbx=self.name),
                self.env._("%(address)s answered: %(error)s", address=self._cc_address(),
                           error=error or type(error).__name__),
                "danger",
            )
        if self.connector == "ari":
            message = self.env._("The web PBX (Asterisk %(version)s) answered as user %(user)s in %(ms)d ms.",
                                 version=version, user=self.ari_username, ms=(time.monotonic() - started) * 1000)
        else:
            message = self.env._("Logged in as %(user)s; the PBX answered a ping in %(ms)d ms.",
                                 user=self.username, ms=(time.monotonic() - started) * 1000)
        return _notification(self.env._("Connected to %(pbx)s", pbx=self.name), message, "success")

    def action_test_cdr(self):
        """Read the CDR table with this configuration; say how many rows it holds."""
        self.ensure_one()
        source = self._cc_cdr_source()
        if source is None:
            raise UserError(self.env._("The PBX %(pbx)s has no CDR source.", pbx=self.name))
        started = time.monotonic()
        try:
            rows = cdr.check(source)
        except cdr.CdrError as error:
            return _notification(self.env._("The CDR source of %(pbx)s cannot be read", pbx=self.name),
                                 str(error), "danger")
        return _notification(
            self.env._("CDR source of %(pbx)s", pbx=self.name),
            self.env._("The table %(table)s holds %(rows)d call records; read in %(ms)d ms.",
                       table=self.cdr_table or "cdr", rows=rows, ms=(time.monotonic() - started) * 1000),
            "success")

    def action_view_lines(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("k2_contact_center.k2_cc_line_action")
        action["domain"] = [("pbx_id", "=", self.id)]
        action["context"] = {"default_pbx_id": self.id}
        return action

    def _cc_set_link_state(self, state, error=None):
        """Record a change of the PBX link; users waiting on it see their status change."""
        self.ensure_one()
        if state == self.link_state and (error or False) == (self.link_error or False):
            return
        self.write({"link_state": state, "link_error": error or False, "link_changed": fields.Datetime.now()})
        self.line_ids.user_id.filtered("cc_presence_wanted")._cc_send_presence()

    def _cc_link_state_label(self):
        """The link state as the reading user's language says it ("Odpojeno", not "disconnected")."""
        self.ensure_one()
        return dict(self._fields["link_state"]._description_selection(self.env)).get(self.link_state, "")

    def _cc_endpoints(self):
        """Device name -> extension, for the call tracker to name phones by their line."""
        self.ensure_one()
        endpoints = {}
        for line in self.line_ids.filtered("endpoint"):
            endpoints[line.endpoint] = line.extension
            endpoints[line.endpoint.split("/", 1)[-1]] = line.extension
        return endpoints

    @api.model
    def _cc_watchdog(self):
        """Cron: mark PBXs whose bridge went silent, close calls whose end was
        lost with the link, restart the in-process bridge if it died."""
        now = fields.Datetime.now()
        stale = now - timedelta(seconds=BRIDGE_SILENCE)
        silent = self.search([("link_state", "=", "connected"), "|", ("bridge_heartbeat", "=", False),
                              ("bridge_heartbeat", "<", stale)])
        for pbx in silent:
            pbx._cc_set_link_state("error", self.env._("The bridge holding the link stopped answering."))
        Call = self.env["k2.cc.call"]
        for pbx in self.search([("active", "=", True)]):
            # a click-to-call rings the user's phone for at most the PBX's timeout
            unplaced = now - timedelta(seconds=(pbx.timeout or 30) + BRIDGE_SILENCE)
            Call.search([("pbx_id", "=", pbx.id), ("originated", "=", True), ("state", "!=", "done"),
                         ("pbx_call_id", "=like", f"{ORIGINATE_PREFIX}%"), ("create_date", "<", unplaced)],
                        )._cc_fail_originate(self.env._("The PBX accepted the call but never placed it."))
            limit = now - timedelta(minutes=max(pbx.open_call_timeout, 1))
            Call.search([("pbx_id", "=", pbx.id), ("state", "!=", "done"), ("write_date", "<", limit)])._cc_close_lost()
        # queue requests the PBX accepted and never confirmed
        self.env["k2.cc.queue.member"]._cc_expire_pending()
        from ..bridge.server import ensure_in_process_bridge  # noqa: PLC0415 - the bridge imports the registry machinery

        ensure_in_process_bridge(self.env.cr.dbname)

    def _cc_cdr_source(self):
        """The CDR source (``services.cdr.CdrSource``) of this PBX, or None."""
        self.ensure_one()
        pbx = self.sudo()
        if pbx.cdr_kind not in cdr.KINDS:
            return None
        return cdr.CdrSource(pbx.cdr_kind, pbx.cdr_host or "", pbx.cdr_port or 0, pbx.cdr_database or "",
                             pbx.cdr_user or "", pbx.cdr_password or "", pbx.cdr_table or "cdr", pbx.tz or "UTC",
                             pbx.timeout or 10)

    def _cc_address(self):
        return self.ari_url if self.connector == "ari" else f"{self.host}:{self.port}"

    def _cc_ari_client(self):
        """The web PBX's HTTP interface, for what a web request needs (the
        bridge's event link is its own)."""
        self.ensure_one()
        pbx = self.sudo()
        if not pbx.ari_url:
            raise UserError(self.env._("The PBX %(pbx)s has no web PBX address.", pbx=pbx.name))
        return AriClient(pbx.ari_url, pbx.ari_username or "", pbx.ari_password or "", timeout=pbx.timeout or 10)

    def _cc_originate(self, channel, exten, context, caller_name, variables):
        """Ring ``channel`` (the user's phone), then dial ``exten`` in ``context``,
        through whichever interface the PBX speaks; the called party sees
        ``caller_name`` (any text: it is cleaned and quoted). Raises ``AmiError``
        (ARI's errors are ones too) or ``OSError`` with the PBX's reason, and
        ``UnsafeActionError`` for what cannot be sent safely."""
        self.ensure_one()
        shown = ami_actions.caller_id(caller_name, exten)
        if self.connector == "ari":
            self._cc_ari_client().originate(channel, exten, context, caller_id=shown, variables=variables,
                                            timeout=self.timeout or 30)
            return
        action = ami_actions.originate(channel, exten, context, caller_id=shown, variables=variables,
                                  timeout=self.timeout or 30)
        answer = self._cc_ami_session(lambda connector: connector.send_action(action, first_response=True))
        if answer.get("Response") != "Success":
            raise AmiActionError(answer.get("Message") or answer.get("Response"), answer)

    def _cc_ami_session(self, work):
        """Run ``work(connector)`` in a short AMI session of its own (not the
        bridge's link): what a web request needs to act on the PBX."""
        self.ensure_one()
        if not self.host:
            raise UserError(self.env._("The PBX %(pbx)s has no address.", pbx=self.name))
        pbx = self.sudo()
        return run_once(pbx.host, pbx.port or 5038, pbx.username or "", pbx.password or "", work,
                        timeout=pbx.timeout or 10)

    def _cc_fetch_recording(self, call):
        """The recording of ``call`` from this PBX's recordings address, as MP3
        bytes. Only the PBX's own host is asked, with the PBX's time limit and
        a size limit; every failure is a UserError saying what went wrong."""
        self.ensure_one()
        pbx = self.sudo()
        if not pbx.recording_url:
            raise UserError(self.env._("The PBX %(pbx)s has no recordings address.", pbx=pbx.name))
        start = pytz.utc.localize(call.start).astimezone(pytz.timezone(pbx.tz or "UTC")).replace(tzinfo=None)
        try:
            origin = recordings.recording_origin(pbx.recording_url, pbx.host)
            url = recordings.render_recording_url(
                pbx.recording_url, call_id=call.pbx_call_id, start=start, caller=call.caller_number or "",
                callee=call.called_number or "", allowed_origin=origin)
            auth = (pbx.recording_username, pbx.recording_password or "") if pbx.recording_username else None
            data, content_type = recordings.fetch_recording(url, allowed_origin=origin, auth=auth,
                                                            timeout=pbx.timeout or 10)
            return recordings.to_mp3(data, content_type, format_hint=url)
        except recordings.RecordingMissing as error:
            raise UserError(self.env._("The PBX %(pbx)s has no recording of this call (%(why)s).",
                                       pbx=pbx.name, why=error)) from error
        except recordings.RecordingError as error:
            _logger.warning("Recording of call %s from %s: %s", call.pbx_call_id, pbx.name, error)
            raise UserError(self.env._("The recording of this call could not be played: %(why)s",
                                       why=error)) from error

    def _cc_saved_number_plan(self):
        """The number plan of this saved PBX, as ``_cc_number_plan`` makes it,
        kept between transactions: the bridge identifies each caller in a
        transaction of its own, where reading the PBX, its country and maybe
        its company's address would cost more than the lookup itself."""
        self.ensure_one()
        return self._cc_cached_number_plan(self.id)

    @api.model
    @tools.ormcache("pbx_id")
    def _cc_cached_number_plan(self, pbx_id):
        return self.browse(pbx_id).sudo()._cc_number_plan()  # a frozen dataclass, safe to share

    def _cc_number_plan(self):
        """The pure-Python view of this PBX's number plan (``services.number_plan``)."""
        self.ensure_one()
        return NumberPlan(
            country=self.country_id.code or self.company_id.country_id.code or None,
            country_prefix=self.country_prefix or "",
            extension_prefix=self.extension_prefix or "",
            extension_patterns=self.extension_patterns or "",
            trunks=self.trunk_names or "",
            outside_prefix=self.outside_prefix or "",
            international_prefix=self.international_prefix or "00",
        )


def _notification(title, message, kind):
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {"title": title, "message": message, "type": kind, "sticky": kind == "danger"},
    }
