"""The tracking core, fed with AMI-shaped events whichever link saw them and
free of any I/O: calls (``calls``); queue facts and agent states join it here."""
