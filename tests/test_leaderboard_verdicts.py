"""The leaderboard says which differences are real (issue 18) and does not mislead (issue 24's leaderboard items).

Per-sample files are written in the suite's own format (tests/results_fixtures.py); every expected value is
computed here with numpy / scipy, not by the code under test.
"""
import csv
import math
import os.path as osp

import numpy as np
import pytest
from scipy import stats

from results_fixtures import ranking_section, write_plan, write_run

REID = dict(metric='market1501/mAP', metrics=['market1501/mAP'], higher_is_better=True, title='re-ID')
A, B = 'asymmnet_small_x0.5', 'mobilenetv3_small_x0.5'  # paired by the default rule


def _ranking_runs(results, task, backbone, aps, seeds=(0, 1), madds=None):
    """One run per seed whose per-query APs are ``aps[seed]`` (the same 80 queries)."""
    ids = [f'{q:04d}_c1' for q in range(len(aps[0]))]
    return [write_run(results, task, backbone, s, ranking_section(aps[i], aps[i] > 0.5, ids).reported,
                      ranking_section(aps[i], aps[i] > 0.5, ids), madds=madds) for i, s in enumerate(seeds)]


def _md_rows(md, first_cell):
    return [ln for ln in md.splitlines() if ln.startswith(f'| {first_cell} |')]


def test_known_gap_is_better_and_identical_files_are_no_difference(tmp_path):
    from mobilebench.benchmark.leaderboard import write_leaderboard
    rng = np.random.default_rng(0)
    good = [rng.uniform(0.6, 1.0, 80) for _ in range(2)]  # mAP ~0.8
    bad = [rng.uniform(0.1, 0.5, 80) for _ in range(2)]  # mAP ~0.3
    res = str(tmp_path / 'gap')
    runs = _ranking_runs(res, 'reid', A, good, madds=10) + _ranking_runs(res, 'reid', B, bad, madds=12)
    write_plan(res, dict(reid=REID), runs, comparisons=dict(resamples=200))
    paths = write_leaderboard(res)
    md = open(paths['markdown']).read()
    expected = np.mean([g.mean() for g in good]) - np.mean([b.mean() for b in bad])
    row = _md_rows(md, A)[0]  # the vs-baseline row: block | baseline | difference | interval | verdict
    cells = [c.strip() for c in row.strip('|').split('|')]
    assert cells[1] == B and float(cells[2]) == pytest.approx(expected, abs=5e-4) and cells[4] == 'better'
    low, high = (float(v) for v in cells[3].strip('[]').split(','))
    assert 0.3 < low < expected < high
    assert 'paired bootstrap over test items (80 items, 2 + 2 seeds)' in row
    assert f'{A} beats {B} on 1 of 1 tasks, significantly on 1' in md
    comp = list(csv.DictReader(open(paths['comparisons_csv'])))
    assert [(c['block'], c['baseline'], c['verdict']) for c in comp] == [(A, B, 'better')]
    # the test-set interval of the block's row: pooled over its seeds, around the pooled mAP
    table = list(csv.DictReader(open(paths['csv'])))
    mine = next(r for r in table if r['backbone'] == A)
    pooled = np.mean([g.mean() for g in good])
    assert float(mine['test_low']) < pooled < float(mine['test_high']) and mine['interval_note'] == ''
    assert open(paths['html']).read().count('data:image/png;base64,') == 2  # metric vs MAdds, differences

    # the same per-query results under both names: no significant difference, difference exactly 0
    res2 = str(tmp_path / 'same')
    runs = _ranking_runs(res2, 'reid', A, good) + _ranking_runs(res2, 'reid', B, good)
    write_plan(res2, dict(reid=REID), runs, comparisons=dict(resamples=200))
    md2 = open(write_leaderboard(res2)['markdown']).read()
    cells = [c.strip() for c in _md_rows(md2, A)[0].strip('|').split('|')]
    assert float(cells[2]) == 0 and cells[4] == 'no significant difference'
    assert f'{A} beats {B} on 0 of 1 tasks, significantly on 0' in md2


