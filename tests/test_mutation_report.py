"""The `make mutation` driver's report rewrite (tools/analysis/mutation.py): rows of modules measured elsewhere stay.

In-process and without mutmut: the stored mutant results of the one module measured here are given directly."""
import importlib.util
import json
import os
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='module')
def driver():
    spec = importlib.util.spec_from_file_location('mutation_driver', osp.join(ROOT, 'tools', 'analysis', 'mutation.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


HEADER = ('| module | file | tests (pytest args) | killed / total | kill rate | first measured | survived | no tests | '
          'timeouts | equivalent | CPU s (all runs) | last run |\n|---|---|---|---|---|---|---|---|---|---|---|---|')
KEPT_REID = ('| reid_metrics | mobilebench/reid/metrics.py | test_reid.py `-k` `market1501_metric` | 177/177 | '
             '100.0% | '
             '116/186 (62.4%; tests at 3f7b0bc) | 0 | 0 | 0 | 9 | 306 (lower bound) | 2026-12-03 17:49 UTC |')
KEPT_COMPAT = ('| compat_security (security shims only (weights-only loading, restricted pickle/yaml, image errors)) | '
               'mobilebench/compat.py | x | 40/50 | 80.0% | no baseline run | 10 | 0 | 0 | 0 | 93 | '
               '2026-12-02 10:00 UTC |')
OLD_PICKLE = ('| safe_pickle | mobilebench/safe_pickle.py | old | 1/9 | 11.1% | no baseline run | 8 | 0 | 0 | 0 | 50 | '
              '2026-12-01 09:00 UTC |')


def _doc(table_rows, missing_line):
    return ('# Mutation score\n\nintro\n\n<!-- mutation-table:start (written by tools/analysis/mutation.py) -->\n\n'
            'old header line\n\n' + HEADER + '\n' + '\n'.join(table_rows) + '\n\n' + missing_line + '\n\n'
            '<!-- mutation-table:end -->\n\n## Equivalent mutants\n\n| mutant | reason |\n|---|---|\n')


def test_report_rewrite_keeps_rows_of_modules_measured_elsewhere(driver, tmp_path, monkeypatch):
    doc = tmp_path / 'mutation.md'
    doc.write_text(_doc([KEPT_REID, OLD_PICKLE, KEPT_COMPAT], 'Not measured yet (no mutant run): whatever.'),
                   encoding='utf-8')
    work = tmp_path / 'work'
    os.makedirs(work / 'safe_pickle')
    (work / 'safe_pickle' / 'summary.json').write_text(json.dumps(
        {'cpu_s': 12.4, 'runs': [{'date': '2026-12-03 20:00 UTC', 'tests_at': None}]}))
    statuses = {'mobilebench.safe_pickle.x_a__mutmut_1': 'killed', 'mobilebench.safe_pickle.x_a__mutmut_2': 'killed',
                'mobilebench.safe_pickle.x_a__mutmut_3': 'killed', 'mobilebench.safe_pickle.x_a__mutmut_4': 'survived'}
    monkeypatch.setattr(driver, 'mutant_statuses', lambda m, dest: dict(statuses) if m.name == 'safe_pickle' else {})
    monkeypatch.setattr(driver, '_mutmut_version', lambda: '3.8.1')
    driver.write_report(str(doc), str(work), {})

    new_pickle = ('| safe_pickle | mobilebench/safe_pickle.py | test_hardening.py test_formats_external.py '
                  'test_mutation_kills.py `-k` `test_1_ or pickle or gadget` | 3/4 | 75.0% | no baseline run | 1 | 0 | '
                  '0 | 0 | 12 | 2026-12-03 20:00 UTC |')
    missing = ['face_metrics', 'reid_ranking', 'face_bin_format', 'significance', 'benchmark_records', 'datasets_coco',
               'benchmark_table', 'checkpoint', 'benchmark_claims', 'face_verification', 'datasets_voc',
               'face_recordio']
    missing_line = 'Not measured yet (no mutant run): ' + ', '.join(
        f'{n} ({driver.BY_NAME[n].path})' for n in missing) + '.'
    # CPU: 306 (kept reid_metrics) + 93 (kept compat_security) + 12.4 (safe_pickle here) = 411.4 s = 6.9 min -> "7 min"
    expected_block = ('<!-- mutation-table:start (written by tools/analysis/mutation.py) -->\n\nmutmut 3.8.1; command: '
                      '`make mutation` (= `python tools/analysis/mutation.py --jobs 1`); pytest args of every module: '
                      '`-m not slow -p no:cacheprovider -x -q`; CPU time summed over the modules: 7 min.\n\n'
                      + HEADER + '\n' + '\n'.join([KEPT_REID, new_pickle, KEPT_COMPAT]) + '\n\n' + missing_line
                      + '\n\n<!-- mutation-table:end -->')
    text = doc.read_text(encoding='utf-8')
    assert text == ('# Mutation score\n\nintro\n\n' + expected_block + '\n\n## Equivalent mutants\n\n'
                    '| mutant | reason |\n|---|---|\n')

    # a second rewrite with the same results changes nothing (the rows it keeps are its own output)
    driver.write_report(str(doc), str(work), {})
    assert doc.read_text(encoding='utf-8') == text


def test_report_rows_are_read_by_module_name_only(driver):
    text = _doc([KEPT_REID, '| not_a_module | x | y |', KEPT_COMPAT], 'Not measured yet: x.')
    rows = driver.read_table_rows(text)
    assert rows == {'reid_metrics': KEPT_REID, 'compat_security': KEPT_COMPAT}
    assert driver.read_table_rows('no table here') == {}
    assert driver._row_cpu(KEPT_REID) == 306.0 and driver._row_cpu(KEPT_COMPAT) == 93.0


def test_report_row_of_a_killed_run(driver, tmp_path, monkeypatch):
    """Results stored by mutmut but no finished run on record (the driver was killed): no baseline claimed, the
    CPU time said to be missing, the last run marked killed."""
    doc = tmp_path / 'mutation.md'
    doc.write_text(_doc([], 'x'), encoding='utf-8')
    work = tmp_path / 'work'
    statuses = {'mobilebench.checkpoint.x_f__mutmut_1': 'killed', 'mobilebench.checkpoint.x_f__mutmut_2': 'not checked'}
    monkeypatch.setattr(driver, 'mutant_statuses', lambda m, dest: dict(statuses) if m.name == 'checkpoint' else {})
    monkeypatch.setattr(driver, '_mutmut_version', lambda: '3.8.1')
    driver.write_report(str(doc), str(work), {})
    row = driver.read_table_rows(doc.read_text(encoding='utf-8'))['checkpoint']
    cells = [c.strip() for c in row.strip('|').split('|')]
    assert cells[3:] == ['1/2', '**incomplete** (1 not run yet); 100.0% of the 1 run', 'no baseline run', '0', '0', '0',
                         '0', 'not recorded (run killed)', 'killed']
    # a run on record that never finished
    os.makedirs(work / 'checkpoint')
    (work / 'checkpoint' / 'summary.json').write_text(json.dumps(
        {'cpu_s': 30.0, 'cpu_incomplete': True, 'runs': [{'date': '2026-12-03 21:00 UTC', 'finished': False}]}))
    driver.write_report(str(doc), str(work), {})
    cells = driver.read_table_rows(doc.read_text(encoding='utf-8'))['checkpoint'].strip('|').split('|')
    assert [c.strip() for c in cells[-2:]] == ['30 (lower bound)', '2026-12-03 21:00 UTC (killed)']
