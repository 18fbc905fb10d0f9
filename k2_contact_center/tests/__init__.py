# Not a test: serialises ast.parse where CPython needs it, under every runner.
from . import threadsafe_ast
from . import test_call
from . import test_caller_identification
from . import test_line
from . import test_partner_numbers
from . import test_pbx
from . import test_security
from . import test_settings
from . import test_ui
from . import test_ingest
from . import test_presence
from . import test_bridge_lock
from . import test_bridge_e2e
from . import test_click_to_call
from . import test_call_report
from . import test_agent_desk
from . import test_recording
