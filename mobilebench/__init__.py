"""mobilebench: the suite's own components (face pipeline, datasets, metrics, config composition, benchmark
runner, leaderboard) and the ``mobilebench`` registries. Importing it patches nothing: the compatibility
shims of :mod:`mobilebench.compat` are applied by the entry points (each config's ``custom_imports``, the
tools)."""
from .registry import DATASETS, METRICS, MODELS, TRANSFORMS  # noqa: F401

__version__ = '0.1.0'
