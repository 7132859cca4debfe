"""Start-up checks of plugins' model declarations that Tortoise lets through.

An index that names a relation field (``indexes = (("site", "signed_out_at"),)``, or
``Index(fields=["site", ...])``) is written into the migration with the field's name, not
its column (``site_id``): SQLite then indexes a string literal, silently, and PostgreSQL
refuses ``migrate`` with a traceback. Tortoise does translate the names in
``unique_together`` (core relies on it), so only indexes are refused here, at start-up,
naming the plugin, the model and the fix.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Iterable

from core.errors import StartupError


def _index_fields(declaration: Any) -> list[str]:
    fields = getattr(declaration, "fields", None)
    if fields is None and isinstance(declaration, (tuple, list)):
        fields = declaration
    return [name for name in fields or () if isinstance(name, str)]


def relation_index_problems(plugin_name: str, module_names: Iterable[str]) -> list[str]:
    """One line per index of the plugin's models that names a relation field."""
    from tortoise.fields.relational import ForeignKeyFieldInstance, OneToOneFieldInstance
    from tortoise.models import Model

    problems = []
    for module_name in module_names:
        try:
            module = importlib.import_module(module_name)
        except Exception:  # noqa: BLE001, S112 — Tortoise reports it where it loads the models
            continue
        for model in vars(module).values():
            if not (inspect.isclass(model) and issubclass(model, Model) and model.__module__ == module_name):
                continue
            meta = model._meta
            for declaration in getattr(meta, "indexes", ()) or ():
                for name in _index_fields(declaration):
                    field = meta.fields_map.get(name)
                    if isinstance(field, (ForeignKeyFieldInstance, OneToOneFieldInstance)):
                        column = field.source_field or f"{name}_id"
                        problems.append(
                            f"plugin {plugin_name}: model {model.__name__}: Meta.indexes names the relation "
                            f"field {name!r}; name its column {column!r} instead (and in the migration that "
                            f"creates the index: run `frontdesk makemigrations`, or edit it if not yet released)")
    return problems


def check_relation_indexes(contributions: Iterable[tuple[Any, list[str]]]) -> None:
    """Refuse start-up when any plugin's index names a relation field (all in one message)."""
    problems = [line for plugin, modules in contributions for line in relation_index_problems(plugin.name, modules)]
    if problems:
        raise StartupError("\n".join(problems))