def test_both_directions_and_lower_is_better(tmp_path):
    """Swapped pair -> worse; with a lower-is-better metric the same gap reads the other way."""
    from mobilebench.benchmark.leaderboard import gather
    from mobilebench.benchmark.verdicts import analyse
    rng = np.random.default_rng(1)
    good = [rng.uniform(0.6, 1.0, 80) for _ in range(2)]
    bad = [rng.uniform(0.1, 0.5, 80) for _ in range(2)]
    res = str(tmp_path / 'r')
    runs = _ranking_runs(res, 'reid', 'blk', good) + _ranking_runs(res, 'reid', 'base', bad)
    write_plan(res, dict(reid=REID), runs, comparisons=dict(pairs=[['blk', 'base'], ['base', 'blk']],
                                                            resamples=200))
    pairs = analyse(gather(res))['pairs']['reid']
    assert [(p['block'], p['verdict']) for p in pairs] == [('blk', 'better'), ('base', 'worse')]
    assert pairs[0]['diff'] == pytest.approx(-pairs[1]['diff'])

    # an error rate (lower is better): the block's per-item errors are lower -> better, and vice versa
    class ErrorRate:  # ItemMetric interface over per-item errors
        higher_is_better = False
        name = 'err'

        def __init__(self, errors):
            self.errors, self.n, self.ids = np.asarray(errors, float), len(errors), np.arange(len(errors))

        def __call__(self, idx):
            return float(self.errors[idx].mean())

    errs = {'low': rng.random(300) < 0.1, 'high': rng.random(300) < 0.5}
    task = dict(metric='err', metrics=['err'], higher_is_better=False)
    recs = [dict(run_id=f'cls__{bb}', task='cls', backbone=bb, status='ok', samples=f'{bb}.npz',
                 metrics={'err': float(e.mean())}) for bb, e in errs.items()]
    data = dict(tasks=dict(cls=task), runs=recs, problems=[], results_dir=str(tmp_path),
                comparisons=dict(pairs=[['low', 'high'], ['high', 'low']], resamples=200))
    pairs = analyse(data, loader=lambda path, name: ErrorRate(errs[osp.basename(path)[:-4]]))['pairs']['cls']
    assert [(p['block'], p['verdict']) for p in pairs] == [('low', 'better'), ('high', 'worse')]
    assert pairs[0]['diff'] == pytest.approx(errs['low'].mean() - errs['high'].mean())
    from mobilebench.benchmark.table import task_rows
    assert [(r['backbone'], r['rank']) for r in task_rows(data, 'cls')] == [('low', 1), ('high', 2)]


def test_without_samples_welch_over_seeds_and_mismatched_items(tmp_path):
    from mobilebench.benchmark.leaderboard import gather, write_leaderboard
    from mobilebench.benchmark.verdicts import ItemMismatchError, analyse
    res = str(tmp_path / 'r')
    a, b = [0.61, 0.63, 0.62], [0.55, 0.58]
    runs = [write_run(res, 'det', A, s, {'pascal_voc/mAP': v}) for s, v in enumerate(a)]
    runs += [write_run(res, 'det', B, s, {'pascal_voc/mAP': v}) for s, v in enumerate(b)]
    write_plan(res, dict(det=dict(metric='pascal_voc/mAP', higher_is_better=True)), runs)
    data = gather(res)
    (pair, ) = analyse(data)['pairs']['det']
    # Welch by hand: variances over seeds, Welch-Satterthwaite degrees of freedom, t quantile
    va, vb = np.var(a, ddof=1) / 3, np.var(b, ddof=1) / 2
    dof = (va + vb) ** 2 / (va ** 2 / 2 + vb ** 2 / 1)
    half = stats.t.ppf(0.975, dof) * math.sqrt(va + vb)
    diff = np.mean(a) - np.mean(b)
    assert (pair['diff'], pair['low'], pair['high']) == pytest.approx((diff, diff - half, diff + half))
    assert pair['verdict'] == 'no significant difference' and pair['method'].startswith('Welch t over seeds')
    md = open(write_leaderboard(res)['markdown']).read()
    assert md.count('seed interval only: no samples file') == 2
    # headline cell: mean ± t half-width over seeds
    half_a = stats.t.ppf(0.975, 2) * np.std(a, ddof=1) / math.sqrt(3)
    assert f'| 0.62 ± {half_a:.2g} (3 seeds) |' in md

    # two runs tested on different items: an error naming both runs, listed, the pair not tested
    res2 = str(tmp_path / 'm')
    ap = np.linspace(0.2, 0.9, 40)
    ids = [f'q{i}' for i in range(40)]
    runs = [write_run(res2, 'reid', A, 0, ranking_section(ap, ap > 0.5, ids).reported,
                      ranking_section(ap, ap > 0.5, ids), seeds=False),
            write_run(res2, 'reid', B, 0, ranking_section(ap, ap > 0.5, ids[::-1]).reported,
                      ranking_section(ap, ap > 0.5, ids[::-1]), seeds=False)]
    write_plan(res2, dict(reid=REID), runs, comparisons=dict(resamples=100))
    data = gather(res2)
    (pair, ) = analyse(data)['pairs']['reid']
    assert pair['verdict'] == 'not tested' and 'same items' in pair['method']
    (problem, ) = [p for p in data['problems'] if p['kind'] == 'mismatch']
    assert f'reid__{A}' in problem['detail'] and f'reid__{B}' in problem['detail'] and "'q0' vs 'q39'" in \
        problem['detail']
    from mobilebench.benchmark.verdicts import check_same_items
    with pytest.raises(ItemMismatchError, match=f'runs x and y'):
        check_same_items('x', type('M', (), dict(ids=[1, 2]))(), 'y', type('M', (), dict(ids=[1, 2, 3]))())


