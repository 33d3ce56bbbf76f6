"""The schema of a benchmark config: every key a sweep reads, its type and its range.

A benchmark config is checked as a whole before anything runs (:func:`validate_benchmark`): an unknown
key (``overides=``), a wrong type or a value out of range is an error that names the file, the key and
the fix, and lists the valid keys. Names starting with ``_`` are the config's private helpers
(``_bb = 'configs/_base_/backbones/'``) and are not checked.

The tables below are the single reference: ``docs/benchmark.md`` documents the same keys.
"""
from __future__ import annotations

import difflib
import math
import numbers
from typing import Callable, Dict, Mapping, Sequence


class BenchmarkConfigError(ValueError):
    """A benchmark config that does not follow the schema (names the file and the key)."""


# --------------------------------------------------------------------------------------------------
# value checks: each returns None when the value is fine, else what is wrong with it
def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _is_num(v):
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


def int_at_least(low: int) -> Callable:
    def check(v):
        return None if _is_int(v) and v >= low else f'must be an integer >= {low}'
    check.doc = f'int >= {low}'
    return check


def positive_number(v):
    return None if _is_num(v) and v > 0 else 'must be a number > 0 (seconds)'


positive_number.doc = 'number > 0'


def optional(check: Callable) -> Callable:
    def opt(v):
        return None if v is None else check(v)
    opt.doc = f'{check.doc} or None'
    return opt


def is_bool(v):
    return None if isinstance(v, bool) else 'must be True or False'


is_bool.doc = 'bool'


def untrained_mode(v):
    return None if isinstance(v, bool) or v == 'first_seed' else \
        "must be True or False, or 'first_seed' (test the untrained model of the first seed only)"


untrained_mode.doc = "bool or 'first_seed'"


def memory_format(v):
    return None if v in ('channels_last', 'contiguous') else \
        "must be 'channels_last' (NHWC weights, faster depthwise convolutions on CPU) or 'contiguous' (NCHW)"


memory_format.doc = "'channels_last' or 'contiguous'"


def is_str(v):
    return None if isinstance(v, str) and v else 'must be a non-empty string'


is_str.doc = 'str'


def is_dict(v):
    return None if isinstance(v, Mapping) else 'must be a dict'


is_dict.doc = 'dict'


def str_list(v):
    if isinstance(v, (list, tuple)) and v and all(isinstance(s, str) and s for s in v):
        return None
    return 'must be a non-empty list of strings'


str_list.doc = 'list of str'


def input_shape(v):
    if (isinstance(v, (list, tuple)) and len(v) in (3, 4) and all(_is_int(s) and s > 0 for s in v)):
        return None
    return 'must be (C, H, W) for images or (T, C, H, W) for clips, positive integers, e.g. (3, 224, 224)'


input_shape.doc = '(C, H, W) or (T, C, H, W)'


def rewrite_rules(v):
    if not isinstance(v, (list, tuple)):
        return 'must be a list of rules, e.g. [dict(prefix=\'data/coco/\', new=\'/datasets/coco/\')]'
    for i, rule in enumerate(v):
        if not isinstance(rule, Mapping) or 'new' not in rule or not ({'prefix', 'key', 'match'} & set(rule)):
            return (f'[{i}] = {rule!r}: write dict(prefix=..., new=...), dict(key=..., [old=...,] new=...) '
                    f'or dict(match=dict(...), new=dict(...))')
        extra = set(rule) - {'prefix', 'key', 'old', 'new', 'match'}
        if extra:
            return f'[{i}] has unknown keys {sorted(extra)}; valid: prefix, key, old, new, match'
    return None


rewrite_rules.doc = 'list of rewrite rules'


def seed_list(v):
    if (isinstance(v, (list, tuple)) and v and all(_is_int(s) and s >= 0 for s in v)
            and len(set(v)) == len(v)):
        return None
    return 'must be a non-empty list of distinct integers >= 0, e.g. [0, 1, 2]'


seed_list.doc = 'list of distinct int >= 0'


def mem_value(v):
    if _is_int(v) and v > 0:
        return None
    if isinstance(v, str) and v[:-1].isdigit() and v[-1].upper() in 'KMGT' and int(v[:-1]) > 0:
        return None
    return "must be megabytes (int) or a Slurm size string such as '32G'"


