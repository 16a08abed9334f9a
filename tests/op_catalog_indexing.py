"""Op-catalog entries for nbs/05c_indexing.ipynb. See op_catalog.py for the format."""
from opspec import OpSpec  # noqa: F401

INDEXING_OPS = [
]