def test_ties_share_a_rank_untrained_and_degenerate_flags(tmp_path):
    from mobilebench.benchmark.leaderboard import write_leaderboard
    res = str(tmp_path / 'r')
    runs = [write_run(res, 'det', 'a', 0, {'m': 0.5}, seeds=False, untrained={'m': 0.1}),
            write_run(res, 'det', 'b', 0, {'m': 0.5}, seeds=False, untrained={'m': 0.1}),
            write_run(res, 'det', 'c', 0, {'m': 0.4}, seeds=False, untrained={'m': 0.4}),  # = untrained
            write_run(res, 'det2', 'a', 0, {'m': 0.3}, seeds=False),
            write_run(res, 'det2', 'b', 0, {'m': 0.7, 'face/degenerate': 1.0, 'x/degenerate': 0.0}, seeds=False),
            write_run(res, 'det2', 'c', 0, {'m': 0.2}, seeds=False, untrained={'m': 0.1})]
    write_plan(res, dict(det=dict(metric='m'), det2=dict(metric='m')), runs)
    paths = write_leaderboard(res)
    md = open(paths['markdown']).read()
    lines = md.splitlines()
    assert '| 1 | a | 0.5 (1 seed) |' in md and '| 1 | b | 0.5 (1 seed) |' in md  # equal values: rank 1 both
    assert any(ln.startswith('| 3 | c | 0.4 (1 seed) |') and 'no better than untrained (1 of 1 runs)' in ln
               for ln in lines)
    assert sum('no better than untrained' in ln for ln in lines) == 1
    flagged = [ln for ln in md.splitlines() if 'degenerate outputs' in ln]
    assert len(flagged) == 1 and flagged[0].startswith('| 1 | b |') and 'face/degenerate (1 of 1 runs)' in flagged[0]
    assert 'x/degenerate' not in flagged[0]
    # ranks by hand: a = (1 + 2) / 2, b = (1 + 1) / 2, c = (3 + 3) / 2
    assert {s['backbone']: s['mean_rank'] for s in paths['summary']} == {'a': 1.5, 'b': 1.0, 'c': 3.0}
    page = open(paths['html']).read()
    assert '<td class="flag">degenerate outputs: face/degenerate (1 of 1 runs)</td>' in page


