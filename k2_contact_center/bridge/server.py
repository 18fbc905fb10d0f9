"""Where the bridge runs: in the Odoo server when the addon is one of its
``server_wide_modules`` (threaded server), or in the ``k2cc-bridge`` command.

With several workers or servers, run ``odoo k2cc-bridge`` once per database
(or on several machines: advisory locks keep each PBX on one link).
"""

import logging
import threading

import odoo
from odoo.service import server
from odoo.tools import config

from .runner import BridgeManager, PbxLink

_logger = logging.getLogger(__name__)
_managers = {}
_managers_lock = threading.Lock()


def in_process_enabled():
    return "k2_contact_center" in odoo.conf.server_wide_modules and not config["stop_after_init"]


def ensure_in_process_bridge(db_name):
    """Start (or restart, when its thread died) this process's bridge for
    ``db_name``, when this process is a threaded server that runs it."""
    if not (in_process_enabled() and isinstance(server.server, server.ThreadedServer)):
        return None
    with _managers_lock:
        manager = _managers.get(db_name)
        if manager is None or not manager.is_alive():
            if manager is not None:
                _logger.warning("Contact-center bridge of %s died: restarting it", db_name)
            manager = _managers[db_name] = BridgeManager(db_name).start()
        return manager


def stop_in_process_bridges():
    with _managers_lock:
        for manager in _managers.values():
            manager.stop()
        _managers.clear()


def _databases():
    names = [name for name in (config["db_name"] or "").split(",") if name]
    if names:
        return names
    installed = []
    for name in odoo.service.db.list_dbs(True):
        try:
            with odoo.sql_db.db_connect(name).cursor() as cr:
                cr.execute("SELECT 1 FROM ir_module_module WHERE name = 'k2_contact_center' AND state = 'installed'")
                if cr.fetchone():
                    installed.append(name)
        except Exception:  # noqa: BLE001 - not an Odoo database
            continue
    return installed


_threaded_start = server.ThreadedServer.start


def _start_with_bridge(self, *args, **kwargs):
    result = _threaded_start(self, *args, **kwargs)
    if in_process_enabled():
        for db_name in _databases():
            ensure_in_process_bridge(db_name)
        server.CommonServer.on_stop(stop_in_process_bridges)
    return result


def post_load():
    """Called by Odoo when it imports the addon; the bridge starts with a
    threaded server only if the addon is server-wide."""
    if server.ThreadedServer.start is not _start_with_bridge:
        server.ThreadedServer.start = _start_with_bridge


__all__ = ["BridgeManager", "PbxLink", "ensure_in_process_bridge", "post_load"]
