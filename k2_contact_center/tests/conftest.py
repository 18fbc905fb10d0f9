"""pytest-odoo configuration of the addon's tests.

CPython 3.11.0-3.11.7 keeps the recursion depth of its AST conversion in
interpreter-wide state (gh-106905, fixed in 3.11.8 and 3.12.1): two threads
calling ``ast.parse`` at once can fail with "SystemError: AST constructor
recursion depth mismatch". Odoo parses view expressions with ``ast`` in each
HTTP request, and a tour's browser sends requests in parallel, so browser
tests on those Pythons fail at random. They are serialised here, for the test
process only, on the affected versions.
"""

import ast
import sys
import threading

if (3, 11) <= sys.version_info[:3] < (3, 11, 8) or sys.version_info[:3] == (3, 12, 0):
    _parse = ast.parse
    _parse_lock = threading.RLock()

    def _serialised_parse(*args, **kwargs):
        with _parse_lock:
            return _parse(*args, **kwargs)

    ast.parse = _serialised_parse
