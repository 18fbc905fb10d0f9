import argparse
import logging
import signal
import threading

from odoo.cli import Command
from odoo.tools import config

_logger = logging.getLogger(__name__)


class K2ccBridge(Command):
    """Link the contact center's PBXs to a database (one process per database)"""

    name = "k2cc-bridge"

    def run(self, cmdargs):
        parser = argparse.ArgumentParser(prog="odoo k2cc-bridge", description=self.__doc__)
        parser.add_argument("--pbx", action="append", default=[], help="only this PBX (its identifier)")
        parser.add_argument("--interval", type=float, default=30.0, help="seconds between configuration checks")
        own, odoo_args = parser.parse_known_args(cmdargs)
        if config["addons_path"] and not any(arg.startswith("--addons-path") for arg in odoo_args):
            # given before the command name (how Odoo finds the command): keep it
            odoo_args = [f"--addons-path={config['addons_path']}", *odoo_args]
        config.parse_config(odoo_args, setup_logging=True)
        databases = [name for name in (config["db_name"] or "").split(",") if name]
        if not databases:
            parser.error("name the database with -d (or db_name in the configuration file)")

        from ..bridge.runner import BridgeManager  # noqa: PLC0415 - after the configuration is read

        managers = [BridgeManager(name, interval=own.interval, pbx_codes=own.pbx or None).start()
                    for name in databases]
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_args: stop.set())
        signal.signal(signal.SIGINT, lambda *_args: stop.set())
        _logger.info("k2cc-bridge running for %s; stop with Ctrl-C", ", ".join(databases))
        stop.wait()
        for manager in managers:
            manager.stop()
