"""docs/paper_check.md: every published complexity figure the suite reproduces keeps being reproduced.

The committed document lists, per table row, whether the suite's count (rounded as the paper printed it)
equals the published value. These tests recount the rows of the cheap tables and fail if a row the document
marks as matching stops matching; the full recount of every table (``--check``) runs under ``-m slow``.
"""
import importlib.util
import os.path as osp
import re
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DOC = osp.join(ROOT, 'docs', 'paper_check.md')
FAST_TABLES = ['AsymmNet Table 7', 'AsymmNet Table 8', 'AsymmNet Table 9',
               pytest.param('AsymmNet Table 6', marks=pytest.mark.slow)]  # 6 ImageNet models


def _tool():
    spec = importlib.util.spec_from_file_location('paper_check', osp.join(ROOT, 'tools', 'analysis', 'paper_check.py'))
    mod = importlib.util.module_from_spec(spec)
    sys.modules['paper_check'] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def committed_matches():
    """{(table, model, width): {'params': bool | None, 'madds': bool | None}} read from the committed doc."""
    out, table = {}, None
    for line in open(DOC, encoding='utf-8').read().splitlines():
        heading = re.match(r'^## (\w+ Table \d+)$', line)
        if heading:
            table = heading.group(1)
            continue
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if table and len(cells) == 12 and cells[0] not in ('row', '---'):
            flag = {'yes': True, '**no**': False, '-': None}
            out[(table, cells[0], cells[1])] = dict(params=flag[cells[7]], madds=flag[cells[11]])
    return out


def test_doc_lists_every_table_with_the_accepted_matches():
    """The acceptance counts, read from the committed document (paper convention for AsymmNet:
    mxnet-summary)."""
    doc = open(DOC, encoding='utf-8').read()
    summary = dict(re.findall(r'^\| (\w+ Table \d+) \| `[\w-]+` \| (.+?) \|', doc, flags=re.M))
    counts = {t: tuple(re.findall(r'(\d+/\d+|not published)', line)) for t, line in
              ((m.group(1), m.group(0)) for m in re.finditer(r'^\| (\w+ Table \d+) \|.*$', doc, flags=re.M))}
    assert set(summary) >= {'AsymmNet Table 5', 'AsymmNet Table 6', 'AsymmNet Table 7', 'AsymmNet Table 8',
                            'AsymmNet Table 9', 'AsymmNet Table 10', 'MobileNeXt Table 3', 'MobileNeXt Table 8',
                            'HBONet Table 2'}
    assert counts['AsymmNet Table 9'] == ('4/4', '4/4')
    assert counts['AsymmNet Table 8'] == ('5/5', '5/5')   # + the ResNet50-v1b row
    assert counts['AsymmNet Table 7'] == ('3/4', '4/4')
    assert counts['AsymmNet Table 10'][0] == '5/5'
    # every figure that does not match has a reason
    assert 'no explanation recorded' not in doc


@pytest.mark.parametrize('table', FAST_TABLES)
def test_matching_rows_still_match(table):
    tool = _tool()
    committed = committed_matches()
    rows = [r for r in tool.rows() if f'{r.paper} {r.table}' == table]
    assert rows
    for row in rows:
        want = committed.get((table, row.model, row.width))
        assert want is not None, f'{table} {row.model} is not in {DOC}: regenerate it'
        got = tool.check_row(row)
        for metric in ('params', 'madds'):
            if want[metric]:
                assert got[metric]['match'], (table, row.model, metric, got[metric])


def test_published_values_are_read_from_the_tsv():
    tool = _tool()
    row = next(r for r in tool.rows() if (r.table, r.model) == ('Table 9', 'AsymmNet-s'))
    pub = tool.published(row)
    assert (pub['params'].value, pub['params'].unit, pub['madds'].value) == ('1.7', 'M', '310.7')


@pytest.mark.slow
def test_committed_doc_is_current():
    assert _tool().main(['--check', DOC]) == 0
