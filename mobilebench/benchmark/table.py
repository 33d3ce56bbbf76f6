"""The leaderboard's table model: gather a results folder's run records into per-task rows.

:func:`gather` reads ``benchmark.json`` and every ``runs/*.json`` and checks each record's structure
(:func:`.records.record_problems`): a record that is not valid JSON, or valid JSON with wrong types, is
listed as ``corrupt`` with the reason, never fatal. A NaN or infinite metric is treated as missing.
Several seeds of one (task, backbone) are one row: the mean of each metric, with the standard deviation,
the Student-t interval over seeds and the number of seeds; the test-set bootstrap intervals and the
block-vs-baseline verdicts are added by :mod:`.verdicts`. Equal headline values share a rank. A row is flagged
when a run is no better than the same model untrained, or when a metric ``<name>/degenerate`` says the outputs
collapsed. Published rows are shown under a task only when they report the task's headline metric (its key
names the dataset's evaluator: ``pascal_voc/mAP`` is VOC, ``coco/bbox_mAP`` COCO), so a VOC row never sits
under a COCO task.
"""
from __future__ import annotations

import glob
import os.path as osp
import statistics
from typing import Dict, List, Optional, Tuple

from scipy.stats import rankdata

from mobilebench.significance import seed_interval

from .published import published_rows
from .records import finite, read_json, record_problems

#: suffix of the metric keys that flag collapsed outputs (1.0: degenerate), e.g. ``lfw/degenerate``
DEGENERATE_SUFFIX = '/degenerate'


def _plan_problems(plan) -> Optional[str]:
    if not isinstance(plan, dict):
        return f'a JSON object was expected, got {type(plan).__name__}'
    tasks = plan.get('tasks', {})
    if not isinstance(tasks, dict) or not all(isinstance(t, dict) for t in tasks.values()):
        return '`tasks` is not an object of task definitions'
    for name, t in tasks.items():
        if not isinstance(t.get('metric', ''), (str, type(None))):
            return f'`tasks.{name}.metric` is not a string'
        metrics = t.get('metrics', [])
        if metrics is not None and not (isinstance(metrics, list) and all(isinstance(m, str) for m in metrics)):
            return f'`tasks.{name}.metrics` is not a list of strings'
    runs = plan.get('runs', [])
    if not isinstance(runs, list) or not all(isinstance(r, str) for r in runs):
        return '`runs` is not a list of run ids'
    comp = plan.get('comparisons')
    if comp is not None and not (isinstance(comp, dict) and isinstance(comp.get('pairs', []), list)):
        return '`comparisons` is not an object with a list of `pairs`'
    return None