mem_value.doc = "int (MB) or '32G'"


def str_dict(v):
    if isinstance(v, Mapping) and all(isinstance(k, str) for k in v):
        return None
    return 'must be a dict of sbatch option -> value, e.g. dict(exclusive=True, mail_type=\'END\')'


str_dict.doc = 'dict'


def backbone_pairs(v):
    if (isinstance(v, (list, tuple)) and all(isinstance(p, (list, tuple)) and len(p) == 2 and all(
            isinstance(n, str) and n for n in p) and p[0] != p[1] for p in v)):
        return None
    return ("must be a list of (block, baseline) backbone-name pairs, e.g. "
            "[('asymmnet_small_x1.0', 'mobilenetv3_small_x1.0')]")


backbone_pairs.doc = 'list of (block, baseline)'


def open_fraction(v):
    return None if _is_num(v) and 0 < v < 1 else 'must be a number strictly between 0 and 1, e.g. 0.95'


open_fraction.doc = 'number in (0, 1)'


# --------------------------------------------------------------------------------------------------
# the schema
LATENCY_KEYS: Dict[str, Callable] = dict(warmup=int_at_least(0), repeats=int_at_least(1), threads=int_at_least(1))

# per-run Slurm resources (tools/benchmark.py --executor slurm); a task's own `slurm` dict overrides them
SLURM_KEYS: Dict[str, Callable] = dict(
    partition=is_str,            # sbatch --partition
    account=is_str,              # sbatch --account
    qos=is_str,                  # sbatch --qos
    constraint=is_str,           # sbatch --constraint
    nodes=int_at_least(1),       # sbatch --nodes
    gpus_per_node=int_at_least(0),  # sbatch --gpus-per-node; one task (process) per GPU
    cpus_per_task=int_at_least(1),  # sbatch --cpus-per-task
    mem=mem_value,               # sbatch --mem
    timeout_min=int_at_least(1),  # sbatch --time (a timed-out run is requeued and resumes)
    signal_delay_s=int_at_least(1),  # USR2 this long before the time limit (checkpoint + requeue)
    max_num_timeout=int_at_least(0),  # requeues after a time-out before the run is given up
    array_parallelism=int_at_least(1),  # sbatch --array=...%N
    sbatch_args=str_dict,        # any other sbatch option (submitit slurm_additional_parameters)
    setup=str_list,              # shell lines run in the job before python (module load, conda activate)
)

# the leaderboard's paired comparisons (mobilebench/benchmark/comparisons.py); they do not change any run
COMPARISON_KEYS: Dict[str, Callable] = dict(
    pairs=backbone_pairs,        # (block, baseline) backbone names; default: the papers' pairs (by name)
    confidence=open_fraction,    # two-sided level of every interval and verdict (default 0.95)
    resamples=int_at_least(100),  # bootstrap resamples of the test items (default 1000)
    seed=int_at_least(0),        # seed of the resampling (default 0)
)

TASK_KEYS: Dict[str, Callable] = dict(
    template=is_str,
    metric=is_str,
    metrics=str_list,
    input_shape=input_shape,
    overrides=is_dict,
    rewrite=rewrite_rules,
    published_key=optional(is_str),
    title=is_str,
    higher_is_better=is_bool,
    slurm=is_dict,
    backbones=str_list,  # optional subset of the benchmark's backbone names this task runs
    pretrain=optional(is_str),  # the task whose runs provide this task's backbone weights (chain)
    memory_format=memory_format,  # this task's layout (default: the config's `memory_format`)
)
TASK_REQUIRED = ('template', 'metric', 'input_shape')

TOP_KEYS: Dict[str, Callable] = dict(
    name=is_str,
    backbones=lambda v: None if isinstance(v, (list, tuple)) and v else 'must be a non-empty list',
    tasks=lambda v: None if isinstance(v, Mapping) and v else 'must be a non-empty dict of task name -> dict',
    seed=int_at_least(0),
    seeds=seed_list,
    latency=is_dict,
    measure_untrained=untrained_mode,
    checkpoints=lambda v: None if isinstance(v, Mapping) and all(
        isinstance(k, str) and isinstance(p, str) for k, p in v.items()) else
    "must be a dict 'task/backbone_name' -> checkpoint path",
    threads=optional(int_at_least(1)),
    run_timeout_s=optional(positive_number),
    jobs=int_at_least(1),
    preload=is_bool,  # local runs fork from a process that imported the stack once (benchmark.preload)
    memory_format=memory_format,  # model layout of every run (mobilebench.MemoryFormatHook); default: as built
    slurm=is_dict,
    deploy=optional(is_dict),
    comparisons=is_dict,
)
TOP_KEYS['backbones'].doc = 'list'
TOP_KEYS['tasks'].doc = 'dict'
TOP_KEYS['checkpoints'].doc = 'dict'


