import asyncio
import json
import time

from odoo import api
from odoo.tests import TransactionCase, new_test_user

from ..bridge.runner import PbxLink


class K2CcCase(TransactionCase):
    """A Czech company with one PBX, two agents with lines and a manager."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.cz = cls.env.ref("base.cz")
        cls.de = cls.env.ref("base.de")
        cls.company = cls.env.company
        cls.company.country_id = cls.cz
        cls.pbx = cls.env["k2.cc.pbx"].create({
            "code": "T1",
            "name": "Test PBX",
            "host": "127.0.0.1",
            "username": "odoo",
            "password": "s3cret",
            "country_id": cls.cz.id,
            "outside_prefix": "0",
            "extension_prefix": "221122",
            "extension_patterns": "2XX",
            "trunk_names": "PJSIP/trunk",
        })
        cls.agent = new_test_user(cls.env, "k2agent", groups="base.group_user", name="Agent Alice")
        cls.agent2 = new_test_user(cls.env, "k2agent2", groups="base.group_user", name="Agent Bob")
        cls.manager = new_test_user(
            cls.env, "k2manager", groups="base.group_user,k2_contact_center.group_k2_cc_manager", name="Manager Max"
        )
        cls.line = cls.env["k2.cc.line"].create({"pbx_id": cls.pbx.id, "extension": "201", "user_id": cls.agent.id})
        cls.line2 = cls.env["k2.cc.line"].create({"pbx_id": cls.pbx.id, "extension": "202", "user_id": cls.agent2.id})

    @classmethod
    def _partner(cls, name, **vals):
        return cls.env["res.partner"].create({"name": name, **vals})

    @classmethod
    def _call(cls, **vals):
        values = {
            "pbx_id": cls.pbx.id,
            "start": "2026-03-02 08:00:00",
            "end": "2026-03-02 08:05:00",
            "caller_number": "+420603555777",
            "called_number": "201",
        }
        values.update(vals)
        return cls.env["k2.cc.call"].create(values)

    def bus_payloads(self, user, kind="k2_cc_call"):
        """The ``kind`` notifications sent to ``user`` so far, oldest first."""
        self.env.cr.precommit.run()
        channel = json.dumps([self.env.cr.dbname, "res.partner", user.partner_id.id], separators=(",", ":"))
        messages = self.env["bus.bus"].sudo().search([("channel", "=", channel)], order="id")
        payloads = [json.loads(message.message)["payload"] for message in messages
                    if json.loads(message.message)["type"] == kind]
        if kind == "k2_cc_call":  # a message holds the cards of a batch
            return [card for payload in payloads for card in payload["cards"]]
        return payloads


class LinkedPbxMixin:
    """A bridge link to a simulator inside a test: the link shares the test's
    transaction through the registry's test cursor, in turn with the test;
    reading the database in turn with it, and playing the simulator's calls
    (``self.sim`` and ``self.pbx`` are the test's)."""

    def start_link(self, pbx, ping_interval=0.5):
        self.env.flush_all()
        if not self.registry.in_test_mode():  # an HttpCase's registry already is
            self.registry.enter_test_mode(self.env.cr)
            self.addCleanup(self.registry.leave_test_mode)
        self.link = PbxLink(self.env.cr.dbname, pbx.id, ping_interval=ping_interval)
        self.assertTrue(self.link.start())
        self.addCleanup(self.link.stop)
        return self.link

    def read_db(self, fn):
        """Read through the registry's test cursor, in turn with the bridge's writes."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, self.env.uid, {})
            result = fn(env)
            env.flush_all()
            return result

    def wait_for(self, fn, what, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = self.read_db(fn)
            if result:
                return result
            time.sleep(0.1)
        self.fail(f"timed out waiting for {what}")

    def link_state(self):
        return self.read_db(lambda env: env["k2.cc.pbx"].browse(self.pbx.id).link_state)

    def finished_calls(self, env):
        return env["k2.cc.call"].search([("pbx_id", "=", self.pbx.id), ("state", "=", "done")])

    def play(self, kinds):
        def start(sim):
            return [sim.play_call(kind) for kind in kinds]

        played = self.sim.run(start)
        self.sim.run(lambda _sim: asyncio.gather(*(call.done for call in played)))
        return [expected for call in played for expected in call.expected]
