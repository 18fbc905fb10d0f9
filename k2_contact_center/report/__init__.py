from . import k2_cc_rollup
from . import k2_cc_call_report
from . import k2_cc_quality_report
