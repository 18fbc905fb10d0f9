# Odoo loads the addon as ``odoo.addons.k2_contact_center``. Imported under its
# own name (``python -m k2_contact_center.services.replay`` from a checkout),
# only the Odoo-free ``services`` package is wanted, so the ORM glue stays out.
if __name__.startswith("odoo.addons."):
    from . import cli
    from . import controllers
    from . import models
    from . import wizard
    from . import report
    from .bridge.server import post_load
    from .hooks import post_init_hook, uninstall_hook
