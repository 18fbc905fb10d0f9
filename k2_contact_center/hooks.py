def post_init_hook(env):
    """Contacts that existed before the addon get their phone and mobile
    as contact-center numbers, so their calls are recognised from day one."""
    partners = env["res.partner"].with_context(active_test=False).search(
        ["|", ("phone", "!=", False), ("mobile", "!=", False)]
    )
    for start in range(0, len(partners), 1000):
        partners[start:start + 1000]._cc_sync_numbers()