def gather(results_dir: str) -> Dict:
    """Read ``benchmark.json`` and every ``runs/*.json`` of ``results_dir``; never raises on a bad file.

    Returns:
        dict with ``tasks`` (task -> definition), ``runs`` (ok records), ``problems`` (list of dicts with
        ``run_id``, ``kind`` in missing/failed/running/corrupt, ``detail``), ``name``, ``results_dir`` and
        ``comparisons`` (the plan's, or None: :mod:`.comparisons` applies its default rule).
    """
    if not osp.isdir(results_dir):
        raise FileNotFoundError(f'results folder not found: {results_dir} (run tools/benchmark.py first)')
    plan, problems = {}, []
    plan_path = osp.join(results_dir, 'benchmark.json')
    if osp.exists(plan_path):
        try:
            plan = read_json(plan_path)
            bad = _plan_problems(plan)
            if bad:
                raise ValueError(bad)
        except (OSError, ValueError) as exc:
            problems.append(dict(run_id='benchmark.json', kind='corrupt', detail=f'{plan_path}: {exc}'))
            plan = {}
    tasks = dict(plan.get('tasks') or {})
    runs, seen = [], set()
    for path in sorted(glob.glob(osp.join(results_dir, 'runs', '*.json'))):
        run_id = osp.splitext(osp.basename(path))[0]
        seen.add(run_id)
        try:
            rec = read_json(path)
            bad = record_problems(rec)
            if bad:
                raise ValueError('; '.join(bad))
        except (OSError, ValueError) as exc:
            problems.append(dict(run_id=run_id, kind='corrupt', detail=f'{path}: {exc}'))
            continue
        if rec['status'] == 'ok':
            runs.append(rec)
            if rec['task'] not in tasks:
                tasks[rec['task']] = dict(metric=rec.get('metric'), metrics=rec.get('metrics_shown') or
                                          [rec.get('metric')], higher_is_better=rec.get('higher_is_better', True))
        elif rec['status'] == 'failed':
            problems.append(dict(run_id=run_id, kind='failed', detail=str(rec.get('error') or 'no error recorded')))
        elif rec['status'] == 'blocked':  # its pretraining run is not usable (mobilebench.benchmark.chain)
            problems.append(dict(run_id=run_id, kind='blocked',
                                 detail=f'blocked by {rec.get("blocked_by")}: {rec.get("error", "")}'))
        else:
            problems.append(dict(run_id=run_id, kind='running',
                                 detail='interrupted or still running; re-run tools/benchmark.py to finish it'))
    for run_id in plan.get('runs', []):
        if run_id not in seen:
            problems.append(dict(run_id=run_id, kind='missing', detail='planned but no record yet'))
    return dict(name=str(plan.get('name', osp.basename(osp.normpath(results_dir)))), tasks=tasks, runs=runs,
                problems=problems, results_dir=results_dir, comparisons=plan.get('comparisons'))


def _m(value, scale=1e-6):
    value = finite(value)
    return None if value is None else value * scale


def _mean(values):
    values = [v for v in values if v is not None]
    return statistics.fmean(values) if values else None


def _section(rec, key) -> Dict:
    value = rec.get(key)
    return value if isinstance(value, dict) else {}


def input_hw(complexity: Dict) -> Optional[Tuple[int, int]]:
    """(height, width) of the input a run's MAdds were counted at (its ``complexity.input_shape``), or None."""
    shape = complexity.get('input_shape') if isinstance(complexity, dict) else None
    if isinstance(shape, list) and len(shape) >= 2 and all(isinstance(s, int) and s > 0 for s in shape[-2:]):
        return int(shape[-2]), int(shape[-1])
    return None


def confidence_of(data: Dict) -> float:
    """The confidence level of the intervals (the plan's ``comparisons.confidence``, default 0.95)."""
    comp = data.get('comparisons')
    value = finite(comp.get('confidence')) if isinstance(comp, dict) else None
    return value if value is not None and 0 < value < 1 else 0.95


def published_for_task(tdef: Dict) -> Tuple[List[Dict], List[Dict]]:
    """(shown, left out) published rows of a task: a row is shown when it reports the task's headline metric,
    i.e. it was measured on the task's dataset with its evaluator; the others (another dataset) are left out."""
    metric = tdef.get('metric')
    shown, left = [], []
    for pub in published_rows(tdef.get('published_key')):
        (shown if finite(pub['metrics'].get(metric)) is not None else left).append(pub)
    return shown, left


def run_flags(recs: List[Dict], metric: str, higher_is_better: bool) -> List[str]:
    """Warnings of a row: runs no better than the same model untrained, metrics that say outputs collapsed."""
    flags = []
    worse = 0
    for r in recs:
        v, u = finite(_section(r, 'metrics').get(metric)), finite(_section(r, 'untrained_metrics').get(metric))
        if v is not None and u is not None and (v <= u if higher_is_better else v >= u):
            worse += 1
    if worse:
        flags.append(f'no better than untrained ({worse} of {len(recs)} runs)')
    degenerate: Dict[str, int] = {}
    for r in recs:
        for k, v in _section(r, 'metrics').items():
            if k.endswith(DEGENERATE_SUFFIX) and (finite(v) or 0.0) >= 0.5:
                degenerate[k] = degenerate.get(k, 0) + 1
    for k, n in sorted(degenerate.items()):
        flags.append(f'degenerate outputs: {k} ({n} of {len(recs)} runs)')
    return flags


