"""The Asterisk Manager Interface wing: framing of the TCP stream (``frames``),
the one guarded builder of actions (``actions``), the self-healing link
(``connector``) and a PBX stand-in speaking AMI (``simulator``)."""
