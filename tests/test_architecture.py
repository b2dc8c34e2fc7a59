"""Imports flow one way: xiangcheng <- branches <- talent <- members <- cadres."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORDER = ["xiangcheng", "branches", "talent", "members", "cadres"]


def test_no_app_imports_an_app_above_it():
    upward = []
    for rank, app in enumerate(ORDER):
        above = set(ORDER[rank + 1 :])
        for path in (ROOT / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                upward += [f"{path.relative_to(ROOT)} imports {name}" for name in names if name.split(".")[0] in above]
    assert upward == []