def competition_ranks(values: List[float], higher_is_better: bool = True) -> List[int]:
    """Ranks 1, 2, ... of ``values``; equal values share the best of their ranks (1, 1, 3)."""
    if not values:
        return []
    keys = [-v if higher_is_better else v for v in values]
    return [int(r) for r in rankdata(keys, method='min')]


def task_rows(data: Dict, task: str) -> List[Dict]:
    """Rows of one task: reproduced backbones sorted best first (mean over seeds), then the published rows.

    A missing, NaN or infinite headline value sorts last and has no rank; equal values share a rank (ties
    sort by name). Each reproduced row holds the seed interval (``value_low``/``value_high``/``value_half``,
    Student t at :func:`confidence_of`), ``rank``, ``flags`` and, once :func:`.verdicts.analyse` ran, the
    test-set interval ``test`` (None: no samples file; ``test_note`` says why).
    """
    tdef = data['tasks'][task]
    metric = tdef.get('metric')
    hib = tdef.get('higher_is_better', True)
    conf = confidence_of(data)
    analysis = (data.get('analysis') or {}).get('rows', {}).get(task, {})
    by_backbone: Dict[str, List[Dict]] = {}
    for rec in data['runs']:
        if rec['task'] == task:
            by_backbone.setdefault(rec['backbone'], []).append(rec)
    rows = []
    for backbone, recs in by_backbone.items():
        keys = sorted({k for r in recs for k in _section(r, 'metrics')})
        metrics = {k: _mean([finite(_section(r, 'metrics').get(k)) for r in recs]) for k in keys}
        values = [finite(_section(r, 'metrics').get(metric)) for r in recs]
        values = [v for v in values if v is not None]
        interval = seed_interval(values, conf) if values else None
        half = interval['half'] if interval and interval['n'] > 1 else None
        first = recs[0]
        cx, lat = _section(first, 'complexity'), _section(first, 'latency')
        ana = analysis.get(backbone) or {}
        rows.append(dict(
            backbone=backbone, source='reproduced', metrics=metrics, value=_mean(values),
            value_std=statistics.stdev(values) if len(values) > 1 else None, seeds=len(recs),
            value_n=len(values), value_half=half, value_low=None if half is None else interval['low'],
            value_high=None if half is None else interval['high'], confidence=conf,
            test=ana.get('test'), test_note=ana.get('note') or ('' if ana.get('test') else 'not analysed'),
            flags=run_flags(recs, metric, hib),
            rank=None,
            untrained=_mean([finite(_section(r, 'untrained_metrics').get(metric)) for r in recs]),
            madds_m=_m(cx.get('madds')), params_m=_m(cx.get('params')), backbone_madds_m=_m(cx.get('backbone_madds')),
            convention=cx.get('convention', 'true') if cx else None, input_hw=input_hw(cx),
            by_convention={k: dict(madds_m=_m(v.get('madds')), params_m=_m(v.get('params')))
                           for k, v in (cx.get('by_convention') or {}).items() if isinstance(v, dict)},
            latency_ms=_mean([finite(_section(r, 'latency').get('median_ms')) for r in recs]) if lat else None,
            wall_s=_mean([finite(_section(r, 'meta').get('wall_time_s')) for r in recs])))
    sign = 1 if hib else -1
    rows.sort(key=lambda r: (r['value'] is None, -sign * (r['value'] or 0), r['backbone']))
    ranked = [r for r in rows if r['value'] is not None]
    for row, rank in zip(ranked, competition_ranks([r['value'] for r in ranked], hib)):
        row['rank'] = rank
    for pub in published_for_task(tdef)[0]:
        source = pub['source'] if pub['source'].startswith(('published', 'upstream')) else \
            f'published: {pub["source"]}'
        rows.append(dict(backbone=pub['backbone'], source=f'{source} ({pub["dataset"]})',
                         metrics=pub['metrics'], value=pub['metrics'].get(metric), value_std=None, seeds=None,
                         value_n=None,
                         value_half=None, value_low=None, value_high=None, confidence=conf, test=None,
                         test_note='single published value', flags=[], rank=None,
                         untrained=None, madds_m=pub['madds_m'], params_m=pub['params_m'], backbone_madds_m=None,
                         convention=pub.get('convention'), by_convention={}, latency_ms=None, wall_s=None,
                         input_hw=tuple(pub['input_hw']) if pub.get('input_hw') else None))
    return rows


