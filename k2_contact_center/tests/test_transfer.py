from odoo.exceptions import UserError
from odoo.tests import TransactionCase, new_test_user, tagged

from ..services.ami.simulator import SimulatorThread
from .common import LinkedPbxMixin


@tagged("post_install", "-at_install")
class TestTransfer(LinkedPbxMixin, TransactionCase):
    """Transfers from the call card, through the bridge and the AMI
    simulator: the PBX is asked on the agent's own channel, the history
    lists the transfer, the colleague takes part in the call with the note."""

    def setUp(self):
        super().setUp()
        self.sim = SimulatorThread(username="odoo", secret="s3cret", extensions=("201", "202"), seed=13,
                                   states=True)
        port = self.sim.start()
        self.addCleanup(self.sim.stop)
        self.pbx = self.env["k2.cc.pbx"].create({
            "code": "XFER", "name": "Transfer PBX", "host": "127.0.0.1", "port": port, "username": "odoo",
            "password": "s3cret", "country_id": self.env.ref("base.cz").id, "extension_patterns": "2XX, 6XX",
            "trunk_names": "k2-trunk", "default_context": "from-internal", "outside_prefix": "0",
        })
        self.agent = new_test_user(self.env, "k2xfer", groups="base.group_user", name="Transferring Agent")
        self.colleague = new_test_user(self.env, "k2xfer2", groups="base.group_user", name="Colleague Agent")
        self.line, self.colleague_line = self.env["k2.cc.line"].create([
            {"pbx_id": self.pbx.id, "extension": "201", "user_id": self.agent.id},
            {"pbx_id": self.pbx.id, "extension": "202", "user_id": self.colleague.id},
        ])
        self.customer = self.env["res.partner"].create({"name": "Bedřich Smetana", "phone": "+420 603 555 777"})
        self.start_link(self.pbx)
        self.wait_for(lambda env: self.link_state() == "connected", "the link")

    def talking_call(self):
        played = self.sim.run(lambda sim: sim.play_call("inbound_answered", hold=True, extension="201",
                                                        caller="+420603555777", caller_name="B Smetana"))
        call_id = played.expected[0]["call_id"]
        call = self.wait_for(lambda env: env["k2.cc.call"].search(
            [("pbx_call_id", "=", call_id), ("state", "=", "talking")]).id, "the call to be answered")
        return played, call

    def as_agent(self, call_id, method, *args, user=None):
        return self.read_db(lambda env: getattr(env["k2.cc.call"].with_user(user or self.agent).browse(call_id),
                                                method)(*args))

    def sent(self, name):
        return self.sim.run(lambda sim: [action for action in sim.actions_seen if action.get("Action") == name])

    def finished(self, played, call_id):
        self.sim.run(lambda _sim: played.release())
        self.sim.run(lambda _sim: played.done)
        return self.wait_for(lambda env: env["k2.cc.call"].browse(call_id).state == "done"
                             and env["k2.cc.call"].browse(call_id).read(
                                 ["transfers", "rang_line_ids", "handover_user_id", "handover_note",
                                  "handover_state", "transferred", "transfer_summary"])[0], "the call's end")

    def test_colleagues_are_offered_with_their_live_state(self):
        self.read_db(lambda env: env["k2.cc.queue"].search([("pbx_id", "=", self.pbx.id)]).write(
            {"extension": "600"}))
        played, call = self.talking_call()
        targets = self.as_agent(call, "cc_transfer_targets", call, user=self.agent)
        self.assertEqual([(c["name"], c["extension"], c["state"]) for c in targets["colleagues"]],
                         [("Colleague Agent", "202", "free")])
        self.assertEqual([queue["extension"] for queue in targets["queues"]], ["600"])
        self.finished(played, call)

    def test_blind_transfer_to_a_colleague_hands_over_the_call_and_the_note(self):
        played, call = self.talking_call()
        card = self.as_agent(call, "cc_transfer", "colleague", self.colleague_line.id, "blind", "Wants 20 pumps")
        self.assertEqual(card["state"], "transferred")
        (action,) = self.sent("BlindTransfer")
        self.assertRegex(action["Channel"], r"^PJSIP/201-")
        self.assertEqual((action["Exten"], action["Context"]), ("202", "from-internal"))
        # the colleague's phone rings, then they talk with the caller, the note on their card
        self.wait_for(lambda env: self.colleague_line in env["k2.cc.call"].browse(call).rang_line_ids,
                      "the colleague to take part")
        colleague_card = self.as_agent(call, "_cc_my_card", user=self.colleague)
        self.assertEqual((colleague_card["contact"]["name"], colleague_card["handover"]["note"],
                          colleague_card["handover"]["by"]), ("Bedřich Smetana", "Wants 20 pumps",
                                                                "Transferring Agent"))
        self.assertIn(colleague_card["state"], ("ringing", "talking"))
        done = self.finished(played, call)
        self.assertEqual([(t["kind"], t["by"], t["to"]) for t in done["transfers"]], [("blind", "201", "202")])
        self.assertIn(self.colleague_line.id, done["rang_line_ids"])
        self.assertTrue(done["transferred"])
        self.assertEqual(done["transfer_summary"], "blind transfer: 201 → 202")
        self.assertEqual((done["handover_user_id"][0], done["handover_state"]), (self.agent.id, "done"))

    def test_attended_transfer_consults_then_completes(self):
        played, call = self.talking_call()
        card = self.as_agent(call, "cc_transfer", "colleague", self.colleague_line.id, "attended", "VIP")
        self.assertEqual((card["state"], card["handover"]["state"]), ("talking", "consulting"))
        (action,) = self.sent("Atxfer")
        self.assertEqual(action["Exten"], "202")
        self.wait_for(lambda env: env["k2.cc.call"].search(
            [("pbx_id", "=", self.pbx.id), ("direction", "=", "internal"), ("state", "=", "talking")]),
            "the consultation")
        card = self.as_agent(call, "cc_transfer_complete")
        self.assertEqual(card["state"], "transferred")
        (hangup,) = self.sent("Hangup")
        self.assertRegex(hangup["Channel"], r"^PJSIP/201-")
        self.wait_for(lambda env: env["k2.cc.call"].browse(call).transfers, "the PBX to report the transfer")
        colleague_card = self.as_agent(call, "_cc_my_card", user=self.colleague)
        self.assertEqual((colleague_card["state"], colleague_card["handover"]["note"]), ("talking", "VIP"))
        done = self.finished(played, call)
        self.assertEqual([(t["kind"], t["by"], t["to"]) for t in done["transfers"]], [("attended", "201", "202")])
        self.assertIn(self.colleague_line.id, done["rang_line_ids"])
        consult = self.read_db(lambda env: env["k2.cc.call"].search(
            [("pbx_id", "=", self.pbx.id), ("direction", "=", "internal")]).read(["state", "disposition"]))
        self.assertEqual([(c["state"], c["disposition"]) for c in consult], [("done", "answered")])

    def test_attended_transfer_cancelled_brings_the_caller_back(self):
        played, call = self.talking_call()
        self.as_agent(call, "cc_transfer", "colleague", self.colleague_line.id, "attended", "")
        self.wait_for(lambda env: env["k2.cc.call"].search(
            [("pbx_id", "=", self.pbx.id), ("direction", "=", "internal"), ("state", "=", "talking")]),
            "the consultation")
        card = self.as_agent(call, "cc_transfer_cancel")
        self.assertEqual((card["state"], card["handover"]["state"], card["can_transfer"]),
                         ("talking", "cancelled", True))
        (hangup,) = self.sent("Hangup")
        self.assertRegex(hangup["Channel"], r"^PJSIP/202-")  # the colleague's side of the consultation
        done = self.finished(played, call)
        self.assertEqual(done["transfers"], False)
        self.assertNotIn(self.colleague_line.id, done["rang_line_ids"])

    def test_blind_transfer_to_a_queue_through_its_extension(self):
        queue = self.read_db(lambda env: env["k2.cc.queue"].search([("pbx_id", "=", self.pbx.id),
                                                                    ("name", "=", "support")]))
        self.read_db(lambda env: env["k2.cc.queue"].browse(queue.id).write({"extension": "600"}))
        played, call = self.talking_call()
        self.as_agent(call, "cc_transfer", "queue", queue.id, "blind", "")
        (action,) = self.sent("BlindTransfer")
        self.assertEqual(action["Exten"], "600")
        done = self.finished(played, call)
        self.assertEqual([(t["kind"], t["to"]) for t in done["transfers"]], [("blind", "600")])
        self.assertEqual(self.read_db(lambda env: env["k2.cc.call"].browse(call).queue_id.name), "support")

    def test_transfer_to_an_outside_number_dials_it_as_the_pbx_does(self):
        played, call = self.talking_call()
        self.as_agent(call, "cc_transfer", "number", "+420 777 123 456", "blind", "")
        (action,) = self.sent("BlindTransfer")
        self.assertEqual(action["Exten"], "0777123456")  # the outside-line prefix, then the national number
        done = self.finished(played, call)
        self.assertEqual(done["transfers"][0]["kind"], "blind")

    def test_what_cannot_be_transferred_says_why(self):
        played, call = self.talking_call()
        with self.assertRaisesRegex(UserError, "You are not in this call"):
            self.as_agent(call, "cc_transfer", "colleague", self.colleague_line.id, "blind", "",
                          user=self.env.ref("base.user_admin"))
        with self.assertRaisesRegex(UserError, "not a phone number"):
            self.as_agent(call, "cc_transfer", "number", "call me", "blind", "")
        with self.assertRaisesRegex(UserError, "cannot be consulted"):
            queue = self.read_db(lambda env: env["k2.cc.queue"].create(
                {"name": "sales", "pbx_id": self.pbx.id, "extension": "601"}).id)
            self.as_agent(call, "cc_transfer", "queue", queue, "attended", "")
        with self.assertRaisesRegex(UserError, "No transfer of this call is waiting"):
            self.as_agent(call, "cc_transfer_complete")
        self.assertEqual(self.sent("BlindTransfer") + self.sent("Atxfer"), [])
        self.finished(played, call)
        with self.assertRaisesRegex(UserError, "Only a call in progress"):
            self.as_agent(call, "cc_transfer", "colleague", self.colleague_line.id, "blind", "")
        self.read_db(lambda env: env["k2.cc.pbx"].browse(self.pbx.id).write({"connector": "ari"}))
        with self.assertRaisesRegex(UserError, "transferred by its own application"):
            self.as_agent(call, "cc_transfer", "colleague", self.colleague_line.id, "blind", "")
