from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestCardStackUi(HttpCase):
    """The agent's screen at a real pace: the cards come from the server when
    the page starts (the calls are in the database before the tour), so they
    survive a reload and a second tab shows the same ones."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pbx = cls.env["k2.cc.pbx"].create({"code": "STACK", "name": "Stack PBX", "host": "127.0.0.1",
                                              "country_id": cls.env.ref("base.cz").id})
        cls.agent = new_test_user(cls.env, "k2stack", groups="base.group_user", name="Stack Agent")
        cls.agent.cc_presence_wanted = True
        cls.line = cls.env["k2.cc.line"].create({"pbx_id": cls.pbx.id, "extension": "201",
                                                 "user_id": cls.agent.id, "wrapup_seconds": 0})
        cls.customer = cls.env["res.partner"].create({"name": "Antonín Dvořák", "mobile": "+420601123456"})

    def call(self, ref, number, state, ago=0, **values):
        start = fields.Datetime.now() - timedelta(seconds=ago + 30)
        done = state == "done"
        return self.env["k2.cc.call"].create({
            "pbx_id": self.pbx.id, "pbx_call_id": ref, "line_id": self.line.id, "user_id": self.agent.id,
            "rang_line_ids": [(6, 0, self.line.ids)], "caller_number": number, "called_number": "201",
            "state": state, "disposition": "answered", "start": start,
            "answer_time": start + timedelta(seconds=5), "end": start + timedelta(seconds=25) if done else False,
            **values,
        })

    def test_reload_keeps_the_card_and_its_draft(self):
        talking = self.call("reload.1", "+420601123456", "talking", partner_id=self.customer.id)
        self.call("reload.2", "+420602987654", "done")  # ended just now, no note: in its wrap-up
        noted = self.call("reload.3", "+420603000003", "done")
        noted.note_message_id = self.customer.message_post(body="Done")
        old = self.call("reload.4", "+420604000004", "done")
        # a queue call that rang this agent too, answered by a colleague: not this agent's card
        colleague = new_test_user(self.env, "k2stackmate", groups="base.group_user", name="Stack Mate")
        their_line = self.env["k2.cc.line"].create({"pbx_id": self.pbx.id, "extension": "202", "user_id": colleague.id})
        self.call("reload.5", "+420605000005", "talking", line_id=their_line.id, user_id=colleague.id,
                  answered_by="202", rang_line_ids=[(6, 0, (self.line | their_line).ids)])
        self.env.flush_all()
        # ended long ago: as the database wrote it an hour back
        self.env.cr.execute("UPDATE k2_cc_call SET write_date = now() at time zone 'UTC' - interval '1 hour' "
                            "WHERE id = %s", [old.id])
        self.env.invalidate_all()
        self.start_tour("/odoo", "k2_cc_card_reload_tour", login="k2stack")
        # a second tab (a fresh screen): the same cards, no old ones
        self.start_tour("/odoo", "k2_cc_card_reload_tour", login="k2stack")
        self.assertEqual(talking.state, "talking")

    def _age(self, call, hours=1):
        """As if ``call`` ended and was last written ``hours`` ago."""
        self.env.flush_all()
        self.env.cr.execute("UPDATE k2_cc_call SET write_date = now() at time zone 'UTC' - %s * interval '1 hour', "
                            "start = start - %s * interval '1 hour', \"end\" = \"end\" - %s * interval '1 hour' "
                            "WHERE id = %s", [hours, hours, hours, call.id])
        self.env.invalidate_all()

    def test_a_draft_outlives_the_wrapup_window(self):
        self.call("draft.0", "+420601123456", "talking", partner_id=self.customer.id)
        old = self.call("draft.1", "+420606000006", "done", partner_id=self.customer.id)
        self._age(old)
        self.start_tour("/odoo", "k2_cc_card_old_draft_tour", login="k2stack")
        self.assertTrue(old.note_message_id, "the draft kept past the window was saved on the contact")
        self.assertIn("Call back about the invoice", old.note_message_id.body)

    def test_my_cards_give_back_drafted_calls_however_old(self):
        old = self.call("old.1", "+420601123456", "done")
        noted = self.call("old.2", "+420602987654", "done")
        noted.note_message_id = self.customer.message_post(body="Done")
        other = new_test_user(self.env, "k2stack3", groups="base.group_user", name="Third Agent")
        other.cc_presence_wanted = True
        their_line = self.env["k2.cc.line"].create({"pbx_id": self.pbx.id, "extension": "209", "user_id": other.id})
        theirs = self.call("old.3", "+420603000003", "done", line_id=their_line.id, user_id=other.id,
                           rang_line_ids=[(6, 0, their_line.ids)])
        for call in old | noted | theirs:
            self._age(call)
        calls = self.env["k2.cc.call"].with_user(self.agent)
        self.assertEqual(calls.cc_my_cards()["cards"], [], "ended an hour ago: out of the wrap-up window")
        answer = calls.cc_my_cards([old.id, noted.id, theirs.id, "x", None, -4])
        self.assertEqual([card["id"] for card in answer["cards"]], [old.id],
                         "a draft brings back its call, not one with a note nor another agent's")
        self.assertEqual(answer["cards"][0]["state"], "ended")
        self.assertIn(old.id, answer["seen"])
        self.line.autoclose_calls = True  # closes cards without a note; this one has a draft
        self.assertEqual([card["id"] for card in calls.cc_my_cards([old.id])["cards"]], [old.id])

    def test_the_stack_stays_usable(self):
        for index in range(1, 8):
            state = {1: "done", 2: "done", 3: "ringing", 4: "ringing", 5: "talking", 6: "talking", 7: "ringing"}[index]
            self.call(f"stack.{index}", f"+42060100000{index}", state, ago=0 if index == 6 else 60 - index)
        self.env["k2.cc.call"].search([("pbx_call_id", "=", "stack.5")]).start -= timedelta(minutes=5)
        self.start_tour("/odoo", "k2_cc_card_stack_tour", login="k2stack")

    def test_my_cards_are_the_live_and_wrapup_calls(self):
        live = self.call("mine.1", "+420601123456", "talking")
        wrapup = self.call("mine.2", "+420602987654", "done")
        noted = self.call("mine.3", "+420603000003", "done")
        noted.note_message_id = self.customer.message_post(body="Done")
        other = new_test_user(self.env, "k2stack2", groups="base.group_user", name="Other Agent")
        answer = self.env["k2.cc.call"].with_user(self.agent).cc_my_cards()
        self.assertEqual({card["id"] for card in answer["cards"]}, {live.id, wrapup.id})
        self.assertEqual({card["state"] for card in answer["cards"]}, {"talking", "ended"})
        self.assertEqual(answer["cards"][0]["wrapup_seconds"], 0)
        self.assertIn(noted.id, answer["seen"], "a replay of the noted call's notifications must not show it")
        # an open screen drops an ended call's card once a reload would no longer show it
        wrapup.end -= timedelta(seconds=answer["window_seconds"] + 60)
        answer = self.env["k2.cc.call"].with_user(self.agent).cc_my_cards()
        self.assertEqual({card["id"] for card in answer["cards"]}, {live.id})
        self.assertEqual(self.env["k2.cc.call"].with_user(other).cc_my_cards()["cards"], [])
        self.line.autoclose_calls = True
        answer = self.env["k2.cc.call"].with_user(self.agent).cc_my_cards()
        self.assertEqual([card["id"] for card in answer["cards"]], [live.id])
        # a queue call a colleague answered is not this agent's card; one this agent answered is
        mate = new_test_user(self.env, "k2stackmate2", groups="base.group_user", name="Stack Mate")
        mate_line = self.env["k2.cc.line"].create({"pbx_id": self.pbx.id, "extension": "203", "user_id": mate.id})
        theirs = self.call("mine.4", "+420604000004", "talking", line_id=mate_line.id, user_id=mate.id,
                           answered_by="203", rang_line_ids=[(6, 0, (self.line | mate_line).ids)])
        mine = self.call("mine.5", "+420605000005", "talking", answered_by="201",
                         rang_line_ids=[(6, 0, (self.line | mate_line).ids)])
        answer = self.env["k2.cc.call"].with_user(self.agent).cc_my_cards()
        self.assertEqual({card["id"] for card in answer["cards"]}, {live.id, mine.id})
        self.assertIn(theirs.id, answer["seen"], "a replay of the colleague's call must not show it either")
