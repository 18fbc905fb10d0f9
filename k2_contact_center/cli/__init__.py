from . import k2cc_bridge
