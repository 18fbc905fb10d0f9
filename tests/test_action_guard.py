"""A lint rule over the addon's source: AMI actions are written only by the
guarded builder, ARI requests only by the ARI client's one request method."""

import ast
from pathlib import Path

ADDON = Path(__file__).resolve().parents[1] / "k2_contact_center"
BUILDER = ADDON / "services" / "ami" / "actions.py"
ARI_CLIENT = ADDON / "services" / "ari" / "connector.py"
# Fetching recordings is HTTP to the PBX too, behind its own origin pinning.
RECORDINGS = ADDON / "services" / "recordings.py"


def sources():
    for path in sorted(ADDON.rglob("*.py")):
        if "tests" not in path.relative_to(ADDON).parts:
            yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def test_no_ami_action_is_written_outside_the_builder():
    found = []
    for path, tree in sources():
        if path == BUILDER:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict) and any(
                    isinstance(k, ast.Constant) and str(k.value).lower() == "action" for k in node.keys):
                found.append(f"{path.name}:{node.lineno}: an action as a dict")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                module = getattr(node, "module", None) or ""
                names = [module] + [alias.name for alias in node.names]
                if any("panoramisk.actions" in name or name == "actions" and module == "panoramisk"
                       for name in names):
                    found.append(f"{path.name}:{node.lineno}: imports panoramisk's Action")
            if isinstance(node, ast.Call) and dotted(node.func).endswith(("Action", "Command")) \
                    and dotted(node.func) not in ("AmiAction",):
                found.append(f"{path.name}:{node.lineno}: builds {dotted(node.func)}")
            if isinstance(node, ast.Call) and dotted(node.func).endswith(("transport.write", "writelines")):
                found.append(f"{path.name}:{node.lineno}: writes to a transport")
    # The simulator stands for the PBX: it answers (Response/Event), it never sends actions.
    assert found == [], found


def test_no_ari_request_is_written_outside_the_client():
    found = []
    for path, tree in sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = dotted(node.func)
            if name.endswith(("urllib.request.Request", "urlopen", "http.client.HTTPConnection",
                              "HTTPSConnection")) and path not in (ARI_CLIENT, RECORDINGS):
                found.append(f"{path.name}:{node.lineno}: {name}")
            if name.endswith(".request") and node.args and len(node.args) > 1 and path != RECORDINGS:
                path_arg = node.args[1]
                if not isinstance(path_arg, ast.Constant) or "/" in str(path_arg.value):
                    found.append(f"{path.name}:{node.lineno}: an ARI path not given as plain segments")
    assert found == [], found


def test_the_rule_sees_what_it_forbids(tmp_path):
    """The checks above find a forged action (so their silence means something)."""
    tree = ast.parse('send({"Action": "Originate", "Channel": name})\nclient.request("POST", f"/channels/{x}")')
    dicts = [n for n in ast.walk(tree) if isinstance(n, ast.Dict)]
    assert any(isinstance(k, ast.Constant) and k.value == "Action" for k in dicts[0].keys)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and dotted(n.func).endswith(".request")]
    assert calls and not isinstance(calls[0].args[1], ast.Constant)
