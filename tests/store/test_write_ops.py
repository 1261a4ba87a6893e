"""Every function of the store that is handed the database (`db`) keeps its effects inside it.

The group commit relies on this: a batch in which one write fails is rolled back and run again
(store/db.py), so each of its ops runs twice. An op that appended to a list it did not make, set
an attribute of `self` or of a captured object, or rebound a captured name would do that twice.
This reads the store's source and names each such statement.
"""

from __future__ import annotations

import ast
from pathlib import Path

import steppe.store

STORE = Path(steppe.store.__file__).parent
MUTATORS = {"append", "extend", "add", "update", "pop", "popitem", "remove", "discard", "clear",
            "insert", "setdefault", "sort", "reverse", "__setitem__", "__delitem__"}


def _root(node: ast.expr) -> str | None:
    """The name an attribute or subscript chain starts from (`a` in `a.b[c].d`)."""
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _bound(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Names the function makes itself: its parameters and whatever it assigns."""
    names = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)}
    names |= {a.arg for a in (fn.args.vararg, fn.args.kwarg) if a is not None}
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


def _outside_effects(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    bound = _bound(fn)
    found = []
    for node in ast.walk(fn):
        where = f"line {getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Nonlocal | ast.Global):
            found.append(f"{where}: rebinds {', '.join(node.names)} outside itself")
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        elif isinstance(node, ast.Delete):
            targets = node.targets
        for target in targets:
            if isinstance(target, ast.Attribute | ast.Subscript):
                root = _root(target)
                if root is not None and (root not in bound or root == "self"):
                    found.append(f"{where}: writes into {root}, which it did not make")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in MUTATORS:
            root = _root(node.func.value)
            if root is not None and (root not in bound or root == "self") and root != "db":
                found.append(f"{where}: {root}.….{node.func.attr}() changes what it did not make")
    return found


def _db_functions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every function (nested ones included) whose first parameter is `db`."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            params = [*node.args.posonlyargs, *node.args.args]
            if params and params[0].arg == "db":
                out.append(node)
    return out


def test_ops_keep_their_effects_in_the_database() -> None:
    checked, problems = 0, []
    for path in sorted(STORE.glob("*.py")):
        if path.name == "db.py":  # the engines themselves, which run the ops
            continue
        for fn in _db_functions(ast.parse(path.read_text(), str(path))):
            checked += 1
            problems += [f"{path.name} {fn.name}: {p}" for p in _outside_effects(fn)]
    assert checked > 150, f"only {checked} functions taking db found: is the store elsewhere?"
    assert not problems, "\n".join(problems)


def test_the_check_sees_what_it_is_for() -> None:
    source = '''
async def op(db):
    rows = []
    rows.append(1)            # its own list: fine
    seen.append(2)            # a captured list
    self.count += 1           # state of the object
    cache[3] = 4              # a captured dict
    nonlocal total
'''
    fn = _db_functions(ast.parse(source))[0]
    assert {p.split(": ", 1)[1] for p in _outside_effects(fn)} == {
        "seen.….append() changes what it did not make",
        "writes into self, which it did not make",
        "writes into cache, which it did not make",
        "rebinds total outside itself",
    }
