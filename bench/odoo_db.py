"""The database a benchmark works on: Odoo 18 with the addon, no demo data."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def addons_path():
    """Odoo's own addons folders, then this repository."""
    import odoo

    package = os.path.dirname(odoo.__file__)
    paths = [os.path.join(package, "addons")]
    checkout = os.path.join(os.path.dirname(package), "addons")
    if os.path.isdir(os.path.join(checkout, "web")):
        paths.append(checkout)
    return ",".join([*paths, ROOT])


def open_database(name, fresh=False):
    """The registry of database ``name``, created with the addon (no demo data)
    when missing, or always when ``fresh``."""
    import odoo
    from odoo.tools import config

    if fresh:
        subprocess.run(["dropdb", "--if-exists", name], check=True)
    exists = subprocess.run(["psql", "-d", name, "-tAc", "select 1"], capture_output=True).returncode == 0
    if not exists:
        print(f"Creating database {name} with k2_contact_center (no demo data)")
        subprocess.run([sys.executable, "-m", "odoo", "-d", name, f"--addons-path={addons_path()}",
                        "-i", "k2_contact_center", "--without-demo=all", "--stop-after-init", "--log-level=warn"],
                       check=True)
    config.parse_config(["-d", name, f"--addons-path={addons_path()}", "--log-level=warn"])
    odoo.modules.module.initialize_sys_path()
    return odoo.modules.registry.Registry(name)


def drop_database(name):
    import odoo

    odoo.modules.registry.Registry.delete(name)
    odoo.sql_db.close_db(name)
    subprocess.run(["dropdb", "--if-exists", name], check=False)
