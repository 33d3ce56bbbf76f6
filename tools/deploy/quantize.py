#!/usr/bin/env python
"""INT8 post-training quantization (ONNX Runtime static quantization) and its accuracy beside FP32.

Classification (top-1 / top-5 on an ImageNet-format folder ``root/<class>/<image>``)::

    python tools/deploy/quantize.py classify BACKBONE CHECKPOINT --val VAL_DIR --calib TRAIN_DIR \\
        --out-dir DIR [--num-calib 300] [--input-size 224] [--per-tensor] [--method minmax]

Task models (mmdet single-stage detectors: VOC/COCO mAP; the suite's face recognizer: verification
accuracy), scored by the config's own test loop and evaluator::

    python tools/deploy/quantize.py task CONFIG CHECKPOINT --out-dir DIR [--num-calib 300] \\
        [--cfg-options KEY=VALUE ...]

BACKBONE is a backbone file name (``mobilenext_x1.0``) or ``<name>_x<width>``; CHECKPOINT holds
``backbone.*`` and ``head.*`` (what tools/model_converters/* write, or a suite training checkpoint).
Writes ``DIR/<name>_fp32.onnx``, ``DIR/<name>_int8.onnx`` and ``DIR/quantization.json`` (metrics of
eager PyTorch, the FP32 ONNX model and the INT8 model on ONNX Runtime, and the INT8 drop). Calibration
uses ``--num-calib`` training images (classify: drawn from ``--calib`` with ``--seed``; task: the first
images of the config's train dataloader, its augmentation included); nothing is retrained.
"""
import argparse
import datetime
import os
import os.path as osp
import sys



def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='mode', required=True)
    c = sub.add_parser('classify', help='an ImageNet-style classifier on an image folder')
    c.add_argument('backbone')
    c.add_argument('checkpoint')
    c.add_argument('--val', required=True, help='ImageNet-format folder to score (root/<class>/<image>)')
    c.add_argument('--calib', required=True, help='ImageNet-format folder of training images to calibrate on')
    c.add_argument('--input-size', type=int, default=224)
    c.add_argument('--max-val', type=int, default=None, help='score a seeded subset of this many images')
    c.add_argument('--batch-size', type=int, default=32)
    t = sub.add_parser('task', help='a detector or face recognizer through its config\'s test loop')
    t.add_argument('config')
    t.add_argument('checkpoint')
    t.add_argument('--cfg-options', nargs='+', default=[], help='KEY=VALUE overrides of the config')
    for q in (c, t):
        q.add_argument('--out-dir', required=True)
        q.add_argument('--num-calib', type=int, default=300, help='calibration images (training data)')
        q.add_argument('--per-tensor', action='store_true', help='one weight scale per tensor, not per channel')
        q.add_argument('--method', choices=['minmax', 'entropy', 'percentile'], default='minmax')
        q.add_argument('--symmetric', action='store_true', help='signed symmetric INT8 activations')
        q.add_argument('--threads', type=int, default=1)
        q.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    if args.num_calib < 1:
        p.error('--num-calib must be >= 1')
    return args


def _cfg_options(items):
    from mmengine.config import DictAction
    ns = argparse.Namespace()
    DictAction(option_strings=[], dest='o')(None, ns, items)
    return ns.o