def convention_of(row: Dict) -> str:
    """The counting convention of a row's MAdds / params (``n/a`` when it has neither)."""
    return row.get('convention') or ('n/a' if row['madds_m'] is None and row['params_m'] is None else 'true')


def plot_points(data: Dict, task: str):
    """(convention, reproduced rows, published rows, published rows left out for their input size) to plot
    together: MAdds are only compared within one convention and at one input size. The published rows'
    convention is used when every reproduced row was also counted in it; otherwise ``true``, and published rows
    counted differently are left out. A published row counted at another input size than the reproduced runs
    (e.g. the paper's 416 x 416 beside a run at 128 x 128: MAdds grow with the input area) is left out too."""
    rows = [r for r in task_rows(data, task) if r['value'] is not None]
    mine = [r for r in rows if r['source'] == 'reproduced' and r['madds_m'] is not None]
    pub = [r for r in rows if r['source'] != 'reproduced' and r['madds_m'] is not None]
    conventions = {r['convention'] for r in pub}
    convention = 'true'
    if len(conventions) == 1 and mine and all(next(iter(conventions)) in r['by_convention'] for r in mine):
        convention = next(iter(conventions))
    if convention != 'true':
        mine = [dict(r, madds_m=r['by_convention'][convention]['madds_m']) for r in mine]
        mine = [r for r in mine if r['madds_m'] is not None]
    pub = [r for r in pub if r['convention'] == convention]
    sizes = {r['input_hw'] for r in mine if r['input_hw'] is not None}

    def other_size(row):
        return bool(sizes) and row['input_hw'] is not None and row['input_hw'] not in sizes
    return convention, mine, [r for r in pub if not other_size(r)], [r for r in pub if other_size(r)]


def pareto_front(points: List[tuple], higher_is_better: bool = True) -> List[int]:
    """Indices of the points (cost, value) not dominated by another (lower cost and better value)."""
    front = []
    for i, (c, v) in enumerate(points):
        dominated = False
        for j, (c2, v2) in enumerate(points):
            better = v2 >= v if higher_is_better else v2 <= v
            strictly = (c2 < c or (v2 > v if higher_is_better else v2 < v))
            if j != i and c2 <= c and better and strictly:
                dominated = True
                break
        if not dominated:
            front.append(i)
    return front


def summary(data: Dict) -> List[Dict]:
    """Per backbone: rank on each task's headline metric (ties share a rank) and the mean rank (lower is
    better)."""
    ranks: Dict[str, Dict[str, int]] = {}
    for task in data['tasks']:
        for row in task_rows(data, task):
            if row['source'] == 'reproduced' and row.get('rank') is not None:
                ranks.setdefault(row['backbone'], {})[task] = row['rank']
    out = []
    for bb, per_task in ranks.items():
        out.append(dict(backbone=bb, ranks=per_task, mean_rank=sum(per_task.values()) / len(per_task),
                        tasks=len(per_task)))
    out.sort(key=lambda r: (-r['tasks'], r['mean_rank'], r['backbone']))
    return out


def metric_columns(data: Dict, task: str) -> List[str]:
    tdef = data['tasks'][task]
    return [m for m in (tdef.get('metrics') or [tdef.get('metric')]) if m]
