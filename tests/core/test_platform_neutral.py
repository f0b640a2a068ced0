"""bot/ is the platform-neutral core: no module in it may import a chat platform's library."""
import ast
from pathlib import Path

FORBIDDEN = ("slack_bolt", "slack_sdk", "discord", "adapters")


def test_core_imports_no_platform_library():
    offenders = []
    for path in (Path(__file__).parents[2] / "bot").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n.split('.')[0]}" for n in names if n.split(".")[0] in FORBIDDEN]
    # The entry point (cli.py) alone may start adapters (lazily, inside functions); nothing may import a platform library.
    allowed = {"cli.py: adapters"}
    assert [o for o in offenders if o not in allowed] == []
