"""The Odoo side of the PBX pipeline: the long-lived links (``runner``), the
write path from tracker updates to the database and the bus (``ingest``), the
buffer between them (``sink``), and where the bridge runs (``server``)."""
