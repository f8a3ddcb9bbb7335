"""Removed-API data tables (TFS501, TFS506): loading, their entries, the roots fixes spell.

The tables are JSON files under ``tfshape_lint/data`` generated from the installed packages by
``tools/gen_api_tables.py``; they are read lazily, once per process, and never import
TensorFlow.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping

from tfshape_lint.analysis.imports import ImportTable

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
ROOT_KEYS = ("keras", "tf")


@lru_cache(maxsize=None)
def load_table(name: str) -> Mapping[str, Any]:
    """A JSON table shipped as package data (``tfshape_lint/data/<name>``)."""
    text = resources.files("tfshape_lint").joinpath("data", name).read_text(encoding="utf-8")
    data: Mapping[str, Any] = json.loads(text)
    return data


def keras_table() -> Mapping[str, Any]:
    """``keras_api.json``: Keras namespaces under Keras 3 and tf_keras, replacements."""
    return load_table("keras_api.json")


def tf1_table() -> Mapping[str, Any]:
    """``tf1_api.json``: TF 1.x names missing from TF 2, their TF 2 spelling, removed keywords."""
    return load_table("tf1_api.json")


@dataclass(frozen=True)
class Rewrite:
    """How one legacy name becomes its replacement (one table entry, see the generator).

    ``to`` is a dotted name with a ``{keras}``/``{tf}`` root placeholder. ``params`` maps legacy
    parameter names to the target's (``None``: a drop-in rename, arguments kept as written);
    ``legacy``/``target`` are the positional parameter orders; ``insert`` adds target arguments
    (positional where the order allows), ``fill`` adds keyword arguments the legacy default
    implied; ``template`` is an expression with ``{param}`` holes for rewrites that are not a
    call of ``to``. ``simple`` params appear twice in the template and must be plain names.
    """

    to: str | None = None
    params: Mapping[str, str] | None = None
    legacy: tuple[str, ...] = ()
    target: tuple[str, ...] = ()
    insert: Mapping[str, str] = field(default_factory=dict)
    fill: Mapping[str, str] = field(default_factory=dict)
    template: str | None = None
    simple: tuple[str, ...] = ()
    reject_none: tuple[str, ...] = ()
    reject_lambda: tuple[str, ...] = ()
    reject_sequence: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Rewrite | None:
        """The rewrite of a table entry, or None when the entry has no verified fix."""
        if not data or not data.get("verified") or not (data.get("to") or data.get("template")):
            return None
        return cls(
            to=data.get("to"), params=data.get("params"), legacy=tuple(data.get("legacy", ())),
            target=tuple(data.get("target", ())), insert=dict(data.get("insert", {})),
            fill=dict(data.get("fill", {})), template=data.get("template"),
            simple=tuple(data.get("simple", ())), reject_none=tuple(data.get("reject_none", ())),
            reject_lambda=tuple(data.get("reject_lambda", ())),
            reject_sequence=tuple(data.get("reject_sequence", ())),
        )

    @property
    def drop_in(self) -> bool:
        """Whether a bare reference (``fn = K.mean``) can be renamed without seeing a call."""
        return self.to is not None and self.template is None and self.params is None

    def roots(self) -> set[str]:
        """Root placeholders the rewrite needs (``keras``, ``tf``)."""
        text = " ".join([self.to or "", self.template or "", *self.insert.values(), *self.fill.values()])
        return {m for m in PLACEHOLDER.findall(text) if m in ROOT_KEYS}


@dataclass(frozen=True)
class Roots:
    """Local names to spell ``keras`` and ``tf`` with, and the imports that binds them need."""

    names: Mapping[str, str]
    imports: Mapping[str, tuple[str, str | None, str | None]] = field(default_factory=dict)

    def covers(self, rewrite: Rewrite) -> bool:
        return rewrite.roots() <= set(self.names)

    def imports_for(self, rewrite: Rewrite) -> list[tuple[str, str | None, str | None]]:
        return [self.imports[r] for r in sorted(rewrite.roots()) if r in self.imports]


def roots_for(imports: ImportTable) -> Roots:
    """How this file can name ``keras`` and ``tensorflow`` in a fix (an import is added if unbound).

    ``from tensorflow import keras`` is usable as the Keras root: ``tf.keras.ops``,
    ``tf.keras.config``, ``tf.keras.random`` and ``tf.keras.Variable`` all exist under Keras 3.
    A name bound to anything else (``import tf_keras as keras``) is never shadowed.
    """
    names: dict[str, str] = {}
    needed: dict[str, tuple[str, str | None, str | None]] = {}
    for key, module, accepted, import_spec in (
        ("keras", "keras", ("keras", "tensorflow.keras"), ("keras", None, None)),
        ("tf", "tensorflow", ("tensorflow",), ("tensorflow", None, "tf")),
    ):
        local = next((name for name, target in sorted(imports.aliases.items()) if target == module), None)
        if local is not None:
            names[key] = local
            continue
        bound = imports.aliases.get(key)
        if bound is None:
            names[key] = key
            needed[key] = import_spec
        elif bound in accepted:
            names[key] = key
    return Roots(names, needed)
