from werkzeug.exceptions import Forbidden, NotFound

from odoo import http
from odoo.exceptions import AccessError, UserError
from odoo.http import request


class K2CcRecordingController(http.Controller):
    @http.route("/k2_contact_center/recording/<int:call_id>", type="http", auth="user", methods=["GET"])
    def recording(self, call_id):
        """A call's recording as MP3, for its responsible user and managers
        only (403 for everyone else); range requests let the player seek."""
        call = request.env["k2.cc.call"].browse(call_id).exists()
        if not call:
            raise NotFound()
        try:
            call._cc_check_recording_access()
        except AccessError as error:
            raise Forbidden(str(error)) from error
        try:
            attachment = call.sudo()._cc_recording()
        except UserError as error:
            raise NotFound(str(error)) from error
        stream = request.env["ir.binary"]._get_stream_from(attachment, "raw")
        return stream.get_response(as_attachment=False)
