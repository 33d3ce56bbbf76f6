"""mobilebench: the suite's own components (face pipeline, datasets, metrics, benchmark runner,
leaderboard). Importing it applies the compatibility layer and creates the ``mobilebench`` registries."""
from . import compat  # noqa: F401  (must come first)
from .registry import DATASETS, METRICS, MODELS, TRANSFORMS  # noqa: F401

__version__ = '0.1.0'
