"""Modules imported now, loaded later: the first time one of their names is used.

``defer(["package.module"])`` puts a finder at the front of ``sys.meta_path``. An import of a
named module then binds a ``DeferredModule``: a module object with the import system's own
attributes (``__name__``, ``__spec__``, ``__path__``...) and nothing else yet. The first time
code asks it for a name its source binds, the module's real code runs, in that same module
object, and every importer sees the loaded module.

Why not ``importlib.util.LazyLoader``? Its modules load on *any* attribute access, and the
import system reads ``__spec__`` each time the module is imported again (another ``import``
statement of it), so in practice they load at once. Tools that walk ``sys.modules`` looking
for an object by name (pickle's and skops's ``whichmodule``) would load them too: a deferred
module answers AttributeError, without loading, for a name its source never binds (read from
the source's syntax tree, all scopes included, so a name that could exist always loads).

A module that fails to load raises its error, as an import would, and stays deferred: the
next use tries again and fails the same way.
"""
import ast
import importlib
import importlib.abc
import importlib.machinery
import sys
import threading
import types
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

# The import system's own attributes (set on every module at import): never a reason to load.
IMPORT_ATTRIBUTES = {"__name__", "__spec__", "__loader__", "__path__", "__file__", "__cached__", "__package__"}
ANY_NAME = None  # a source whose names cannot be known (star imports, globals(), module __getattr__)


class DeferredModule(types.ModuleType):
    """A module whose code has not run yet (see the module docstring)."""

    def __getattr__(self, name: str) -> Any:
        if name in IMPORT_ATTRIBUTES or not _may_bind(self, name):
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        reexported = _states[self.__name__].reexports().get(name)
        if reexported:  # a package's name imported from one of its own modules: that module alone
            submodule, attribute = reexported
            value = getattr(importlib.import_module(submodule), attribute)
            self.__dict__[name] = value
            return value
        _load(self)
        return getattr(self, name)

    def __dir__(self) -> list[str]:
        _load(self)
        return dir(self)


class _State:
    """What a deferred module keeps until it is loaded (outside its namespace)."""

    def __init__(self, real_spec: importlib.machinery.ModuleSpec, on_load: Callable[[str], None] | None) -> None:
        self.real_spec = real_spec
        self.on_load = on_load
        self.lock = threading.RLock()
        self._names: set[str] | None = set()
        self._names_read = False
        self._reexports: dict[str, tuple[str, str]] | None = None

    def names(self) -> set[str] | None:
        if not self._names_read:
            self._names = bound_names(self.source())
            self._names_read = True
        return self._names

    def source(self) -> str:
        return Path(self.real_spec.origin).read_text(encoding="utf-8")

    def reexports(self) -> dict[str, tuple[str, str]]:
        if self._reexports is None:
            is_package = self.real_spec.submodule_search_locations is not None
            self._reexports = reexports(self.real_spec.name, self.source()) if is_package else {}
        return self._reexports


_states: dict[str, _State] = {}