def _unknown(key: str, valid: Sequence[str], where: str) -> str:
    close = difflib.get_close_matches(key, valid, n=1)
    hint = f' (did you mean `{close[0]}`?)' if close else ''
    return f'{where}: unknown key `{key}`{hint}; valid keys: {", ".join(sorted(valid))}'


def check_mapping(values: Mapping, schema: Mapping[str, Callable], where: str, private_ok: bool = False):
    """Check ``values`` against ``schema`` (key -> check); raises :class:`BenchmarkConfigError`."""
    for key, value in values.items():
        if private_ok and isinstance(key, str) and key.startswith('_'):
            continue
        if key not in schema:
            raise BenchmarkConfigError(_unknown(str(key), list(schema), where))
        problem = schema[key](value)
        if problem:
            raise BenchmarkConfigError(f'{where}: `{key}` = {value!r} {problem}')


def validate_benchmark(bench: Mapping, path: str, published_keys: Sequence[str] = ()) -> None:
    """Check a benchmark config (as a plain dict) against the schema.

    Args:
        bench: the config (``Config.to_dict()``); names starting with ``_`` are ignored.
        path: its file, for the messages.
        published_keys: the keys a task's ``published_key`` may name (empty: not checked).

    Raises:
        BenchmarkConfigError: naming the file, the key, the problem and the valid keys.
    """
    check_mapping(bench, TOP_KEYS, path, private_ok=True)
    for key in ('backbones', 'tasks'):
        if key not in bench:
            raise BenchmarkConfigError(f'{path}: `{key}` is missing; see docs/benchmark.md for a complete config')
    if 'seed' in bench and 'seeds' in bench:
        raise BenchmarkConfigError(f'{path}: give `seed` (one run per task and backbone) or `seeds` (one run '
                                   f'per seed), not both')
    check_mapping(bench.get('latency') or {}, LATENCY_KEYS, f'{path}: latency')
    check_mapping(bench.get('slurm') or {}, SLURM_KEYS, f'{path}: slurm')
    check_mapping(bench.get('comparisons') or {}, COMPARISON_KEYS, f'{path}: comparisons')
    for name, task in bench['tasks'].items():
        where = f'{path}: tasks.{name}'
        if not isinstance(task, Mapping):
            raise BenchmarkConfigError(f'{where} must be a dict(template=..., metric=..., input_shape=...)')
        check_mapping(task, TASK_KEYS, where)
        missing = [k for k in TASK_REQUIRED if k not in task]
        if missing:
            raise BenchmarkConfigError(f'{where}: missing {", ".join(f"`{k}`" for k in missing)} (required: '
                                       f'{", ".join(TASK_REQUIRED)})')
        check_mapping(task.get('slurm') or {}, SLURM_KEYS, f'{where}.slurm')
        metrics = task.get('metrics')
        if metrics and task['metric'] not in metrics:
            raise BenchmarkConfigError(f'{where}: `metric` {task["metric"]!r} is not in `metrics` {list(metrics)}; '
                                       f'the headline metric must be one of the shown metrics')
        key = task.get('published_key')
        if key and published_keys and key not in published_keys:
            raise BenchmarkConfigError(_unknown(key, list(published_keys), f'{where}.published_key').replace(
                'unknown key', 'unknown published key'))


def schema_keys() -> Dict[str, Sequence[str]]:
    """Every accepted key per section (for docs and reports)."""
    return dict(top=sorted(TOP_KEYS), task=sorted(TASK_KEYS), latency=sorted(LATENCY_KEYS),
                slurm=sorted(SLURM_KEYS), comparisons=sorted(COMPARISON_KEYS))
