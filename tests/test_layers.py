"""Architecture checks: imports point down the layers, no import cycles, only frame/ imports pandas; import fastpq is light."""
from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import ROOT, WITHOUT_PYARROW

# Lower number = lower layer. A module may import only from its own layer or below.
LAYERS = {
    "errors": 0, "options": 0, "kernels": 0, "_thrift": 0,
    "format": 1,
    "column": 2,
    "frame": 3,
    "file": 4, "append": 4.5,  # append/ uses file/; file/ (the reader above all) never imports append/
    "dataset": 5,
    "api": 6, "dask": 6, "cli": 6, "__init__": 6, "__main__": 6,
}


def _layer_of(module: str) -> int:
    head = module.split(".")[0]
    return LAYERS.get(head, 6)


def _imports(path):
    tree = ast.parse(path.read_text())
    rel = path.relative_to(ROOT / "fastpq").with_suffix("")
    package = list(rel.parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                names = [target] if node.module else [".".join(base + [a.name]) for a in node.names]
                yield from names
            elif node.module and node.module.startswith("fastpq"):
                yield node.module.removeprefix("fastpq").lstrip(".")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("fastpq."):
                    yield alias.name.removeprefix("fastpq.")


def test_imports_point_down():
    bad = []
    for path in (ROOT / "fastpq").rglob("*.py"):
        if "_thrift" in path.parts:
            continue
        rel = ".".join(path.relative_to(ROOT / "fastpq").with_suffix("").parts)
        mine = _layer_of(rel)
        for target in _imports(path):
            if target and _layer_of(target) > mine:
                bad.append(f"{rel} (layer {mine}) imports {target} (layer {_layer_of(target)})")
    assert not bad, "\n".join(bad)


def test_only_the_pandas_layer_imports_pandas():
    """Only ``frame/`` imports pandas (function-level imports included): it builds every
    pandas object fastpq makes, the dataset reader's and the page-index reader's too
    (``frame/read/combine.py``, ``frame/read/rows.py``). Modules of other layers may hold
    pandas objects and call their methods without importing pandas (``dataset/read.py``,
    ``file/page_read.py``, ``append/schema.py``).

    Exempt: ``dask.py``, ``api/warmup.py`` and ``cli/``, entry points above every layer whose
    work is pandas objects themselves (dask's ``from_map`` meta frames and partition frames;
    warmup's frames of every dtype; the CLI's printed and converted frames)."""
    bad = []
    for path in (ROOT / "fastpq").rglob("*.py"):
        rel = path.relative_to(ROOT / "fastpq")
        if rel.parts[0] == "frame" or rel.parts[0] in ("dask.py", "cli") or rel.parts[:2] == ("api", "warmup.py"):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            if any(m == "pandas" or m.startswith("pandas.") for m in mods):
                bad.append(str(rel))
    assert not bad, bad


def test_import_compiles_no_kernel_and_skips_numba():
    code = (
        "import sys, fastpq\n"
        "assert 'numba' not in sys.modules, 'import fastpq imported numba'\n"
        "assert 'pyarrow' not in sys.modules, 'import fastpq imported pyarrow'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_works_without_pyarrow(tmp_path):
    """fastpq must run with pyarrow uninstalled: block its import and open a file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"a": [1, 2, 3]}), path)
    code = WITHOUT_PYARROW + (
        "import fastpq\n"
        f"pf = fastpq.ParquetFile({str(path)!r})\n"
        "assert pf.num_rows == 3\n"
        "print(pf.schema, pf.dtypes)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_optional_dependencies_stay_optional():
    """dask, distributed and tqdm are imported only by what needs them: not by ``import fastpq``,
    nor by reading a dataset without ``progress=True``."""
    code = (
        "import sys, fastpq, fastpq.dataset.read\n"
        "bad = [m for m in ('dask', 'distributed', 'tqdm', 's3fs') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _module_name(path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict:
    """fastpq module -> the fastpq modules it imports (function-level imports included; ``from pkg import mod``
    counts as importing ``pkg.mod``)."""
    paths = {_module_name(p): p for p in (ROOT / "fastpq").rglob("*.py") if "_thrift" not in p.parts}
    graph = {}
    for name, path in paths.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.add(sub if sub in paths else base)
            elif isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
        graph[name] = {t for t in targets if t in paths and t != name}
    return graph


def _cycles(graph: dict) -> list:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles():
    """No two modules import each other, directly or through others (function-level imports count: a
    deferred import is still a dependency)."""
    assert _cycles(_import_graph()) == []


def test_cycle_check_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_lazy_top_level_names_are_not_shadowed_by_submodules():
    """``fastpq.<name>`` stays the function after every submodule is imported: a submodule named
    like a lazily exported function (``fastpq/warmup.py`` beside ``fastpq.warmup()``) is set on
    the package by the import system and hides the function from then on."""
    import importlib
    import pkgutil
    import types

    import fastpq

    for info in pkgutil.walk_packages(fastpq.__path__, "fastpq."):
        if not info.name.startswith("fastpq._thrift") and not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    modules = {"options"}  # fastpq.options is the settings module itself (fastpq.options.max_decoded_bytes)
    shadowed = [name for name in fastpq.__all__
                if name not in modules and isinstance(getattr(fastpq, name), types.ModuleType)]
    assert not shadowed, f"names in fastpq.__all__ that are modules: {shadowed}"
