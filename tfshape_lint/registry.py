"""All rules, by code. Built by importing every module of ``tfshape_lint.rules`` once."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from functools import lru_cache

from tfshape_lint.rule import Rule


@lru_cache(maxsize=1)
def all_rules() -> tuple[type[Rule], ...]:
    """Every rule class, sorted by code (a tuple: the registry is immutable)."""
    import tfshape_lint.rules as package

    found: list[type[Rule]] = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Rule) and hasattr(obj, "code") and obj.__module__ == module.__name__:
                found.append(obj)
    return tuple(sorted(found, key=lambda r: r.code))


def known_codes() -> tuple[str, ...]:
    return tuple(rule.code for rule in all_rules())


def get(code: str) -> type[Rule] | None:
    """The rule with this code, or by its kebab-case name."""
    for rule in all_rules():
        if rule.code == code.upper() or rule.name == code:
            return rule
    return None
