"""Generate the per-backbone re-ID configs of configs/reid/ with literal head widths.

Each file is the Market-1501 task template plus one backbone file, with the head's input width written
as a number computed from the built backbone (its ``out_channels`` at the template's tap, no forward
pass), e.g.::

    _base_ = ['../_base_/tasks/reid_256x128_market1501.py', '../_base_/backbones/hbonet_x0.25.py']
    model = dict(backbone={{_base_.backbone}}, head=dict(in_channels=1600))

The x1.0 models add the paper's extra 30 fine-tuning epochs with a decayed learning rate (HBONet sec. 4.4
extends HBONet (1.0) and MobileNetV2 (1.0); every x1.0 backbone gets it here so the x1.0 rows compare
like for like).

    python tools/misc/generate_reid_configs.py            # write the files
    python tools/misc/generate_reid_configs.py --check    # exit 1 if a committed file is missing/stale

``tests/test_reid.py`` checks that the committed files equal :func:`render_all`.
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import sys
from typing import Dict

from mobilebench.fileio import sync_files

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

TASK = 'reid_256x128_market1501'
PATTERN = 'reid_{backbone}_market1501-256x128.py'
#: HBONet Table 9 (HBONet and MobileNetV2 at four widths) plus the suite's other x1.0 backbones
BACKBONES = (
    'hbonet_x1.0', 'hbonet_x0.5', 'hbonet_x0.25', 'hbonet_x0.1',
    'mobilenetv2_x1.0', 'mobilenetv2_x0.5', 'mobilenetv2_x0.25', 'mobilenetv2_x0.1',
    'asymmnet_large_x1.0', 'asymmnet_small_x1.0', 'mobilenext_x1.0',
)
FINETUNE = ('# the x1.0 models fine-tune another 30 epochs with a decayed learning rate (HBONet sec. 4.4): the\n'
            '# setting max_epochs (docs/settings.md) is 120 and the LR drops at 1/2 and 3/4 of it\n'
            'max_epochs = 120\n'
            'train_cfg = dict(max_epochs=max_epochs)\n'
            "param_scheduler = [dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,\n"
            '                        milestones=[max_epochs // 2, max_epochs * 3 // 4], gamma=0.1)]\n'
            "setting_fields = {'param_scheduler.0.milestones': '[max_epochs // 2, max_epochs * 3 // 4]'}\n")


def head_width(backbone: str) -> int:
    """Width of the feature the template's head reads: the backbone's ``out_channels`` at the template's
    ``out_indices``, last entry."""
    from mmengine.config import Config

    from mobilebench.config import backbone_out_channels
    task = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'tasks', f'{TASK}.py'))
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'backbones', f'{backbone}.py')).backbone.to_dict()
    cfg['out_indices'] = task.model.backbone.out_indices
    return int(backbone_out_channels(cfg)[-1])


def render(backbone: str) -> str:
    """The text of the re-ID config of ``backbone``."""
    text = (f"_base_ = ['../_base_/tasks/{TASK}.py', '../_base_/backbones/{backbone}.py']\n"
            f'model = dict(backbone={{{{_base_.backbone}}}}, head=dict(in_channels={head_width(backbone)}))\n')
    if backbone.endswith('_x1.0'):
        text += FINETUNE
    return text


def render_all() -> Dict[str, str]:
    """Map repo-relative output path -> file text for every backbone of :data:`BACKBONES`."""
    return {osp.join('configs', 'reid', PATTERN.format(backbone=b)): render(b) for b in BACKBONES}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--check', action='store_true', help='only check; exit 1 if a file is missing or stale')
    args = parser.parse_args(argv)
    return sync_files(render_all(), REPO, args.check, 'tools/misc/generate_reid_configs.py')

if __name__ == '__main__':
    sys.exit(main())
