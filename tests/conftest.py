import os
import os.path as osp
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import mobilebench.compat  # noqa: E402,F401  (the test session is an entry point: torch 2.13 / numpy 2 shims)
import torch  # noqa: E402

# Two cores on CI: keep torch from oversubscribing them when tests run model steps.
torch.set_num_threads(int(os.environ.get('MOBILEBENCH_TEST_THREADS', '2')))


@pytest.fixture(scope='session')
def repo_root():
    return ROOT


@pytest.fixture(scope='session')
def shared_realdata():
    path = osp.join(osp.dirname(ROOT), 'shared', 'realdata')
    return path if osp.isdir(path) else None
