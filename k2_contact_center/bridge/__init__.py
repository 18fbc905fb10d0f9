"""The Odoo side of the PBX pipeline: the long-lived links (``runner``), the
buffer between a link and the database (``sink``), the writer that takes the
buffer's batches into the database, in the link's process or one of its own
(``writer``), the write path from tracker updates to the database and the
bus (``ingest``, ``states``), and where the bridge runs (``server``)."""