def bound_names(source: str) -> set[str] | None:
    """Every name the source could bind in its module's namespace; ANY_NAME if that cannot be
    known. A superset: names bound in functions and classes count too."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, ast.Global):
            names.update(node.names)
        elif isinstance(node, ast.alias):
            if node.name == "*":
                return ANY_NAME
            names.add(node.asname or node.name.split(".")[0])
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("globals", "vars"):
            return ANY_NAME
    if "__getattr__" in names:
        return ANY_NAME
    return names


def reexports(package: str, source: str) -> dict[str, tuple[str, str]]:
    """name -> (module, attribute) for the names a package's __init__ binds only by a top-level
    `from <one of its own modules> import name`: the same object, without running the rest."""
    tree = ast.parse(source)
    bindings: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.alias):
            bound = node.asname or node.name.split(".")[0]
            bindings[bound] = bindings.get(bound, 0) + 1
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bindings[node.name] = bindings.get(node.name, 0) + 1
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bindings[node.id] = bindings.get(node.id, 0) + 1
    found = {}
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom) or not node.module:
            continue
        module = f"{package}.{node.module}" if node.level == 1 else node.module if node.level == 0 else ""
        if not module.startswith(package + ".") or "*" in {alias.name for alias in node.names}:
            continue
        for alias in node.names:
            bound = alias.asname or alias.name
            if bindings.get(bound) == 1:
                found[bound] = (module, alias.name)
    return found


def _may_bind(module: DeferredModule, name: str) -> bool:
    names = _states[module.__name__].names()
    return names is ANY_NAME or name in names or name == "__all__"


def _load(module: types.ModuleType) -> None:
    state = _states.get(module.__name__)
    if state is None:
        return
    with state.lock:
        if type(module) is not DeferredModule:  # loaded meanwhile (another thread)
            return
        before = dict(module.__dict__)
        if state.on_load:
            state.on_load(module.__name__)
        # A plain module from here on: code that its own import runs and that uses it (a
        # circular import) sees a partly loaded module, as with any import.
        module.__class__ = types.ModuleType
        module.__spec__ = state.real_spec
        module.__loader__ = state.real_spec.loader
        try:
            state.real_spec.loader.exec_module(module)
        except BaseException:
            module.__dict__.clear()
            module.__dict__.update(before)
            module.__class__ = DeferredModule
            raise
        del _states[module.__name__]


def load(name: str) -> None:
    """Loads a deferred module now (if it is one)."""
    module = sys.modules.get(name)
    if isinstance(module, DeferredModule):
        _load(module)


def real_loader(spec: importlib.machinery.ModuleSpec) -> Any:
    """The loader that runs the module's code (not the deferring one)."""
    return spec.loader.real_spec.loader if isinstance(spec.loader, _DeferringLoader) else spec.loader


def find_spec_unimported(name: str) -> importlib.machinery.ModuleSpec | None:
    """A module's spec, found without importing its parent packages (importlib.util.find_spec
    would run their code)."""
    module = sys.modules.get(name)
    if module is not None:
        return module.__spec__
    spec = None
    parts = name.split(".")
    for depth in range(len(parts)):
        full = ".".join(parts[: depth + 1])
        loaded = sys.modules.get(full)
        if loaded is not None:
            spec = loaded.__spec__
            continue
        search = spec.submodule_search_locations if spec is not None else None
        if depth and not search:
            return None
        spec = importlib.machinery.PathFinder.find_spec(full, search)
        if spec is None:
            return None
    return spec


def is_deferred(name: str) -> bool:
    return isinstance(sys.modules.get(name), DeferredModule)


class _DeferringLoader(importlib.abc.Loader):
    def __init__(self, real_spec: importlib.machinery.ModuleSpec, on_load: Callable[[str], None] | None) -> None:
        self.real_spec, self.on_load = real_spec, on_load

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        _states[spec.name] = _State(self.real_spec, self.on_load)
        return DeferredModule(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        """Runs nothing now: the module's code runs when one of its names is first used."""


class DeferringFinder(importlib.abc.MetaPathFinder):
    def __init__(self, names: Iterable[str], on_load: Callable[[str], None] | None = None) -> None:
        self.names = set(names)
        self.on_load = on_load

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.names:
            return None
        real = importlib.machinery.PathFinder.find_spec(fullname, path)
        if real is None or not isinstance(real.loader, importlib.machinery.SourceFileLoader):
            return None  # not found, or not Python source: imported as usual
        spec = importlib.machinery.ModuleSpec(fullname, _DeferringLoader(real, self.on_load), origin=real.origin,
                                              is_package=real.submodule_search_locations is not None)
        spec.submodule_search_locations = real.submodule_search_locations
        spec.has_location = real.has_location
        spec.cached = real.cached
        return spec


def defer(names: Iterable[str], on_load: Callable[[str], None] | None = None) -> DeferringFinder:
    """Defers the named modules (those not imported yet); `on_load(name)` is called just before
    one of them loads. Returns the finder (sys.meta_path.remove(finder) stops deferring)."""
    finder = DeferringFinder(names, on_load)
    sys.meta_path.insert(0, finder)
    return finder
