"""A tiny but real mmengine task for the benchmark-sweep tests: classify the dominant colour of
16x16 images. Registers a backbone, a classifier, a dataset and a metric in mmengine's root
registries (imported through the toy config's ``custom_imports``)."""
import os
import signal
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dataset import BaseDataset
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseModel, BaseModule
from mmengine.registry import DATASETS, METRICS, MODELS


@MODELS.register_module()
class MBToyBackbone(BaseModule):
    """Two strided convs; ``out_channels`` like the project backbones."""

    def __init__(self, width=8, out_indices=('final', ), init_cfg=None):
        super().__init__(init_cfg)
        if width <= 0:
            raise ValueError(f'MBToyBackbone: width must be positive, got {width}')
        self.conv1 = nn.Conv2d(3, width, 3, 2, 1)
        self.conv2 = nn.Conv2d(width, 2 * width, 3, 2, 1)
        self.out_channels = (2 * width, )

    def forward(self, x):
        return (F.relu(self.conv2(F.relu(self.conv1(x)))), )


@MODELS.register_module()
class MBToyClassifier(BaseModel):

    def __init__(self, backbone, in_channels, num_classes=3):
        super().__init__()
        self.backbone = MODELS.build(backbone)
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, inputs, labels=None, mode='tensor', **kwargs):
        x = inputs.float() / 255.
        logits = self.fc(self.backbone(x)[-1].mean((2, 3)))
        if mode == 'loss':
            return dict(loss=F.cross_entropy(logits, labels))
        if mode == 'predict':
            return [dict(pred=p, gt=g) for p, g in zip(logits.argmax(1), labels)]
        return logits


@DATASETS.register_module()
class MBToyColors(BaseDataset):
    """``n`` noisy 16x16 images, each dominated by red, green or blue (the label).

    ``sigint_in_bare_except=True``: while loading, the process sends itself SIGINT inside a bare ``except:``
    that raises a ``SyntaxError`` instead (what mmengine's ``Config.pretty_text`` does to a Ctrl-C that
    arrives while the Runner logs the config)."""

    def __init__(self, n=48, seed=0, sigint_in_bare_except=False, **kwargs):
        self.n, self.seed, self.sigint_in_bare_except = n, seed, sigint_in_bare_except
        super().__init__(serialize_data=False, lazy_init=False, **kwargs)

    def load_data_list(self):
        if self.sigint_in_bare_except:
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(5)  # the signal arrives long before
            except:  # noqa: E722
                raise SyntaxError('Failed to format the config file')
        rng = np.random.default_rng(self.seed)
        out = []
        for i in range(self.n):
            label = i % 3
            img = rng.integers(0, 120, (3, 16, 16))
            img[label] += 120
            out.append(dict(inputs=torch.from_numpy(img.astype(np.uint8)), labels=label))
        return out


@METRICS.register_module()
class MBToyAccuracy(BaseMetric):
    """Accuracy in %; ``fail_on_call=k`` raises at the k-th evaluation of the process (a late failure)."""
    default_prefix = 'toy'
    calls = 0

    def __init__(self, fail_on_call=None, **kwargs):
        super().__init__(**kwargs)
        self.fail_on_call = fail_on_call

    def process(self, data_batch, data_samples):
        self.results.extend(int(s['pred'] == s['gt']) for s in data_samples)

    def compute_metrics(self, results):
        MBToyAccuracy.calls += 1
        if self.fail_on_call is not None and MBToyAccuracy.calls >= self.fail_on_call:
            raise RuntimeError(f'MBToyAccuracy: failing at evaluation {MBToyAccuracy.calls} as configured')
        return dict(accuracy=100.0 * sum(results) / max(len(results), 1))
