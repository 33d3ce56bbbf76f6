"""Which differences in a results folder are real: test-set intervals and block-vs-baseline verdicts.

:func:`analyse` adds to the gathered data (:func:`.table.gather`):

- per (task, backbone): a bootstrap interval of the task's real metric over the test set, when every seed's
  run has a per-item samples file (``record['samples']``, read by :mod:`.samples`): test items are resampled
  with replacement and the metric is recomputed on each resample, averaged over the seeds
  (:func:`mobilebench.significance.bootstrap_interval`, :func:`~mobilebench.significance.mean_over_seeds`);
- per (task, block, baseline) (:mod:`.comparisons`): the difference ``block - baseline`` with

  * a **paired bootstrap** interval when both sides have samples files: one resample of the test items is
    drawn for both models, each side pooled over its seeds (:func:`~mobilebench.significance.paired_difference`);
    the two sides must have been tested on the same items (same item ids in the same order), else the pair is
    an error naming both runs (:class:`ItemMismatchError`);
  * otherwise, with at least 2 seeds on each side, **Welch's t** interval over seeds
    (:func:`~mobilebench.significance.seed_difference`), which sees seed-to-seed variation only;
  * otherwise no interval (``not tested``);

  and a verdict (better / no significant difference / worse at the configured confidence, in the direction
  of the task's ``higher_is_better``).

The seed interval (Student t over seeds) of each row is computed by :func:`.table.task_rows` itself.
"""
from __future__ import annotations

import hashlib
import math
import os.path as osp
from typing import Callable, Dict, List, Optional

import numpy as np

from mobilebench import significance as sig

from .comparisons import resolve_comparisons
from .records import finite

NOT_TESTED = 'not tested'
PAIRED = 'paired bootstrap over test items'
WELCH = 'Welch t over seeds (no samples file)'


class ItemMismatchError(ValueError):
    """Two runs to be compared (or pooled) were not evaluated on the same test items."""


def _describe_ids(ids) -> str:
    ids = np.asarray(ids)
    head = ', '.join(str(i) for i in ids[:3])
    return f'{len(ids)} items ({head}{", ..." if len(ids) > 3 else ""})'


def check_same_items(run_a: str, metric_a, run_b: str, metric_b) -> None:
    """Raise :class:`ItemMismatchError` naming both runs unless they hold the same item ids in the same order."""
    ids_a, ids_b = np.asarray(metric_a.ids), np.asarray(metric_b.ids)
    if ids_a.shape == ids_b.shape and np.array_equal(ids_a, ids_b):
        return
    where = ''
    if ids_a.shape == ids_b.shape:
        first = int(np.flatnonzero(ids_a != ids_b)[0])
        where = f"; first difference at position {first}: '{ids_a[first]}' vs '{ids_b[first]}'"
    raise ItemMismatchError(f'runs {run_a} and {run_b} were not tested on the same items: {_describe_ids(ids_a)} '
                            f'vs {_describe_ids(ids_b)}{where}. Re-test both on one test set (same annotation '
                            f'file and order) before comparing them')


def _default_loader(path: str, name: Optional[str] = None):
    """:func:`.samples.load_item_metric` (imported when a run has a samples file)."""
    from .samples import load_item_metric
    return load_item_metric(path, name)


def settings_of(data: Dict) -> Dict:
    """The comparisons of a gathered results folder: those of its plan (``benchmark.json``), else the
    default rule over the backbones that have runs."""
    plan = data.get('comparisons') if isinstance(data.get('comparisons'), dict) else {}
    backbones = list(dict.fromkeys(r['backbone'] for r in data['runs']))
    spec = {k: plan[k] for k in ('confidence', 'resamples', 'seed') if k in plan}
    try:
        if isinstance(plan.get('pairs'), list):
            names = list(dict.fromkeys(backbones + [str(n) for p in plan['pairs'] for n in p]))
            out = resolve_comparisons(dict(spec, pairs=plan['pairs']), names, 'benchmark.json: comparisons')
            out['pairs_from'] = plan.get('pairs_from') or out['pairs_from']
            return out
        return resolve_comparisons(spec, backbones)
    except (TypeError, ValueError):
        return resolve_comparisons(None, backbones)


class _Runs:
    """The ok runs of one (task, backbone) and their item metrics (loaded once)."""

    def __init__(self, recs: List[Dict], metric: str):
        self.recs = [r for r in recs if finite((r.get('metrics') or {}).get(metric)) is not None]
        self.values = [finite(r['metrics'][metric]) for r in self.recs]
        self.items: List = []  # item metric per rec, or None
        self.note = ''
        self.pooled: Optional[Callable] = None  # the memoised mean over seeds (_pooled)

    @property
    def run_ids(self) -> List[str]:
        return [str(r.get('run_id') or f'{r["task"]}__{r["backbone"]}') for r in self.recs]

    @property
    def has_items(self) -> bool:
        return bool(self.items) and all(m is not None for m in self.items)