def test_published_rows_only_under_a_task_of_their_dataset():
    from mobilebench.benchmark.table import task_rows
    data = dict(runs=[], problems=[], tasks=dict(
        voc=dict(metric='pascal_voc/mAP', published_key='yolov3_416'),
        coco=dict(metric='coco/bbox_mAP', published_key='yolov3_416')))
    voc = [r['source'] for r in task_rows(data, 'voc')]
    coco = [r['source'] for r in task_rows(data, 'coco')]
    # published.py's yolov3_416 rows: AsymmNet Table 10 (VOC07 test) and mmdet's MobileNetV2 YOLOv3 (COCO)
    assert voc and all('VOC' in s and 'COCO' not in s for s in voc)
    assert coco == ['upstream: mmdet yolov3_mobilenetv2_8xb24-ms-416-300e_coco (COCO val2017 (box AP))']
    assert all(r['test_note'] == 'single published value' and r['rank'] is None for r in task_rows(data, 'voc'))


def test_comparisons_config_key(tmp_path, monkeypatch):
    from mobilebench.benchmark.comparisons import default_pairs, resolve_comparisons
    from mobilebench.benchmark.schema import BenchmarkConfigError, validate_benchmark
    from mobilebench.benchmark.spec import load_benchmark
    demo = ['asymmnet_small_x0.5', 'mobilenext_x0.5', 'hbonet_x0.5', 'mobilenetv3_small_x0.5', 'mobilenetv2_x0.5']
    assert default_pairs(demo) == [['asymmnet_small_x0.5', 'mobilenetv3_small_x0.5'],
                                   ['mobilenext_x0.5', 'mobilenetv2_x0.5'], ['hbonet_x0.5', 'mobilenetv2_x0.5']]
    assert default_pairs(['asymmnet_large_x1.0', 'mobilenetv3_small_x1.0', 'hbonet_x0.5', 'mobilenetv2_x1.0']) == []
    got = resolve_comparisons(dict(confidence=0.9), demo)
    assert got['confidence'] == 0.9 and got['resamples'] == 1000 and got['pairs_from'] == 'default rule'
    with pytest.raises(ValueError, match=r"names \['nope'\].*known"):
        resolve_comparisons(dict(pairs=[('nope', 'hbonet_x0.5')]), demo)
    base = dict(backbones=['x'], tasks=dict(t=dict(template='t.py', metric='m', input_shape=(3, 8, 8))))
    for bad, msg in ((dict(confidence=1.5), 'strictly between 0 and 1'), (dict(resamples=10), 'integer >= 100'),
                     (dict(pairs=[('a', 'a')]), 'backbone-name pairs'), (dict(paris=[]), 'did you mean `pairs`')):
        with pytest.raises(BenchmarkConfigError, match=msg):
            validate_benchmark(dict(base, comparisons=bad), 'bench.py')
    monkeypatch.chdir(osp.dirname(osp.dirname(osp.abspath(__file__))))
    bench = load_benchmark('configs/benchmark/demo.py')
    assert [list(p) for p in bench.comparisons.pairs] == default_pairs(demo)
    bad = tmp_path / 'bad.py'
    bad.write_text(open('configs/benchmark/demo.py').read() + "\ncomparisons = dict(pairs=[('mobilenext_x0.5', "
                   "'mobilenetv3_large_x1.0')])\n")
    with pytest.raises(BenchmarkConfigError, match=r"mobilenetv3_large_x1.0.*not backbones of the sweep"):
        load_benchmark(str(bad))


def test_a_metric_failing_on_a_resample_is_listed_not_fatal(tmp_path):
    from mobilebench.benchmark.table import task_rows
    from mobilebench.benchmark.verdicts import analyse

    class NeedsAllItems:  # e.g. re-ID on a resample without any valid query
        higher_is_better, name, n, ids = True, 'm', 20, np.arange(20)

        def __call__(self, idx):
            if len(set(idx.tolist())) < self.n:
                raise ValueError('none of the resampled queries has a valid gallery match')
            return 0.5

    recs = [dict(run_id='t__a', task='t', backbone='a', status='ok', samples='a.npz', metrics={'m': 0.5})]
    data = dict(tasks=dict(t=dict(metric='m')), runs=recs, problems=[], results_dir=str(tmp_path),
                comparisons=dict(resamples=100))
    analyse(data, loader=lambda path, name: NeedsAllItems())
    (problem, ) = data['problems']
    assert problem['kind'] == 'bootstrap' and 'none of the resampled queries' in problem['detail']
    assert task_rows(data, 't')[0]['test'] is None and 'bootstrap failed' in task_rows(data, 't')[0]['test_note']
