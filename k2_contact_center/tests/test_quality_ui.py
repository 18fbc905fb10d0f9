from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

from ..bridge.ingest import ingest
from ..services.ami.simulator import SimulatorThread
from .test_ingest import record


@tagged("post_install", "-at_install")
class TestQualityUi(HttpCase):
    def test_callbacks_quality_dashboards_and_home_figure(self):
        """A manager sees today's service level on the home screen, calls a
        missed caller back in one click from the callbacks, the answered call
        closes the entry; every quality dashboard draws."""
        self.env["k2.cc.call"].search([]).unlink()  # the demo calls would blur the known figures
        sim = SimulatorThread(username="odoo", secret="s3cret", extensions=("201", "202"))
        port = sim.start()
        self.addCleanup(sim.stop)
        pbx = self.env["k2.cc.pbx"].create({
            "code": "QUAL", "name": "Quality PBX", "host": "127.0.0.1", "port": port, "username": "odoo",
            "password": "s3cret", "link_state": "connected", "default_context": "from-internal",
            "country_id": self.env.ref("base.cz").id, "outside_prefix": "0", "extension_patterns": "2XX"})
        manager = new_test_user(self.env, "k2quality", name="Quality Manager", tz="Europe/Prague",
                                groups="base.group_user,k2_contact_center.group_k2_cc_manager")
        line = self.env["k2.cc.line"].create({"pbx_id": pbx.id, "extension": "201", "user_id": manager.id})
        queue = self.env["k2.cc.queue"].create({"pbx_id": pbx.id, "name": "support", "display_name_custom": "Support"})
        self.env["res.partner"].create({"name": "Antonín Dvořák", "mobile": "+420 603 555 777"})
        now = fields.Datetime.now().replace(microsecond=0) - timedelta(minutes=1)
        for index, (disposition, wait) in enumerate([("answered", 8), ("answered", 15), ("cancelled", 45)]):
            self.env["k2.cc.call"].create({
                "pbx_id": pbx.id, "pbx_call_id": f"quality.{index}", "direction": "inbound", "disposition": disposition,
                "caller_number": f"+42060100000{index}", "called_number": "201", "queue_id": queue.id,
                "wait_time": wait, "wait_known": True, "start": now, "end": now, "line_id": line.id,
                "user_id": manager.id, "rang_line_ids": [(6, 0, line.ids)],
                "answer_time": now if disposition == "answered" else False})
        recorder = pbx.with_user(self.env.ref("k2_contact_center.user_k2_cc_recorder"))
        stamp = now.isoformat() + "+00:00"
        ingest(recorder, [record("quality.missed", disposition="no_answer", answered_by=None, answer=None,
                                 start=stamp, end=stamp, rang=["201"], talk_seconds=0.0)])
        callback = self.env["k2.cc.callback"].search([("state", "=", "open")])
        self.assertEqual(callback.number, "+420603555777")

        self.start_tour("/odoo", "k2_cc_quality_tour", login="k2quality", timeout=120)

        originates = sim.run(lambda s: [a for a in s.actions_seen if a.get("Action") == "Originate"])
        self.assertEqual([(a["Channel"], a["Exten"]) for a in originates], [("Local/201@from-internal", "0603555777")])
        placed = self.env["k2.cc.call"].search([("callback_id", "=", callback.id), ("originated", "=", True)])
        self.assertEqual(len(placed), 1)
        # the PBX reports the call answered: the bridge adopts the click and closes the callback
        answered = fields.Datetime.now().replace(microsecond=0).isoformat() + "+00:00"
        ingest(recorder, [record("quality.back", direction="outbound", caller="201", callee="+420603555777",
                                 answered_by="+420603555777", rang=[], start=answered, answer=answered,
                                 end=answered)])
        self.assertEqual((callback.state, callback.closed_by_id, callback.closed_call_id), ("done", manager, placed))
        self.start_tour("/odoo", "k2_cc_callback_closed_tour", login="k2quality")
