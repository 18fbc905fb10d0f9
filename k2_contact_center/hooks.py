def post_init_hook(env):
    """Companies that existed before the addon get the bridge's recorder;
    contacts get their phone and mobile as contact-center numbers, so their
    calls are recognised from day one."""
    env["res.company"].sudo().with_context(active_test=False).search([])._cc_grant_recorder()
    partners = env["res.partner"].with_context(active_test=False).search(
        ["|", ("phone", "!=", False), ("mobile", "!=", False)]
    )
    for start in range(0, len(partners), 1000):
        partners[start:start + 1000]._cc_sync_numbers()


def uninstall_hook(env):
    """The rollups are tables and functions of their own, not of a model: drop
    them (with their triggers on the call table)."""
    for model_name in ("k2.cc.call.report", "k2.cc.quality.report"):
        env[model_name]._cc_drop_rollups()
