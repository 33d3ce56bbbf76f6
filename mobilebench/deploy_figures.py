"""Deployment figures of a trained task model, for the benchmark record (``record['deploy']``).

:func:`deployment_figures` is what the benchmark runner calls after testing a run (one function, one
dict): batch-1 latency of the task network on each inference engine, measured interleaved, and
optionally the INT8 post-training-quantized model's metrics beside the FP32 ONNX model's, scored by the
task's own test loop (:func:`evaluate_int8_with_runner`).
"""
from __future__ import annotations

import copy
import os
import os.path as osp
import tempfile
from typing import Dict, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn

from mobilebench.engines import ENGINES, EngineOpError, build_runner, check_engine, max_relative_error


def _network(model: nn.Module, input_shape: Sequence[int], toolbox: str):
    """(network, batch-1 input shape, scope): the whole network (one frame for a clip model) when it
    runs as one tensor-in / tensors-out module, else the backbone on one frame."""
    from mobilebench.benchmark.measure import backbone_input_shape, find_backbone
    from mobilebench.deploy import TensorNetwork
    model = getattr(model, 'module', model)
    net = TensorNetwork(copy.deepcopy(model).cpu().eval(), toolbox).eval()
    shape = (1, *backbone_input_shape(input_shape))
    try:
        with torch.no_grad():
            net(torch.zeros(*shape))
        return net, shape, 'model'
    except Exception:  # noqa: BLE001 - models without a plain tensor mode: time the backbone
        backbone = find_backbone(model)
        if backbone is None:
            raise
        return copy.deepcopy(backbone).cpu().eval(), (1, *backbone_input_shape(input_shape)), 'backbone'


def network_latency(model: nn.Module, input_shape: Sequence[int], engines: Sequence[str] = ENGINES,
                    warmup: int = 3, repeats: int = 10, threads: int = 1, work_dir: Optional[str] = None,
                    toolbox: str = 'mmdet') -> Dict:
    """Median batch-1 latency of ``model``'s network on each engine (conv+BN folded, interleaved);
    ``toolbox`` is the model's ``default_scope`` (how its network is called).

    Returns:
        ``dict(scope, input_shape, engines={engine: {median_ms, ..., version, max_rel_error_vs_eager}
        or {error}})``; an operator an engine lacks is recorded as that engine's ``error``.
    """
    from mobilebench.latency import machine_info, time_interleaved
    for e in engines:
        check_engine(e)
    net, shape, scope = _network(model, input_shape, toolbox)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    with torch.no_grad():
        out = net(torch.from_numpy(x))
    ref = [t.numpy() for t in (out if isinstance(out, (tuple, list)) else (out, ))]
    result = dict(scope=scope, input_shape=list(shape), threads=threads, machine=machine_info(), engines={})
    runners = {}
    with tempfile.TemporaryDirectory(prefix='mobilebench_deploy_') as tmp:
        onnx_path = None
        for engine in engines:
            try:
                runner = build_runner(engine, net, shape, work_dir or tmp, 'network', threads, onnx_path=onnx_path)
            except EngineOpError as exc:
                result['engines'][engine] = dict(error=str(exc))
                continue
            except Exception as exc:  # noqa: BLE001 - export/conversion failure is a result, not a crash
                result['engines'][engine] = dict(error=f'{type(exc).__name__}: {exc}'[:500])
                continue
            onnx_path = getattr(runner, 'path', onnx_path) if engine == 'onnxruntime' else onnx_path
            result['engines'][engine] = dict(version=runner.version,
                                             max_rel_error_vs_eager=max_relative_error(ref, runner(x)))
            runners[engine] = runner
        if runners:
            stats = time_interleaved(runners, {e: x for e in runners}, warmup, repeats)
            for engine, s in stats.items():
                result['engines'][engine].update(s)
    return result


