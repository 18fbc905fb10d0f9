"""The Asterisk REST Interface wing (web PBX): ARI's JSON events read as the AMI
events the tracker knows (``events``), the WebSocket and HTTP link
(``connector``) and a web PBX stand-in (``simulator``)."""
