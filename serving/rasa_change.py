"""One entry of serving/patches.py: a change to Rasa's behaviour, and how it is checked.

An entry names the Rasa functions it relies on (the one a patch replaces, the hook a hook
plugs into) with the signature it was written against. Before anything is installed, the
installed Rasa's version and each signature are compared with the entry's; a difference stops
the start with a message naming the entry, what changed, and what to check.
"""
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class RasaChanged(RuntimeError):
    """The installed Rasa is not the Rasa an entry was written for."""


@dataclass(frozen=True)
class Signature:
    """`module:Qualified.name` and its inspect.signature() as text; with `parameter`, only
    that parameter's (for a function whose other defaults vary from run to run)."""

    target: str
    expected: str
    parameter: str | None = None

    def resolve(self) -> tuple[Any, str, Any]:
        """(owner, attribute name, Rasa's own object), also after a patch replaced it."""
        module_name, _, qualified_name = self.target.partition(":")
        owner: Any = importlib.import_module(module_name)
        *path, attribute = qualified_name.split(".")
        for name in path:
            owner = getattr(owner, name)
        current = getattr(owner, attribute)
        return owner, attribute, getattr(current, "__replaced_rasa__", current)

    def found(self) -> str:
        signature = inspect.signature(self.resolve()[2])
        if self.parameter is None:
            return str(signature)
        parameter = signature.parameters.get(self.parameter)
        return str(parameter) if parameter else f"(no parameter {self.parameter!r})"


@dataclass(frozen=True)
class Change:
    name: str
    # "hook": Rasa's extension point; "patch": a Rasa function replaced; "import": when Python
    # loads a module of Rasa's or a library's (sys.meta_path), not what its code does
    kind: str
    where: str  # the hook we use, or the Rasa function we replace
    ours: str  # our code
    what: str
    why: str
    tests: tuple[str, ...]  # tests/test_x.py::test_name, the tests that prove it
    remove_when: str
    relies_on: tuple[Signature, ...]  # for a patch, the first is the function it replaces
    replacement: Callable[[Callable], Callable] | None = None  # patch: Rasa's function -> ours
    install: Callable[[], None] | None = None  # a hook that needs registering, an import change
    verify: Callable[[], None] | None = None  # an import change: raises RasaChanged if it cannot work
    _replaced: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def check(self, rasa_version: str, written_for: str) -> None:
        if rasa_version != written_for:
            raise RasaChanged(
                f"serving/patches.py, '{self.name}': written for Rasa {written_for}, but Rasa {rasa_version} "
                f"is installed. Check whether this {self.kind} is still needed ({self.remove_when}) and "
                f"still works ({', '.join(self.tests)}), then set WRITTEN_FOR_RASA in serving/patches.py."
            )
        for signature in self.relies_on:
            found = signature.found()
            if found != signature.expected:
                part = f", parameter '{signature.parameter}'," if signature.parameter else ""
                raise RasaChanged(
                    f"serving/patches.py, '{self.name}': Rasa's {signature.target}{part} is not what this "
                    f"{self.kind} was written against.\n"
                    f"  expected: {signature.expected}\n"
                    f"  found:    {found}\n"
                    f"  Check whether {self.ours} is still needed ({self.remove_when}) and fits the new "
                    f"signature; update it and its expected signature, then run {' '.join(self.tests)}."
                )
        if self.verify is not None:
            self.verify()

    def apply(self) -> None:
        if self.replacement is not None:
            owner, attribute, rasa_function = self.relies_on[0].resolve()
            if not hasattr(getattr(owner, attribute), "__replaced_rasa__"):  # not replaced yet
                ours = self.replacement(rasa_function)
                ours.__replaced_rasa__ = rasa_function
                self._replaced[attribute] = inspect.getattr_static(owner, attribute)
                if isinstance(self._replaced[attribute], (staticmethod, classmethod)):
                    ours = staticmethod(ours)  # (a classmethod's replacement calls Rasa's, bound to the class)
                setattr(owner, attribute, ours)
        if self.install is not None:
            self.install()

    def undo(self) -> None:
        """Puts Rasa's own function back (for tests)."""
        if self.replacement is not None and self._replaced:
            owner, attribute, _ = self.relies_on[0].resolve()
            setattr(owner, attribute, self._replaced.pop(attribute))