def _load_items(runs: _Runs, results_dir: str, metric: str, loader: Callable, problems: List[Dict]) -> None:
    """Load each run's item metric; a missing file, an unreadable one or one that disagrees with the
    record's metric leaves that run without (listed in ``problems``)."""
    missing = 0
    for rec, value, run_id in zip(runs.recs, runs.values, runs.run_ids):
        rel = rec.get('samples')
        if not isinstance(rel, str) or not rel:
            if rec.get('samples_error'):  # the run tried and could not write them (sample_dump)
                problems.append(dict(run_id=run_id, kind='samples', detail=f'no samples file: {rec["samples_error"]}'))
            runs.items.append(None)
            missing += 1
            continue
        path = rel if osp.isabs(rel) else osp.join(results_dir, rel)
        try:
            item = loader(path, metric)
            full = float(item(np.arange(item.n)))
        except Exception as exc:  # a bad samples file is listed, never fatal for the leaderboard
            problems.append(dict(run_id=run_id, kind='samples', detail=f'{path}: {type(exc).__name__}: {exc}'))
            runs.items.append(None)
            continue
        if not math.isclose(full, value, rel_tol=1e-4, abs_tol=1e-6):
            problems.append(dict(run_id=run_id, kind='samples', detail=(
                f'{path}: its {metric} on all {item.n} items is {full:.6g}, the record says {value:.6g}; the file '
                f'does not belong to this result (not used)')))
            runs.items.append(None)
            continue
        runs.items.append(item)
    if runs.recs and not runs.has_items:
        with_items = sum(m is not None for m in runs.items)
        runs.note = ('seed interval only: no samples file' if missing == len(runs.recs) else
                     f'seed interval only: samples for {with_items} of {len(runs.recs)} seeds')


def _pooled(runs: _Runs) -> Callable:
    """The item metric averaged over seeds, after checking every seed saw the same items; memoised per resample,
    so the row's bootstrap and every paired bootstrap of this backbone (same seed, same resamples) compute the
    metric once per resample."""
    if runs.pooled is None:
        for run_id, item in zip(runs.run_ids[1:], runs.items[1:]):
            check_same_items(runs.run_ids[0], runs.items[0], run_id, item)
        mean = sig.mean_over_seeds(runs.items)
        cache: Dict[bytes, float] = {}

        def pooled(idx):
            key = hashlib.blake2b(np.ascontiguousarray(idx, np.int64).tobytes(), digest_size=16).digest()
            if key not in cache:
                cache[key] = mean(idx)
            return cache[key]

        runs.pooled = pooled
    return runs.pooled


def _compare(a: _Runs, b: _Runs, settings: Dict, higher_is_better: bool) -> Dict:
    conf, nres, seed = settings['confidence'], settings['resamples'], settings['seed']
    if not a.values or not b.values:
        missing = 'block' if not a.values else 'baseline'
        return dict(diff=None, low=None, high=None, verdict=NOT_TESTED, method=f'the {missing} has no finished run')
    diff = float(np.mean(a.values) - np.mean(b.values))
    if a.has_items and b.has_items:
        check_same_items(a.run_ids[0], a.items[0], b.run_ids[0], b.items[0])
        ma, mb = _pooled(a), _pooled(b)
        res = sig.paired_difference(a.items[0].n, ma, mb, n_resamples=nres, confidence=conf, seed=seed,
                                    higher_is_better=higher_is_better)
        return dict(diff=res['diff'], low=res['low'], high=res['high'], verdict=res['verdict'],
                    method=f'{PAIRED} ({a.items[0].n} items, {len(a.values)} + {len(b.values)} seeds)')
    if len(a.values) >= 2 and len(b.values) >= 2:
        res = sig.seed_difference(a.values, b.values, conf, higher_is_better)
        return dict(diff=res['diff'], low=res['low'], high=res['high'], verdict=res['verdict'],
                    method=f'{WELCH} ({len(a.values)} + {len(b.values)} seeds)')
    return dict(diff=diff, low=None, high=None, verdict=NOT_TESTED,
                method='no samples file and fewer than 2 seeds on a side: no interval')


