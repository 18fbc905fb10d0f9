from . import k2_cc_call_report
