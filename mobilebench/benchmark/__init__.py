"""Config-driven benchmark sweeps (``tools/benchmark.py``) and leaderboards (``tools/leaderboard.py``)."""
from .runner import Sweep, read_record, run_benchmark  # noqa: F401
from .spec import RunSpec, load_benchmark, plan_runs  # noqa: F401
