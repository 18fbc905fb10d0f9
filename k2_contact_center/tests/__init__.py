from . import test_call
from . import test_caller_identification
from . import test_line
from . import test_partner_numbers
from . import test_pbx
from . import test_security
from . import test_settings
from . import test_ui
