from . import k2_cc_followup_wizard
