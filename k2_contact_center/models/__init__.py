from . import k2_cc_pbx
from . import k2_cc_line
from . import k2_cc_call
from . import k2_cc_partner_number
from . import res_company
from . import res_config_settings
from . import res_partner
from . import res_users
