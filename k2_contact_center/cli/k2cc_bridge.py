import argparse
import logging
import signal
import time

from odoo.cli import Command
from odoo.tools import config
from odoo.tools.misc import dumpstacks

_logger = logging.getLogger(__name__)


class K2ccBridge(Command):
    """Link the contact center's PBXs to a database (one process per database)"""

    name = "k2cc-bridge"

    def run(self, cmdargs):
        parser = argparse.ArgumentParser(prog="odoo k2cc-bridge", description=self.__doc__)
        parser.add_argument("--pbx", action="append", default=[], help="only this PBX (its identifier)")
        parser.add_argument("--interval", type=float, default=30.0, help="seconds between configuration checks")
        parser.add_argument("--writer", choices=("process", "thread"), default="process",
                            help="where each PBX's writes into the database run: in a process of their own "
                            "(default: the bridge then uses two cores) or in a thread of the bridge's process")
        # the writer process of one PBX, which its link starts (see bridge/writer.py)
        parser.add_argument("--writer-of", type=int, help=argparse.SUPPRESS)
        parser.add_argument("--writer-socket", type=int, help=argparse.SUPPRESS)
        own, odoo_args = parser.parse_known_args(cmdargs)
        if config["addons_path"] and not any(arg.startswith("--addons-path") for arg in odoo_args):
            # given before the command name (how Odoo finds the command): keep it
            odoo_args = [f"--addons-path={config['addons_path']}", *odoo_args]
        if own.writer_of is not None:
            # the link's configuration comes over the socket, its logging with it
            config.parse_config(odoo_args, setup_logging=False)
            from ..bridge.writer import serve  # noqa: PLC0415 - after the configuration is read

            serve(config["db_name"], own.writer_of, own.writer_socket)
            return
        config.parse_config(odoo_args, setup_logging=True)
        databases = [name for name in (config["db_name"] or "").split(",") if name]
        if not databases:
            parser.error("name the database with -d (or db_name in the configuration file)")

        from ..bridge.runner import BridgeManager  # noqa: PLC0415 - after the configuration is read

        managers = [BridgeManager(name, interval=own.interval, pbx_codes=own.pbx or None,
                                  writer=own.writer).start()
                    for name in databases]
        asked = []  # the signal that asks to stop; a list, no lock a handler could wait for

        def ask_to_stop(signum, _frame):
            asked.append(signum)

        signal.signal(signal.SIGTERM, ask_to_stop)
        signal.signal(signal.SIGINT, ask_to_stop)
        signal.signal(signal.SIGQUIT, dumpstacks)  # as Odoo's server: every thread's stack to the log
        _logger.info("k2cc-bridge running for %s; stop with Ctrl-C", ", ".join(databases))
        # The kernel may hand a signal to any of the bridge's threads; Python then runs
        # its handler only once the main thread runs again, which a wait with no end
        # never does (a SIGTERM went unanswered so): a sleep of a second lets it.
        while not asked:
            time.sleep(1.0)
        _logger.info("k2cc-bridge stopping (%s)", signal.Signals(asked[0]).name)
        for manager in managers:
            manager.stop()
