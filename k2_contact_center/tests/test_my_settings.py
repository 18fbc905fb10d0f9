from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, tagged

from .common import K2CcCase


@tagged("post_install", "-at_install")
class TestMySettings(K2CcCase):
    """Each agent sets their own lines' personal switches; the line itself
    (extension, device, user, PBX) stays the administrators'."""

    def test_agent_sets_each_personal_switch_of_their_line(self):
        line = self.line.with_user(self.agent)
        for fname in line._cc_personal_fields:
            with self.subTest(field=fname):
                value = line[fname] + 15 if fname == "wrapup_seconds" else not line[fname]
                line.write({fname: value})
                self.assertEqual(self.line[fname], line[fname])
        self.assertEqual(set(line._cc_personal_fields),
                         {"autoclose_missed", "autoclose_calls", "autoconnect", "notify_missed",
                          "wrapup_seconds"})

    def test_the_line_itself_stays_the_administrators(self):
        other_pbx = self.env["k2.cc.pbx"].create({"code": "S2", "name": "Other PBX"})
        for user in (self.agent, self.manager):
            for vals in ({"extension": "299"}, {"endpoint": "PJSIP/299"}, {"user_id": self.agent2.id},
                         {"pbx_id": other_pbx.id}, {"log_calls": False}, {"active": False},
                         {"number": "+420221122299"}):
                with self.subTest(user=user.login, vals=vals), self.assertRaisesRegex(AccessError, "administrators"):
                    self.line.with_user(user).write(vals)
        self.assertEqual((self.line.extension, self.line.user_id), ("201", self.agent))

    def test_nobody_sets_someone_elses_switches(self):
        for user in (self.agent, self.manager):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.line2.with_user(user).write({"autoclose_missed": True})
        self.assertFalse(self.line2.autoclose_missed)

    def test_preferences_form_sets_own_switches(self):
        self.assertTrue(self.line.notify_missed)
        self.agent.tz = "Europe/Prague"  # required in the preferences where Employees is installed
        form = Form(self.agent.with_user(self.agent), view="base.view_users_form_simple_modif")
        with form.cc_line_ids.edit(0) as row:
            row.autoclose_calls = True
            row.notify_missed = False
        form.save()
        self.assertEqual((self.line.autoclose_calls, self.line.notify_missed), (True, False))

    def test_preferences_route_no_other_line_change(self):
        me = self.agent.with_user(self.agent)
        refused = [
            [Command.update(self.line.id, {"extension": "299"})],
            [Command.update(self.line2.id, {"autoclose_missed": True})],
            [Command.create({"pbx_id": self.pbx.id, "extension": "298"})],
            [Command.delete(self.line.id)],
            [Command.unlink(self.line.id)],
        ]
        for commands in refused:
            with self.subTest(commands=commands), self.assertRaises(AccessError):
                me.write({"cc_line_ids": commands})
        self.assertEqual(self.line.user_id, self.agent)
        self.assertEqual(self.pbx.line_ids, self.line | self.line2)
        # the rest of the preferences still saves with the switches
        me.write({"tz": "Europe/Prague", "cc_line_ids": [Command.update(self.line.id, {"autoconnect": True})]})
        self.assertEqual((self.agent.tz, self.line.autoconnect), ("Europe/Prague", True))

    def test_home_panel_lists_own_lines_and_their_switches(self):
        settings = self.env["k2.cc.line"].with_user(self.agent).cc_my_settings()
        self.assertEqual([line["id"] for line in settings["lines"]], self.line.ids)
        self.assertEqual([switch["name"] for switch in settings["switches"]], list(self.line._cc_personal_fields))
        self.assertEqual(settings["switches"][0]["string"], "Auto-close Missed Calls")
        self.assertTrue(settings["lines"][0]["notify_missed"])
        self.assertFalse(self.env["k2.cc.line"].with_user(self.manager).cc_my_settings()["lines"])