def classify(args):
    from backbones.convert.common import load_checkpoint_file
    from mobilebench.deploy import build_named_model, export_onnx
    from mobilebench.engines import OrtRunner, TorchRunner
    from mobilebench.quantize import evaluate_classifier, imagenet_folder, load_folder_images, quantize_int8
    state = load_checkpoint_file(args.checkpoint)
    if 'head.fc.weight' not in state:
        raise KeyError(f'{args.checkpoint}: no head.fc.weight; expected backbone.* and head.* keys '
                       f'(convert official weights with tools/model_converters/<family>.py)')
    num_classes = int(state['head.fc.weight'].shape[0])
    model = build_named_model(args.backbone, 'classifier', num_classes)
    model.load_state_dict(state, strict=True)
    model.eval()

    val_samples, val_classes = imagenet_folder(args.val)
    calib_samples, calib_classes = imagenet_folder(args.calib)
    if len(val_classes) != num_classes:
        raise ValueError(f'{args.val}: {len(val_classes)} class folders, but {args.checkpoint} has '
                         f'{num_classes} classes')
    size = args.input_size
    images, labels = load_folder_images(val_samples, size, args.max_val, args.seed)
    calib, _ = load_folder_images(calib_samples, size, args.num_calib, args.seed)

    name = osp.basename(args.backbone).replace('.py', '')
    fp32 = osp.join(args.out_dir, f'{name}_fp32.onnx')
    int8 = osp.join(args.out_dir, f'{name}_int8.onnx')
    export_onnx(model, (1, 3, size, size), fp32, dynamic_batch=True)
    qinfo = quantize_int8(fp32, int8, (calib[i:i + 16] for i in range(0, len(calib), 16)),
                          per_channel=not args.per_tensor, method=args.method,
                          symmetric_activations=args.symmetric)
    results = dict(
        torch=evaluate_classifier(TorchRunner(model, name, args.threads), images, labels, args.batch_size),
        onnxruntime_fp32=evaluate_classifier(OrtRunner(fp32, name, args.threads), images, labels, args.batch_size),
        onnxruntime_int8=evaluate_classifier(OrtRunner(int8, name, args.threads), images, labels, args.batch_size))
    return dict(task='classification', model=name, metric='top1', data=dict(val=args.val, calib=args.calib),
                files=dict(fp32=fp32, int8=int8), quantization=qinfo, results=results,
                sizes_bytes=dict(fp32=os.path.getsize(fp32), int8=os.path.getsize(int8)))


def task(args):
    import mobilebench.compat  # noqa: F401  (torch 2.13 / numpy 2 shims for the pinned stack)
    import mobilebench.face  # noqa: F401
    from mobilebench.config import load_config
    from mobilebench.deploy_figures import evaluate_int8_with_runner
    from mobilebench.runner_utils import build_runner
    cfg = load_config(args.config, _cfg_options(args.cfg_options) if args.cfg_options else None)
    cfg.work_dir = osp.join(args.out_dir, 'work_dir')
    cfg.load_from = args.checkpoint
    cfg.launcher = 'none'
    if cfg.get('test_dataloader') is not None:
        cfg.test_dataloader['num_workers'] = 0
        cfg.test_dataloader['persistent_workers'] = False
    runner = build_runner(cfg)
    torch_metrics = runner.test()
    name = osp.splitext(osp.basename(args.config))[0]
    res = evaluate_int8_with_runner(runner, args.out_dir, name, args.num_calib, per_channel=not args.per_tensor,
                                    method=args.method, symmetric_activations=args.symmetric,
                                    threads=args.threads, seed=args.seed)
    res['results']['torch'] = {m: float(v) for m, v in torch_metrics.items() if isinstance(v, (int, float))}
    metric = next(iter(res['results']['torch']))
    return dict(res, task=res.pop('kind'), model=name, config=args.config, checkpoint=args.checkpoint,
                metric=metric)


def main(argv=None):
    args = parse_args(argv)
    import torch

    from mobilebench.engines import engine_version
    from mobilebench.fileio import atomic_write_json
    torch.manual_seed(args.seed)
    os.makedirs(args.out_dir, exist_ok=True)
    out = classify(args) if args.mode == 'classify' else task(args)
    metric = out['metric']
    fp32, int8 = out['results']['onnxruntime_fp32'].get(metric), out['results']['onnxruntime_int8'].get(metric)
    out['int8_drop'] = None if fp32 is None or int8 is None else fp32 - int8
    out['engine'] = engine_version('onnxruntime')
    out['date'] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')
    out['command'] = 'python tools/deploy/quantize.py ' + ' '.join(sys.argv[1:] if argv is None else argv)
    path = atomic_write_json(osp.join(args.out_dir, 'quantization.json'), out)
    print(f'{out["model"]}: {metric} torch {out["results"]["torch"].get(metric)}, ONNX FP32 {fp32}, '
          f'INT8 {int8} (drop {out["int8_drop"]}); written to {path}')
    return out


if __name__ == '__main__':
    main()
