from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestUi(HttpCase):
    def test_configuration_and_history_tour(self):
        """Call history formats durations; the PBX form derives the sample extension live."""
        pbx = self.env["k2.cc.pbx"].create({
            "code": "TOUR",
            "name": "Tour PBX",
            "country_id": self.env.ref("base.cz").id,
            "extension_prefix": "221122",
            "extension_patterns": "2XX",
            "sample_number": "+420 221 122 201",
        })
        caller = self.env["res.partner"].create({"name": "Tour Caller", "phone": "+420 603 111 222"})
        start = fields.Datetime.now() - timedelta(minutes=5)
        self.env["k2.cc.call"].create({
            "pbx_id": pbx.id,
            "caller_number": "+420603111222",
            "called_number": "201",
            "partner_id": caller.id,
            "user_id": self.env.ref("base.user_admin").id,
            "start": start,
            "answer_time": start + timedelta(seconds=12),
            "end": start + timedelta(seconds=12 + 247),
        })
        self.start_tour("/odoo", "k2_cc_configuration_tour", login="admin")
