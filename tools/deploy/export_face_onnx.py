#!/usr/bin/env python
"""Export a trained face recognizer to ONNX for insightface's ``ArcFaceONNX`` / ``get_model``.

    python tools/deploy/export_face_onnx.py CONFIG CHECKPOINT OUT.onnx [--opset 17] [--verify]

The graph takes a float NCHW RGB batch already normalised as ``(x - 127.5) / 127.5`` (the suite's
data preprocessor), which is exactly what ``ArcFaceONNX`` feeds a graph that does not start with
Sub/Mul nodes (its default ``input_mean = input_std = 127.5``, ``swapRB=True``), and returns the
512-d embedding (not normalised; insightface normalises when comparing). The batch axis is dynamic.
"""
import argparse


def build_model(config, checkpoint=None, cfg_options=None):
    import torch
    from mmengine.registry import init_default_scope

    import mobilebench.compat  # noqa: F401  (torch 2.13 / numpy 2 shims for the pinned stack)
    import mobilebench.face  # noqa: F401
    from mobilebench.checkpoint import check_checkpoint_fits, state_dict_of
    from mobilebench.config import load_config
    from mobilebench.registry import MODELS
    cfg = load_config(config, cfg_options)
    init_default_scope(cfg.get('default_scope', 'mobilebench'))
    model_cfg = cfg.model.to_dict() if hasattr(cfg.model, 'to_dict') else dict(cfg.model)
    model_cfg['loss'] = None  # the class centres are not part of the deployed model
    model = MODELS.build(model_cfg)
    if checkpoint:  # every tensor must fit (names and shapes); the class centres are not deployed
        ckpt = torch.load(checkpoint, map_location='cpu', weights_only=True)
        state = state_dict_of(ckpt)
        for key in [k for k in state if k.startswith('loss_module.')]:
            del state[key]
        check_checkpoint_fits(model, state, checkpoint, f'the model of {config}')
        model.load_state_dict(state, strict=True)
    model.eval()
    return model, cfg


def export(model, out_path, image_size=112, opset=17):
    """Export ``model`` (a FaceRecognizer) to ``out_path``; returns the path."""
    import torch

    class Embedder(torch.nn.Module):
        def __init__(self, recognizer):
            super().__init__()
            self.backbone = recognizer.backbone
            self.head = recognizer.head

        def forward(self, x):
            feats = self.backbone(x)
            if isinstance(feats, (tuple, list)):
                feats = feats[-1]
            return self.head(feats)

    net = Embedder(model).eval()
    dummy = torch.zeros(1, 3, image_size, image_size)
    torch.onnx.export(net, (dummy, ), out_path, input_names=['input.1'], output_names=['embedding'],
                      dynamic_axes={'input.1': {0: 'batch'}, 'embedding': {0: 'batch'}}, opset_version=opset,
                      dynamo=False)
    check_insightface_compatible(out_path)
    return out_path


def check_insightface_compatible(path):
    """ArcFaceONNX treats graphs whose first 8 nodes include both Sub and Mul as MXNet exports with
    raw 0..255 input; make sure ours is not mistaken for one."""
    import onnx
    nodes = onnx.load(path).graph.node[:8]
    names = [n.name for n in nodes]
    sub = any(n.startswith(('Sub', '_minus')) for n in names)
    mul = any(n.startswith(('Mul', '_mul')) for n in names)
    if sub and mul:
        raise RuntimeError(f'{path}: the first ONNX nodes {names} look like an MXNet export to insightface; '
                           f'ArcFaceONNX would feed raw pixels')


def main(argv=None):
    parser = argparse.ArgumentParser(description='Export a face recognizer to ONNX (insightface-compatible)')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('out')
    parser.add_argument('--opset', type=int, default=17)
    parser.add_argument('--image-size', type=int, default=112)
    args = parser.parse_args(argv)
    model, _ = build_model(args.config, args.checkpoint)
    export(model, args.out, args.image_size, args.opset)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
