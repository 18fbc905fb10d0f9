from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged

from ..bridge import states as state_ingest
from ..models.k2_cc_queue_member import PENDING_TIMEOUT
from ..services.ami.simulator import SimulatorThread
from .common import K2CcCase, LinkedPbxMixin


@tagged("post_install", "-at_install")
class TestAgentStatesWritePath(K2CcCase):
    """What the bridge writes of the PBX's phone and queue-member states."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.recorder = cls.env.ref("k2_contact_center.user_k2_cc_recorder")
        cls.bridge_pbx = cls.pbx.with_user(cls.recorder).with_context(allowed_company_ids=cls.pbx.company_id.ids)
        cls.lunch = cls.env.ref("k2_contact_center.k2_cc_pause_reason_lunch")

    def member_event(self, interface="PJSIP/201", paused=False, reason="", state="free"):
        return {"queue": "support", "interface": interface, "name": "", "paused": paused, "reason": reason,
                "state": state, "calls_taken": 0, "in_call": False}

    def members(self):
        return self.env["k2.cc.queue.member"].search([("pbx_id", "=", self.pbx.id)])

    def test_phone_states_land_on_the_lines_and_unknown_devices_are_only_noted(self):
        noted = set()
        state_ingest.ingest_states(self.bridge_pbx, [
            ("device", "PJSIP/201", "ringing"), ("device", "PJSIP/201", "in_call"),
            ("device", "202@from-internal", "free"), ("device", "PJSIP/trunk", "in_call"),
            ("device", "PJSIP/trunk", "free")], noted)
        self.assertEqual((self.line.device_state, self.line2.device_state), ("in_call", "free"))
        self.assertTrue(self.line.device_state_since)
        self.assertEqual(noted, {(self.pbx.id, "PJSIP/trunk")}, "the trunk is logged once, not kept")

    def test_membership_pause_with_reason_and_leaving(self):
        state_ingest.ingest_states(self.bridge_pbx, [("member", ("support", "PJSIP/201"), self.member_event())])
        member = self.members()
        self.assertEqual((member.line_id, member.queue_id.name, member.confirmed, member.paused),
                         (self.line, "support", True, False))
        member.pending = "pause"
        state_ingest.ingest_states(self.bridge_pbx, [
            ("member", ("support", "PJSIP/201"), self.member_event(paused=True, reason="lunch"))])
        self.assertEqual((member.paused, member.pause_reason_id, member.pending), (True, self.lunch, False))
        state_ingest.ingest_states(self.bridge_pbx, [("member", ("support", "PJSIP/201"), None)])
        self.assertFalse(member.exists())

    def test_a_lost_link_makes_every_state_unknown_never_free(self):
        state_ingest.ingest_states(self.bridge_pbx, [
            ("device", "PJSIP/201", "free"), ("member", ("support", "PJSIP/201"), self.member_event())])
        state_ingest.link_lost(self.bridge_pbx)
        self.assertEqual((self.line.device_state, self.members().state), ("unknown", "unknown"))
        board = self.env["k2.cc.wallboard"].with_user(self.manager).cc_wallboard_data()[0]
        agent = next(agent for agent in board["agents"] if agent["line_id"] == self.line.id)
        self.assertEqual(agent["state"], "unknown")
        self.assertEqual(next(queue for queue in board["queues"] if queue["name"] == "support")["free"], 0)

    def test_a_resync_replaces_what_was_known(self):
        state_ingest.ingest_states(self.bridge_pbx, [
            ("device", "PJSIP/201", "free"), ("device", "PJSIP/202", "free"),
            ("member", ("support", "PJSIP/201"), self.member_event()),
            ("member", ("support", "PJSIP/202"), self.member_event("PJSIP/202"))])
        self.members().filtered(lambda member: member.line_id == self.line).pending = "resume"
        state_ingest.resynced(self.bridge_pbx, {"devices": {"PJSIP/201": "in_call"}, "members": [
            self.member_event(paused=True, reason="Lunch", state="in_call")], "link_up": True})
        self.assertEqual((self.line.device_state, self.line2.device_state), ("in_call", "unknown"))
        self.assertEqual(self.members().line_id, self.line)
        self.assertTrue(self.members().paused)
        self.assertFalse(self.members().pending, "a resume lost with the link is given up: the PBX says paused")

    def test_a_request_the_pbx_never_confirms_is_given_up_after_the_timeout(self):
        state_ingest.ingest_states(self.bridge_pbx, [("member", ("support", "PJSIP/201"), self.member_event())])
        member = self.members()
        asked = fields.Datetime.now() - timedelta(seconds=PENDING_TIMEOUT + 1)
        member.write({"pending": "pause", "pending_since": asked, "pending_reason_id": self.lunch.id})
        joined = self.env["k2.cc.queue.member"].create({"queue_id": member.queue_id.id, "line_id": self.line2.id,
                                                        "pending": "join", "pending_since": asked})
        fresh = self.env["k2.cc.queue.member"].create({
            "queue_id": self.env["k2.cc.queue"].create({"pbx_id": self.pbx.id, "name": "sales"}).id,
            "line_id": self.line.id, "pending": "join", "pending_since": fields.Datetime.now()})
        self.env["bus.bus"].sudo().search([]).unlink()
        with self.assertLogs("odoo.addons.k2_contact_center.models.k2_cc_queue_member", "WARNING") as logged:
            self.env["k2.cc.pbx"]._cc_watchdog()
        self.assertEqual(len(logged.output), 2)
        self.assertIn("did not confirm the pause request of line 201", logged.output[0] + logged.output[1])
        self.assertEqual((member.pending, member.pending_since, member.pending_reason_id, member.paused),
                         (False, False, self.env["k2.cc.pause.reason"], False),
                         "the pause the PBX never confirmed shows as what the PBX says: taking calls")
        self.assertFalse(joined.exists(), "a join the PBX never confirmed is no membership")
        self.assertEqual(fresh.pending, "join", "a request within the timeout still waits for the PBX")
        [toast] = self.bus_payloads(self.agent, "simple_notification")
        self.assertEqual(toast["type"], "warning")
        self.assertIn("did not confirm the pause in the queue support", toast["message"])
        self.assertIn("taking calls", toast["message"])
        self.assertIn("You are not a member", self.bus_payloads(self.agent2, "simple_notification")[0]["message"])
        self.assertTrue(self.bus_payloads(self.agent, "k2_cc_queues"), "the systray shows the PBX's state again")

    def test_the_next_member_state_ends_a_request_past_its_timeout(self):
        state_ingest.ingest_states(self.bridge_pbx, [("member", ("support", "PJSIP/201"), self.member_event())])
        member = self.members()
        member.write({"pending": "leave", "pending_since": fields.Datetime.now() - timedelta(minutes=1)})
        users = state_ingest.ingest_states(self.bridge_pbx, [
            ("member", ("support", "PJSIP/201"), self.member_event(state="in_call"))])
        self.assertEqual((member.pending, member.confirmed, member.state), (False, True, "in_call"))
        self.assertIn(self.agent, users)

    def test_agents_act_for_their_own_lines_only(self):
        state_ingest.ingest_states(self.bridge_pbx, [
            ("member", ("support", "PJSIP/202"), self.member_event("PJSIP/202"))])
        other = self.members()
        with self.assertRaises(AccessError):
            other.with_user(self.agent).cc_pause()
        self.pbx.link_state = "disconnected"
        with self.assertRaisesRegex(UserError, "cannot be reached"):
            other.with_user(self.manager).cc_pause()

    def test_the_wallboard_is_for_managers(self):
        with self.assertRaises(AccessError):
            self.env["k2.cc.wallboard"].with_user(self.agent).cc_wallboard_data()


@tagged("post_install", "-at_install")
class TestAgentStatesResync(LinkedPbxMixin, TransactionCase):
    """The simulator keeps phones and queue members; the bridge links it to
    this database: states follow the PBX, actions go through it, and a
    reconnect resyncs what changed while the link was down."""

    def setUp(self):
        super().setUp()
        self.sim = SimulatorThread(username="odoo", secret="s3cret", extensions=("201", "202"), seed=3, states=True)
        port = self.sim.start()
        self.addCleanup(self.sim.stop)
        self.agent = new_test_user(self.env, "k2states", groups="base.group_user", name="State Agent")
        self.pbx = self.env["k2.cc.pbx"].create({
            "code": "STATES", "name": "States PBX", "country_id": self.env.ref("base.cz").id,
            "extension_patterns": "2XX", "trunk_names": "k2-trunk", "connector": "ami", "host": "127.0.0.1",
            "port": port, "username": "odoo", "password": "s3cret",
        })
        self.lines = self.env["k2.cc.line"].create([
            {"pbx_id": self.pbx.id, "extension": "201", "user_id": self.agent.id},
            {"pbx_id": self.pbx.id, "extension": "202"},
        ])
        self.start_link(self.pbx)

    def floor(self, env):
        """(line, queue, paused, pause reason, pending) of each member, and each line's phone state."""
        members = env["k2.cc.queue.member"].search([("pbx_id", "=", self.pbx.id)])
        lines = env["k2.cc.line"].browse(self.lines.ids)
        return (sorted((m.line_id.extension, m.queue_id.name, m.paused, m.pause_reason or "", m.pending or "")
                       for m in members if m.confirmed),
                {line.extension: line.device_state for line in lines})

    def test_states_follow_the_pbx_and_a_reconnect_resyncs_them(self):
        self.wait_for(lambda env: self.floor(env) == (
            [("201", "support", False, "", ""), ("202", "support", False, "", "")],
            {"201": "free", "202": "free"}), "the states the PBX lists at connect")

        def change_while_down(sim):
            sim.drop_connections()
            sim.states.members[("support", "PJSIP/201")].update(paused=True, reason="Lunch")
            del sim.states.members[("support", "PJSIP/202")]
            sim.states.devices["PJSIP/202"] = "UNAVAILABLE"

        self.sim.run(change_while_down)
        self.wait_for(lambda env: self.floor(env) == (
            [("201", "support", True, "Lunch", "")], {"201": "free", "202": "unavailable"}),
            "the states changed while the link was down, after the reconnect")

    def test_pause_and_resume_from_odoo_are_pending_until_the_pbx_confirms(self):
        self.wait_for(lambda env: env["k2.cc.pbx"].browse(self.pbx.id).link_state == "connected"
                      and len(self.floor(env)[0]) == 2, "the link and its members")
        lunch = self.env.ref("k2_contact_center.k2_cc_pause_reason_lunch")

        def pause(env):
            member = env["k2.cc.queue.member"].search([("line_id", "=", self.lines[0].id)])
            return member.with_user(self.agent).cc_pause(lunch.id)

        rows = self.read_db(pause)
        self.assertEqual(rows[0]["pending"], "pause")
        self.wait_for(lambda env: ("201", "support", True, "Lunch", "") in self.floor(env)[0], "the PBX's pause")

        def join_again(env):
            queue = env["k2.cc.queue"].search([("pbx_id", "=", self.pbx.id)])
            return env["k2.cc.queue.member"].with_user(self.agent).cc_join(queue.id, self.lines[0].id)

        with self.assertRaisesRegex(UserError, "Already there"):
            self.read_db(join_again)

        def resume(env):
            member = env["k2.cc.queue.member"].search([("line_id", "=", self.lines[0].id)])
            return member.with_user(self.agent).cc_resume()

        self.read_db(resume)
        self.wait_for(lambda env: ("201", "support", False, "", "") in self.floor(env)[0], "the PBX's resume")
