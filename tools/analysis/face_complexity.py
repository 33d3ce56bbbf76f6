#!/usr/bin/env python
"""Params / MAdds of the deployed face recognizers at 112x112, next to AsymmNet's Table 7.

    python tools/analysis/face_complexity.py [CONFIG ...] [--out docs/benchmarks/face_complexity.json]

Counts what runs at inference: the backbone layers up to the tapped one ('s16'; deeper layers are
built but never executed, so they are not counted) + the GDC head. The ArcFace class centres
(``num_classes x 512``, training only) are excluded. MAdds = multiply-adds of convs and linears
(``mobilebench.complexity``). Also reported without the final ``Linear(512, 512)`` embedding layer,
which is one plausible reading of the paper's figures.
"""
import argparse
import glob
import json
import os
import os.path as osp


PAPER_TABLE7 = {  # AsymmNet paper, Table 7 (MS1M, 112x112): MAdds, params
    'asymmnet_small_x1.0': (10.3e6, 0.3e6),
    'asymmnet_large_x1.0': (41.6e6, 1.1e6),
}


def face_complexity(config):
    import torch.nn as nn

    import mobilebench.face  # noqa: F401
    from mobilebench.complexity import count_madds, count_params
    from mobilebench.config import load_config
    from mobilebench.registry import MODELS
    cfg = load_config(config)
    model_cfg = cfg.model.to_dict()
    model_cfg['loss'] = None
    model = MODELS.build(model_cfg).eval()

    class Embed(nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, x):
            return self.model(x, mode='tensor')

    size = cfg.get('input_size', 112)
    madds, per = count_madds(Embed(), (3, size, size), by_module=True)
    bb = model.backbone
    if hasattr(bb, 'layer_names'):  # MobileBackbone: only the layers that run
        used = bb.layer_names[:bb.out_indices[-1] + 1]
        bb_params = sum(count_params(getattr(bb, n), trainable_only=False) for n in used)
    else:  # mmdet-derived MobileNetV2: forward also stops at the last out index
        names = ['conv1'] + list(bb.layers)[:max(bb.out_indices) + 1]
        bb_params = sum(count_params(getattr(bb, n), trainable_only=False) for n in names)
    head_params = count_params(model.head, trainable_only=False)
    fc = model.head.fc
    fc_params = fc.weight.numel()
    fc_madds = per.get('model.head.fc', 0)
    name = cfg.get('backbone_name', osp.basename(config))
    row = dict(config=config, backbone=name, input=[3, size, size], tap=list(cfg.model.backbone.out_indices),
               madds=madds, params=bb_params + head_params, backbone_params=bb_params, head_params=head_params,
               madds_without_emb_fc=madds - fc_madds, params_without_emb_fc=bb_params + head_params - fc_params)
    if name in PAPER_TABLE7:
        row['paper_madds'], row['paper_params'] = PAPER_TABLE7[name]
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description='Face recognizer complexity at 112x112')
    parser.add_argument('configs', nargs='*')
    parser.add_argument('--out', default=None)
    args = parser.parse_args(argv)
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    configs = args.configs or sorted(glob.glob(osp.join(root, 'configs', 'face', '*.py')))
    rows = [face_complexity(c) for c in configs]
    print(f'{"backbone":<26}{"MAdds":>9}{"params":>9}{"-embFC MAdds":>14}{"-embFC params":>15}{"paper":>16}')
    for r in rows:
        paper = (f'{r["paper_madds"] / 1e6:.1f}M/{r["paper_params"] / 1e6:.1f}M' if 'paper_madds' in r else '')
        print(f'{r["backbone"]:<26}{r["madds"] / 1e6:>8.1f}M{r["params"] / 1e6:>8.2f}M'
              f'{r["madds_without_emb_fc"] / 1e6:>13.1f}M{r["params_without_emb_fc"] / 1e6:>14.2f}M{paper:>16}')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        for r in rows:
            r['config'] = osp.relpath(r['config'], root)
        with open(args.out, 'w') as f:
            json.dump(rows, f, indent=2)
            f.write('\n')
    return rows


if __name__ == '__main__':
    main()
