import base64
import os
import pathlib
import threading
from unittest.mock import patch

from odoo.tests import new_test_user, tagged
from odoo.tests.common import ChromeBrowser
from odoo.tools import config

from ..services.ami.simulator import SimulatorThread
from .common import LinkedPbxMixin
from .test_ui import LiveBusHttpCase


@tagged("post_install", "-at_install")
class TestWallboardUi(LinkedPbxMixin, LiveBusHttpCase):
    """The wallboard, live: the PBX simulator (with device states and queue
    members) plays its calls and obeys the queue actions, the bridge writes
    them and its coalesced bus updates move the manager's wallboard."""

    def setUp(self):
        super().setUp()
        self.sim = SimulatorThread(username="odoo", secret="s3cret", extensions=("201", "202"), time_scale=0.25,
                                   seed=5, states=True)
        port = self.sim.start()
        self.addCleanup(self.sim.stop)
        self.pbx = self.env["k2.cc.pbx"].create({
            "code": "WALL", "name": "Wall PBX", "host": "127.0.0.1", "port": port, "username": "odoo",
            "password": "s3cret", "country_id": self.env.ref("base.cz").id, "outside_prefix": "0",
            "extension_patterns": "2XX", "trunk_names": "k2-trunk", "default_context": "from-internal",
        })
        manager = "base.group_user,k2_contact_center.group_k2_cc_manager"
        self.agent = new_test_user(self.env, "k2wall", name="Wall Agent", groups=manager)
        self.agent2 = new_test_user(self.env, "k2wall2", name="Second Agent", groups="base.group_user")
        self.manager = new_test_user(self.env, "k2wallmgr", name="Wall Manager", groups=manager)
        self.env["k2.cc.line"].create([
            {"pbx_id": self.pbx.id, "extension": "201", "user_id": self.agent.id},
            {"pbx_id": self.pbx.id, "extension": "202", "user_id": self.agent2.id},
        ])
        self.heard = {}
        self.played = []
        self.screenshot_folder = pathlib.Path(os.environ.get("K2CC_SCREENSHOTS")
                                              or pathlib.Path(config["screenshots"]) / self.env.cr.dbname / "k2cc")
        self.start_link(self.pbx, ping_interval=1.0)
        self.wait_for(lambda env: len(env["k2.cc.queue.member"].search(
            [("pbx_id", "=", self.pbx.id), ("confirmed", "=", True)])) == 2, "the PBX's queue members")
        # the caller waits long enough to be seen waiting (20 s), and is still served within the level
        self.read_db(lambda env: env["k2.cc.queue"].search([("pbx_id", "=", self.pbx.id)]).write(
            {"service_level_seconds": 60}))
        self.startPatcher(patch.object(ChromeBrowser, "_handle_console", self._console_reader()))

    def _console_reader(self):
        """What the tour says ("k2cc-wb <word>") starts the simulator's part, in a thread of its own."""
        test = self
        handle = ChromeBrowser._handle_console

        def reader(browser, type, args=None, stackTrace=None, **kw):  # noqa: A002 - CDP's own name
            words = " ".join(str(arg.get("value", "")) for arg in args or []).split()
            if words[:1] == ["k2cc-wb"]:
                if words[1] == "screenshot":
                    test._screenshot(browser, "wallboard")
                else:
                    threading.Thread(target=test._pbx_part, args=(words[1],), daemon=True).start()
            return handle(browser, type, args=args, stackTrace=stackTrace, **kw)

        return reader

    def _pbx_part(self, word):
        if word == "ready":
            self.played.append(self.sim.run(lambda sim: sim.play_call(
                "queue", time_scale=1.0, hold=True, agents=["201"], caller="+420603555777",
                caller_name="Antonin Dvorak", wait=20.0, talk=1.0)))
        elif word == "hangup":
            self.sim.run(lambda _sim: self.played[0].release())

    def _screenshot(self, browser, name):
        self.screenshot_folder.mkdir(parents=True, exist_ok=True)
        path = self.screenshot_folder / f"{name}.png"
        browser._websocket_send("Page.captureScreenshot", with_future=True).add_done_callback(
            lambda future: path.write_bytes(base64.b64decode(future.result()["data"])))

    def test_wallboard_follows_a_caller_waiting_then_answered(self):
        self.start_tour("/odoo/contact-center-wallboard", "k2_cc_wallboard_live_tour", login="k2wallmgr",
                        timeout=120)
        self.link.stop()
        call = self.env["k2.cc.call"].search([("pbx_id", "=", self.pbx.id)])
        self.assertEqual((call.queue_id.name, call.queue_outcome, call.user_id), ("support", "answered", self.agent))

    def test_agent_pauses_and_resumes_from_the_systray(self):
        self.start_tour("/odoo/contact-center-wallboard", "k2_cc_wallboard_systray_pause_tour", login="k2wall",
                        timeout=120)
        paused = self.sim.run(lambda sim: sim.states.members[("support", "PJSIP/201")]["paused"])
        self.assertFalse(paused, "the PBX itself resumed the agent")

    def test_manager_pauses_an_agent_from_the_wallboard(self):
        self.start_tour("/odoo/contact-center-wallboard", "k2_cc_wallboard_manager_pause_tour",
                        login="k2wallmgr", timeout=120)
