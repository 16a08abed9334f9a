"""Op-catalog entries for nbs/05b_pointwise.ipynb. See op_catalog.py for the format."""
from opspec import OpSpec  # noqa: F401

POINTWISE_OPS = [
]
