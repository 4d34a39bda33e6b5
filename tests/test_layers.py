"""The package's import structure: layers in pipeline order, no circle.

Read from the source with :mod:`ast` (nothing is imported): every module's
imports of other modules of the package, including the imports inside
functions.  An import may only go down the list of layers (DESIGN.md): the
features, the context rule and the batch layout never import the model,
persistence or deployment, and the model never imports persistence or
deployment.
"""

import ast
import functools
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "sklearn_maec"

#: Layers from the bottom up; a module may import its own layer and the ones below.
LAYERS = [
    {"exceptions", "_validation", "_files", "_version", "_provenance", "_threads", "metrics"},
    {"features"},
    {"context", "_batching", "_state"},
    {"model"},
    # model_selection re-exports the classifier's DialogueValidSplit (model/_split.py)
    {"persistence", "deployment", "display", "datasets", "model_selection"},
    {"pipeline"},
    {"_demo"},  # the command line's demo: the corpus, both models, the verdict
    {"cli", "__main__"},
]


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path):
    """The package modules ``path`` imports (absolute names)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("sklearn_maec"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if not module.startswith("sklearn_maec"):
                continue
            found.add(module)
            for alias in node.names:  # ``from . import x`` may import a submodule
                candidate = f"{module}.{alias.name}"
                if (PACKAGE.parent / candidate.replace(".", "/")).with_suffix(".py").exists() \
                        or (PACKAGE.parent / candidate.replace(".", "/")).is_dir():
                    found.add(candidate)
    found.discard(name)
    return found


@functools.lru_cache(maxsize=1)
def _graph():
    return {_module_name(p): frozenset(_imports(p)) for p in PACKAGE.rglob("*.py")}


def _layer(module):
    top = module.split(".")[1] if "." in module else "__init__"
    for k, names in enumerate(LAYERS):
        if top in names:
            return k
    return None


def test_every_module_has_a_layer():
    unplaced = sorted(m for m in _graph() if m != "sklearn_maec" and _layer(m) is None)
    assert not unplaced, f"modules in no layer of LAYERS: {unplaced}"


def test_imports_only_go_down_the_layers():
    upward = []
    for module, imports in _graph().items():
        if module == "sklearn_maec":  # the public face imports the estimators it exports
            continue
        for target in imports:
            if target != "sklearn_maec" and _layer(target) > _layer(module):
                upward.append(f"{module} -> {target}")
    assert not upward, "imports running up the layers:\n" + "\n".join(sorted(upward))


@pytest.mark.parametrize("lower, higher", [
    ({"features", "context", "_batching"}, {"model", "persistence", "deployment"}),
    ({"model"}, {"persistence", "deployment"}),
])
def test_named_layer_rules(lower, higher):
    bad = [f"{m} -> {t}" for m, imports in _graph().items() for t in imports
           if m.split(".")[1:2] and m.split(".")[1] in lower
           and t.split(".")[1:2] and t.split(".")[1] in higher]
    assert not bad, bad


def test_no_import_circle():
    graph = {m: {t for t in ts if t in _graph()} for m, ts in _graph().items()}
    state, stack, circles = {}, [], []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                circles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    # a package's __init__ importing its own submodules is its public face, not a circle
    real = [c for c in circles if not all(n.startswith(c[0]) or c[0].startswith(n) for n in c)]
    assert not real, real

