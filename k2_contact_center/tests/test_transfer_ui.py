from odoo.tests import new_test_user, tagged

from ..services.ami.simulator import SimulatorThread
from .common import LinkedPbxMixin
from .test_ui import LiveBusHttpCase


@tagged("post_install", "-at_install")
class TestTransferUi(LinkedPbxMixin, LiveBusHttpCase):
    """Transfers from the call card in the browser, live: the AMI simulator
    plays the call and carries out the transfer the card asks for, the
    bridge writes what the PBX reports, and the colleague's screen opens the
    call with the caller and the note."""

    def setUp(self):
        super().setUp()
        self.sim = SimulatorThread(username="odoo", secret="s3cret", extensions=("201", "202"), seed=17,
                                   states=True)
        port = self.sim.start()
        self.addCleanup(self.sim.stop)
        self.pbx = self.env["k2.cc.pbx"].create({
            "code": "XFUI", "name": "Transfer UI PBX", "host": "127.0.0.1", "port": port, "username": "odoo",
            "password": "s3cret", "country_id": self.env.ref("base.cz").id, "extension_patterns": "2XX",
            "trunk_names": "k2-trunk", "default_context": "from-internal",
        })
        self.agent = new_test_user(self.env, "k2xferui", groups="base.group_user", name="Transferring Agent")
        self.colleague = new_test_user(self.env, "k2xferui2", groups="base.group_user", name="Colleague Agent")
        (self.agent | self.colleague).cc_presence_wanted = True
        self.env["k2.cc.line"].create([
            {"pbx_id": self.pbx.id, "extension": "201", "user_id": self.agent.id},
            {"pbx_id": self.pbx.id, "extension": "202", "user_id": self.colleague.id},
        ])
        self.env["res.partner"].create({"name": "Bedřich Smetana", "phone": "+420 603 555 777"})
        self.start_link(self.pbx, ping_interval=1.0)
        self.wait_for(lambda env: env["k2.cc.line"].search_count(
            [("pbx_id", "=", self.pbx.id), ("device_state", "=", "free")]) == 2, "the phones' states")
        self.played = self.sim.run(lambda sim: sim.play_call("inbound_answered", hold=True, extension="201",
                                                             caller="+420603555777", caller_name="B Smetana"))
        self.call_id = self.played.expected[0]["call_id"]
        self.wait_for(lambda env: env["k2.cc.call"].search([("pbx_call_id", "=", self.call_id),
                                                            ("state", "=", "talking")]), "the call to be answered")

    def colleague_has_it(self, env):
        call = env["k2.cc.call"].search([("pbx_call_id", "=", self.call_id)])
        return call.state == "talking" and call.transfers and call.rang_line_ids.filtered(
            lambda line: line.user_id == self.colleague)

    def hang_up(self):
        self.sim.run(lambda _sim: self.played.release())
        self.sim.run(lambda _sim: self.played.done)
        self.wait_for(lambda env: env["k2.cc.call"].search([("pbx_call_id", "=", self.call_id)]).state == "done",
                      "the call's end")
        self.link.stop()
        return self.env["k2.cc.call"].search([("pbx_call_id", "=", self.call_id)])

    def test_blind_transfer_to_a_colleague(self):
        self.start_tour("/odoo", "k2_cc_blind_transfer_tour", login="k2xferui", timeout=90)
        self.wait_for(self.colleague_has_it, "the colleague to talk with the caller")
        self.start_tour("/odoo", "k2_cc_transfer_received_tour", login="k2xferui2", timeout=90)
        call = self.hang_up()
        self.assertEqual([(t["kind"], t["to"]) for t in call.transfers], [("blind", "202")])
        self.assertEqual((call.handover_note, call.handover_user_id), ("Wants 20 pumps, send an offer", self.agent))

    def test_attended_transfer_to_a_colleague(self):
        self.start_tour("/odoo", "k2_cc_attended_transfer_tour", login="k2xferui", timeout=90)
        self.wait_for(self.colleague_has_it, "the colleague to talk with the caller")
        self.start_tour("/odoo", "k2_cc_transfer_received_tour", login="k2xferui2", timeout=90)
        call = self.hang_up()
        self.assertEqual([(t["kind"], t["to"]) for t in call.transfers], [("attended", "202")])
        self.assertEqual((call.handover_note, call.handover_state), ("VIP customer, be nice", "done"))
        actions = self.sim.run(lambda sim: [a["Action"] for a in sim.actions_seen
                                            if a.get("Action") in ("Atxfer", "Hangup", "BlindTransfer")])
        self.assertEqual(actions, ["Atxfer", "Hangup"])