def analyse(data: Dict, loader: Optional[Callable] = None, progress: bool = False) -> Dict:
    """Test-set intervals and verdicts of gathered data; stored as ``data['analysis']`` (computed once).

    Args:
        data: :func:`.table.gather`'s result.
        loader: ``loader(path, metric_name) -> ItemMetric`` (default :func:`.samples.load_item_metric`).
        progress: show a progress bar over the bootstraps.

    Returns:
        dict with ``settings`` (:func:`settings_of`), ``rows`` (task -> backbone -> ``test`` interval dict or
        None, ``note``), ``pairs`` (task -> list of comparison dicts with ``block``, ``baseline``, ``diff``,
        ``low``, ``high``, ``verdict``, ``method``) and ``problems`` (samples files not used, mismatched items).
    """
    if data.get('analysis') is not None:
        return data['analysis']
    settings = settings_of(data)
    loader = loader or _default_loader
    results_dir = data.get('results_dir') or '.'
    problems: List[Dict] = []
    out = dict(settings=settings, rows={}, pairs={}, problems=problems)
    conf, nres, seed = settings['confidence'], settings['resamples'], settings['seed']
    jobs = []
    for task, tdef in data['tasks'].items():
        metric = tdef.get('metric')
        hib = bool(tdef.get('higher_is_better', True))
        by_bb: Dict[str, _Runs] = {}
        for bb in dict.fromkeys(r['backbone'] for r in data['runs'] if r['task'] == task):
            by_bb[bb] = _Runs([r for r in data['runs'] if r['task'] == task and r['backbone'] == bb], metric)
            _load_items(by_bb[bb], results_dir, metric, loader, problems)
        out['rows'][task] = {bb: dict(test=None, note=runs.note) for bb, runs in by_bb.items()}
        out['pairs'][task] = []
        for bb, runs in by_bb.items():
            if runs.has_items:
                jobs.append(('row', task, bb, runs, None, hib))
        for block, base in settings['pairs']:
            if block in by_bb or base in by_bb:
                jobs.append(('pair', task, block, by_bb.get(block, _Runs([], metric)),
                             (base, by_bb.get(base, _Runs([], metric))), hib))
    from tqdm import tqdm
    for kind, task, bb, runs, other, hib in tqdm(jobs, desc='intervals', unit='bootstrap', disable=not progress):
        if kind == 'row':
            try:
                out['rows'][task][bb]['test'] = sig.bootstrap_interval(
                    runs.items[0].n, _pooled(runs), n_resamples=nres, confidence=conf, seed=seed)
            except ItemMismatchError as exc:
                problems.append(dict(run_id=f'{task}/{bb}', kind='mismatch', detail=str(exc)))
                out['rows'][task][bb]['note'] = 'seed interval only: seeds tested on different items'
            except Exception as exc:  # a metric that cannot be recomputed on some resample: listed, not fatal
                problems.append(dict(run_id=f'{task}/{bb}', kind='bootstrap', detail=f'{type(exc).__name__}: {exc}'))
                out['rows'][task][bb]['note'] = 'seed interval only: the bootstrap failed (see the problems)'
            continue
        base, base_runs = other
        try:
            res = _compare(runs, base_runs, settings, hib)
        except ItemMismatchError as exc:
            problems.append(dict(run_id=f'{task}: {bb} vs {base}', kind='mismatch', detail=str(exc)))
            res = dict(diff=None, low=None, high=None, verdict=NOT_TESTED,
                       method='error: not tested on the same items (see the problems)')
        except Exception as exc:  # a metric that cannot be recomputed on some resample: listed, not fatal
            problems.append(dict(run_id=f'{task}: {bb} vs {base}', kind='bootstrap',
                                 detail=f'{type(exc).__name__}: {exc}'))
            res = dict(diff=None, low=None, high=None, verdict=NOT_TESTED,
                       method='error: the paired bootstrap failed (see the problems)')
        out['pairs'][task].append(dict(block=bb, baseline=base, **res))
    data['analysis'] = out
    data.setdefault('problems', []).extend(problems)
    return out


def pair_summary(data: Dict) -> List[Dict]:
    """Per (block, baseline): on how many tasks the block is ahead, significantly ahead and significantly
    behind, with a sentence ("A beats B on 3 of 5 tasks, significantly on 1")."""
    analysis = analyse(data)
    out: Dict[tuple, Dict] = {}
    for task, pairs in analysis['pairs'].items():
        hib = bool(data['tasks'][task].get('higher_is_better', True))
        for p in pairs:
            key = (p['block'], p['baseline'])
            s = out.setdefault(key, dict(block=key[0], baseline=key[1], tasks=0, ahead=0, better=0, worse=0,
                                         tested=0))
            if p['diff'] is None:
                continue
            s['tasks'] += 1
            s['ahead'] += int(p['diff'] > 0 if hib else p['diff'] < 0)
            s['tested'] += int(p['verdict'] != NOT_TESTED)
            s['better'] += int(p['verdict'] == sig.BETTER)
            s['worse'] += int(p['verdict'] == sig.WORSE)
    for s in out.values():
        text = (f'{s["block"]} beats {s["baseline"]} on {s["ahead"]} of {s["tasks"]} tasks, significantly on '
                f'{s["better"]}')
        if s['worse']:
            text += f'; significantly worse on {s["worse"]}'
        if s['tested'] < s['tasks']:
            text += f' ({s["tasks"] - s["tested"]} without an interval)'
        s['text'] = text
    return list(out.values())