def evaluate_int8_with_runner(runner, out_dir: str, name: str, num_calib: int = 300, per_channel: bool = True,
                              method: str = 'minmax', symmetric_activations: bool = False, threads: int = 1,
                              seed: int = 0) -> Dict:
    """FP32 ONNX and INT8 ONNX metrics of an mmengine Runner's (trained) model on its test loop.

    The network (detector: backbone+neck+head; face: backbone+embedding head) is exported to
    ``out_dir/<name>_fp32.onnx``, quantized with :func:`mobilebench.quantize.quantize_int8` on
    ``num_calib`` images of the config's train dataloader, and each file is scored by the runner's own
    test loop and evaluator (:func:`mobilebench.quantize.attach_onnx`). ``runner.model`` is restored.
    """
    from mmengine.runner import Runner

    from mobilebench.quantize import attach_onnx, calibration_batches_from_loader, export_task_onnx, quantize_int8
    os.makedirs(out_dir, exist_ok=True)
    original = runner.model
    base = copy.deepcopy(getattr(original, 'module', original)).cpu().eval()
    batch = next(iter(runner.test_dataloader))
    shape = tuple(base.data_preprocessor(batch, False)['inputs'].shape[1:])
    fp32 = osp.join(out_dir, f'{name}_fp32.onnx')
    int8 = osp.join(out_dir, f'{name}_int8.onnx')
    exported = export_task_onnx(base, (1, *shape), fp32)
    loader_cfg = copy.deepcopy(runner.cfg.train_dataloader)
    loader_cfg['num_workers'] = 0
    loader_cfg['persistent_workers'] = False
    loader = Runner.build_dataloader(loader_cfg, seed=seed)
    qinfo = quantize_int8(fp32, int8, calibration_batches_from_loader(base, loader, num_calib),
                          per_channel=per_channel, method=method, symmetric_activations=symmetric_activations)
    results = {}
    try:
        for key, path in (('onnxruntime_fp32', fp32), ('onnxruntime_int8', int8)):
            runner.model = attach_onnx(copy.deepcopy(base), path, exported['template'], threads)
            metrics = runner.test()
            results[key] = {m: float(v) for m, v in metrics.items() if isinstance(v, (int, float))}
    finally:
        runner.model = original
    return dict(kind=exported['kind'], input_shape=list(shape), quantization=qinfo, results=results,
                files=dict(fp32=fp32, int8=int8),
                sizes_bytes=dict(fp32=os.path.getsize(fp32), int8=os.path.getsize(int8)))


def deployment_figures(runner, input_shape: Sequence[int], metric: Optional[str] = None,
                       engines: Sequence[str] = ENGINES, warmup: int = 3, repeats: int = 10, threads: int = 1,
                       int8: Optional[Dict] = None, out_dir: Optional[str] = None) -> Dict:
    """Everything the leaderboard's deployment columns need, for one finished run.

    Args:
        runner: the run's mmengine Runner, after testing (its model holds the trained weights).
        input_shape: the task's input shape without batch (``(3, H, W)`` or ``(T, 3, H, W)``).
        metric: the task's headline metric (for ``int8['drop']``).
        engines: engines to time.
        warmup, repeats, threads: latency settings.
        int8: ``None`` for no quantization, else keyword arguments of
            :func:`evaluate_int8_with_runner` (``num_calib``, ``per_channel``, ``method``...).
        out_dir: where the ONNX files go (default: ``<work_dir>/deploy``).

    Returns:
        ``dict(latency=network_latency(...), int8=None | {..., fp32, int8, drop})``; failures are
        recorded as ``error`` strings, never raised.
    """
    out = dict(latency=None, int8=None)
    try:
        out['latency'] = network_latency(runner.model, input_shape, engines, warmup, repeats, threads,
                                         toolbox=runner.cfg.get('default_scope', 'mmengine'))
    except Exception as exc:  # noqa: BLE001
        out['latency'] = dict(error=f'{type(exc).__name__}: {exc}'[:500])
    if int8 is not None:
        try:
            res = evaluate_int8_with_runner(runner, out_dir or osp.join(runner.work_dir, 'deploy'), 'model',
                                            threads=threads, **int8)
            fp, q = res['results']['onnxruntime_fp32'], res['results']['onnxruntime_int8']
            res.update(metric=metric, fp32=fp.get(metric), int8=q.get(metric))
            res['drop'] = None if res['fp32'] is None or res['int8'] is None else res['fp32'] - res['int8']
            out['int8'] = res
        except Exception as exc:  # noqa: BLE001
            out['int8'] = dict(error=f'{type(exc).__name__}: {exc}'[:500])
    return out
