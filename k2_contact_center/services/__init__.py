"""Plain Python, no ``odoo`` import: the PBX side of the pipeline, tested without a database.

One wing per PBX protocol (``ami/``, ``ari/``), the tracking core (``tracking/``),
and numbers, number plans, recordings and the replay command beside them."""
