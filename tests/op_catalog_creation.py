"""Op-catalog entries for nbs/05d_creation.ipynb. See op_catalog.py for the format."""
from opspec import OpSpec  # noqa: F401

CREATION_OPS = [
]
