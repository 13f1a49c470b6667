"""The model: what each statement creates, drops, alters and needs, and the catalog it builds."""

from checker.model.catalog import Catalog, CatalogObject
from checker.model.effects import Created, Drop, Effects, Reference, statement_effects
from checker.model.objects import ObjectRef

__all__ = [
    "Catalog",
    "CatalogObject",
    "Created",
    "Drop",
    "Effects",
    "ObjectRef",
    "Reference",
    "statement_effects",
]
