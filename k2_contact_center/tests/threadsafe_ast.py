"""Serialise ``ast.parse`` in the test process on the CPythons that need it.

CPython 3.11.0-3.11.7 and 3.12.0 keep the recursion depth of their AST
conversion in interpreter-wide state (gh-106905, fixed in 3.11.8 and 3.12.1):
two threads calling ``ast.parse`` at once can fail with "SystemError: AST
constructor recursion depth mismatch". Odoo parses view expressions with
``ast`` in each HTTP request, and a tour's browser sends requests in parallel,
so browser tests on those Pythons fail at random.

Imported first by the tests package, so that it holds under Odoo's own test
runner and pytest-odoo alike; the addon does not import it.
"""

import ast
import sys
import threading

AFFECTED = (3, 11) <= sys.version_info[:3] < (3, 11, 8) or sys.version_info[:3] == (3, 12, 0)

if AFFECTED and not getattr(ast.parse, "k2_cc_serialised", False):
    _parse = ast.parse
    _parse_lock = threading.RLock()

    def _serialised_parse(*args, **kwargs):
        with _parse_lock:
            return _parse(*args, **kwargs)

    _serialised_parse.k2_cc_serialised = True
    ast.parse = _serialised_parse
