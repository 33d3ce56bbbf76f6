"""Config-driven benchmark sweeps (``tools/benchmark.py``) and leaderboards (``tools/leaderboard.py``).

Modules, one job each: :mod:`.schema` (what a benchmark config may hold), :mod:`.spec` (its runs),
:mod:`.records` (run records: the one atomic writer, reading, checking), :mod:`.claims` (who runs what in
a shared results folder), :mod:`.launch` (the run function shared by every executor), :mod:`.runner`
(the local sweep), :mod:`.slurm` (submitit / Slurm jobs), :mod:`.run_one` (one run's process),
:mod:`.measure` (MAdds, params, latency), :mod:`.table` (the leaderboard's table model), :mod:`.render`
(Markdown, CSV, HTML, console) and :mod:`.leaderboard` (writing the pages).
"""
from .records import read_record  # noqa: F401
from .runner import ChangedRunsError, Sweep, run_benchmark  # noqa: F401
from .schema import BenchmarkConfigError  # noqa: F401
from .spec import RunSpec, load_benchmark, plan_runs  # noqa: F401
