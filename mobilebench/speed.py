"""Training and inference throughput of a config: the model step alone, the full step with the config's
data pipeline and loader workers, and inference, for one or several *variants* of the same config measured
side by side (interleaved repeat by repeat, so that a ratio between variants holds on a loaded machine).

Variants (:data:`VARIANTS`):

- ``upstream``: the config as it is (the plain OpenMMLab components).
- ``fast``: the same mathematics, computed faster (:func:`apply_variant` lists what it changes): the
  batched-target heads of :mod:`mobilebench.models` for YOLOv3 and SSD, torch's fused optimizer kernels
  (SGD/Adam/AdamW ``fused=True``, CPU and CUDA), and channels-last activations on CUDA. Both variants start from the same
  weights, and the JSON records the losses of their first step on the same batch, so that a reader can
  check that they agree.

:func:`measure_speed` is the one entry point (``tools/analysis/speed.py`` and the benchmark runner call it);
it returns a JSON-ready dict with the device, the versions and the figures.
"""
from __future__ import annotations

import contextlib
import copy
import platform
import statistics
import time
from typing import Callable, Dict, List, Optional, Sequence

import torch

VARIANTS = ('upstream', 'fast')
MODES = ('model_step', 'full_step', 'inference', 'head_loss')
FAST_HEADS = {'YOLOV3Head': 'mobilebench.FastYOLOV3Head', 'SSDHead': 'mobilebench.FastSSDHead'}


def _use_channels_last(device: str, channels_last: Optional[bool]) -> bool:
    """``None`` (default): on CUDA only. On a CPU it is opt-in (``--channels-last on``) and not part of ``fast``:
    torch's channels-last batch-norm kernel on CPU computes the batch statistics less precisely than the
    contiguous one (about 100x the rounding error of the batch mean and variance), which through a randomly
    initialised detector moves the gradients far outside 1e-4 of upstream's, for a model step at most about
    1.3x faster (docs/benchmarks/README.md)."""
    return device.startswith('cuda') if channels_last is None else bool(channels_last)


def apply_variant(cfg, variant: str, device: str = 'cpu', channels_last: Optional[bool] = None) -> List[str]:
    """Edit ``cfg`` (an mmengine Config, in place) for ``variant``; return what was changed, in words.

    Config-level changes only; :func:`prepare_model` applies the model-level ones."""
    if variant not in VARIANTS:
        raise ValueError(f'unknown variant {variant!r}; choose from {VARIANTS}')
    changes: List[str] = []
    if variant == 'upstream':
        return changes
    head = cfg.model.get('bbox_head')
    if head is not None and str(head.get('type', '')).split('.')[-1] in FAST_HEADS:
        old = head['type']
        head['type'] = FAST_HEADS[str(old).split('.')[-1]]
        changes.append(f'model.bbox_head.type: {old} -> {head["type"]} (batched targets)')
    optimizer = cfg.get('optim_wrapper', {}).get('optimizer')
    if optimizer is not None and str(optimizer.get('type')) in ('SGD', 'Adam', 'AdamW') \
            and 'fused' not in optimizer and 'foreach' not in optimizer:
        optimizer['fused'] = True
        changes.append(f'optim_wrapper.optimizer.fused=True ({optimizer["type"]}: one fused kernel per update)')
    if _use_channels_last(device, channels_last):
        changes.append('channels_last memory format (model and inputs)')
    return changes


def prepare_model(model: torch.nn.Module, variant: str, device: str,
                  channels_last: Optional[bool] = None) -> torch.nn.Module:
    model = model.to(device)
    if variant == 'fast' and _use_channels_last(device, channels_last):
        model = model.to(memory_format=torch.channels_last)
    return model


def device_info(device: str) -> Dict:
    """Where the figures come from: device name, core/thread counts and the versions of the stack."""
    from mobilebench.latency import cpu_name
    info = dict(device=device, torch=torch.__version__, python=platform.python_version(),
                cpu=cpu_name(), cpu_count=__import__('os').cpu_count(), torch_threads=torch.get_num_threads())
    if device.startswith('cuda'):
        info['gpu'] = torch.cuda.get_device_name(device)
        info['cuda'] = torch.version.cuda
        info['cudnn'] = torch.backends.cudnn.version()
    for name in ('mmengine', 'mmcv', 'mmdet', 'mmpose', 'mmaction'):
        try:
            info[name] = __import__(name).__version__
        except Exception:  # noqa: BLE001 - a toolbox that is absent or fails to import is simply not listed
            pass
    try:
        with open('/proc/loadavg') as f:
            info['loadavg_1_5_15'] = [float(x) for x in f.read().split()[:3]]
    except OSError:
        pass
    return info


def _sync(device: str) -> Callable[[], None]:
    return torch.cuda.synchronize if device.startswith('cuda') else (lambda: None)


def _autocast(device: str, precision: str):
    if precision == 'fp32':
        return contextlib.nullcontext()
    if precision == 'amp':
        return torch.autocast(device_type='cuda' if device.startswith('cuda') else 'cpu', dtype=torch.bfloat16)
    raise ValueError(f'precision must be fp32 or amp, got {precision!r}')


def _summary(times: Sequence[float], batch: int) -> Dict:
    ordered = sorted(times)
    med = statistics.median(times)
    return dict(median_s=med, mean_s=statistics.fmean(times), min_s=ordered[0],
                p90_s=ordered[int(0.9 * (len(ordered) - 1))], repeats=len(times), batch_size=batch,
                samples_per_s=batch / med)


def _batch_size(data) -> int:
    inputs = data['inputs'] if isinstance(data, dict) else data
    return len(inputs)


def _loader(cfg, key: str, batch_size: int, workers: Optional[int], seed: int):
    from mmengine.runner import Runner
    loader_cfg = copy.deepcopy(cfg.get(key))
    if loader_cfg is None:
        raise ValueError(f'{cfg.filename}: no {key} in the config')
    loader_cfg['batch_size'] = batch_size
    if workers is not None:
        loader_cfg['num_workers'] = workers
    if loader_cfg.get('num_workers', 0) == 0:
        loader_cfg['persistent_workers'] = False
    return Runner.build_dataloader(loader_cfg, seed=seed)


def _first_batch(loader, batch_size: int, key: str, filename: str):
    data = next(iter(loader))
    if _batch_size(data) != batch_size:
        raise ValueError(f'{filename}: {key} gave a batch of {_batch_size(data)} samples, fewer than '
                         f'--batch-size {batch_size}; point data_root at a larger dataset or lower the batch size')
    return data


def _forever(loader):
    while True:
        yield from loader


def measure_speed(cfg, device: str = 'cpu', variants: Sequence[str] = ('upstream', ), modes: Sequence[str] = MODES,
                  batch_size: Optional[int] = None, precision: str = 'fp32', warmup: int = 3, repeats: int = 10,
                  workers: Optional[int] = None, threads: Optional[int] = None, seed: int = 0,
                  channels_last: Optional[bool] = None, progress: bool = True) -> Dict:
    """Measure throughput of ``cfg`` (a loaded config, see :func:`mobilebench.config.load_config`).

    Args:
        cfg: the config; its train (and for ``inference`` test) dataloader must point at existing data.
        device: ``'cpu'`` or ``'cuda[:i]'``.
        variants: any of :data:`VARIANTS`; several are measured interleaved, repeat by repeat.
        modes: any of :data:`MODES`. ``model_step``: ``model.train_step`` (data preprocessor, forward,
            losses, backward, optimizer step) on one prefetched batch; ``full_step``: the same fed by the
            config's train dataloader (its workers; ``workers`` overrides ``num_workers``); ``inference``:
            ``model.test_step`` on one prefetched test batch, without gradients; ``head_loss`` (detectors
            only): the dense head's targets, losses and their backward, from fixed head outputs (the part
            the fast heads change, without the network around it).
        batch_size: images (clips, crops) per step; default: the config's train batch size.
        precision: ``'fp32'`` or ``'amp'`` (autocast to bfloat16, on CPU and CUDA).
        warmup, repeats: untimed and timed steps (per variant and mode); the median is reported.
        threads: ``torch.set_num_threads`` for the measurement (restored afterwards).
        channels_last: channels-last memory format in the fast variant; ``None``: on CUDA only.

    Returns:
        dict(config, device info, settings, ``results[variant][mode]`` = timing summary with
        ``samples_per_s``, ``changes[variant]``, ``first_step_losses[variant]``, and, when both variants
        are measured, ``speedup[mode]`` = fast / upstream and ``gradient_agreement[variant]`` (training
        modes: :func:`gradient_agreement` of the variant's parameter gradients on the first batch against
        upstream's, from the same weights)).
    """
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import MODELS, init_default_scope
    from mmengine.runner import set_random_seed

    import mobilebench.models  # noqa: F401  (the fast heads' registry entries)

    for m in modes:
        if m not in MODES:
            raise ValueError(f'unknown mode {m!r}; choose from {MODES}')
    if warmup < 0 or repeats < 1:
        raise ValueError(f'warmup must be >= 0 and repeats >= 1, got {warmup}, {repeats}')
    if device.startswith('cuda') and not torch.cuda.is_available():
        raise RuntimeError('device cuda requested but torch.cuda.is_available() is False')
    previous_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    used_threads = torch.get_num_threads()
    batch_size = int(batch_size or cfg.train_dataloader.batch_size)
    sync = _sync(device)
    init_default_scope(cfg.get('default_scope', 'mmengine'))

    states = {}
    reference_weights = None
    for variant in variants:
        vcfg = copy.deepcopy(cfg)
        changes = apply_variant(vcfg, variant, device, channels_last)
        set_random_seed(seed)
        model = MODELS.build(vcfg.model)
        if reference_weights is None:
            reference_weights = copy.deepcopy(model.state_dict())
        else:  # every variant starts from the same weights
            model.load_state_dict(reference_weights)
        model = prepare_model(model, variant, device, channels_last)
        optim = build_optim_wrapper(model, copy.deepcopy(vcfg.optim_wrapper))
        states[variant] = dict(cfg=vcfg, model=model, optim=optim, changes=changes)

    result = dict(config=cfg.filename, variants=list(variants), modes=list(modes), batch_size=batch_size,
                  precision=precision, warmup=warmup, repeats=repeats, seed=seed,
                  workers=workers if workers is not None else cfg.train_dataloader.get('num_workers', 0),
                  changes={v: s['changes'] for v, s in states.items()}, results={v: {} for v in variants},
                  first_step_losses={})
    try:
        train_batch = None
        if {'model_step', 'full_step', 'head_loss'} & set(modes):
            loader = _loader(cfg, 'train_dataloader', batch_size, 0, seed)
            train_batch = _first_batch(loader, batch_size, 'train_dataloader', cfg.filename)

        def train_step(variant, data):
            s = states[variant]
            s['model'].train()
            with _autocast(device, precision):
                log_vars = s['model'].train_step(data, s['optim'])
            sync()
            return log_vars

        if {'model_step', 'full_step'} & set(modes) and 'upstream' in variants and len(variants) > 1:
            grads = {}  # same weights, same batch: gradients of every parameter, before any optimizer step
            for variant in variants:
                set_random_seed(seed)
                grads[variant] = _loss_gradients(states[variant]['model'], train_batch, device, precision)
            result['gradient_agreement'] = {v: gradient_agreement(grads[v], grads['upstream'])
                                            for v in variants if v != 'upstream'}
            grads.clear()

        if {'model_step', 'full_step'} & set(modes):  # same weights, batch, seed: the first losses must agree
            for variant in variants:
                set_random_seed(seed)
                log_vars = train_step(variant, train_batch)
                result['first_step_losses'][variant] = {k: float(v.detach()) for k, v in log_vars.items()}

        def run_interleaved(mode, make_step, batch):
            times = {v: [] for v in variants}
            total = warmup + repeats
            bar = _progress(progress, f'{mode}', total * len(variants))
            for i in range(total):
                for variant in variants:
                    step = make_step(variant)
                    start = time.perf_counter()
                    step()
                    elapsed = time.perf_counter() - start
                    if i >= warmup:
                        times[variant].append(elapsed)
                    bar()
            for variant in variants:
                result['results'][variant][mode] = _summary(times[variant], batch)

        if 'model_step' in modes:
            run_interleaved('model_step', lambda v: (lambda: train_step(v, train_batch)), batch_size)

        if 'full_step' in modes:
            iters = {v: _forever(_loader(states[v]['cfg'], 'train_dataloader', batch_size, workers, seed))
                     for v in variants}
            run_interleaved('full_step', lambda v: (lambda: train_step(v, next(iters[v]))), batch_size)
            iters.clear()

        if 'head_loss' in modes:
            head_inputs = {v: _head_loss_inputs(states[v]['model'], train_batch, device) for v in variants}

            def head_loss(variant):
                head = states[variant]['model'].bbox_head
                outs, gts, metas = head_inputs[variant]

                def step():
                    leaves = [[o.detach().requires_grad_(True) for o in level] for level in outs]
                    losses = head.loss_by_feat(*leaves, gts, metas)
                    totals = {k: sum(v) if isinstance(v, (list, tuple)) else v for k, v in losses.items()}
                    sum(totals.values()).backward()
                    sync()
                    return {k: float(v.detach()) for k, v in totals.items()}
                return step

            for variant in variants:  # the same head outputs: the head losses must agree
                result.setdefault('head_losses', {})[variant] = head_loss(variant)()
            run_interleaved('head_loss', head_loss, batch_size)

        if 'inference' in modes:
            test_key = 'test_dataloader' if cfg.get('test_dataloader') else 'val_dataloader'
            test_batch = _first_batch(_loader(cfg, test_key, batch_size, 0, seed), batch_size, test_key,
                                      cfg.filename)

            def infer(variant):
                model = states[variant]['model'].eval()

                def step():
                    with torch.no_grad(), _autocast(device, precision):
                        model.test_step(test_batch)
                    sync()
                return step

            run_interleaved('inference', infer, batch_size)
    finally:
        torch.set_num_threads(previous_threads)
    result['device_info'] = dict(device_info(device), torch_threads=used_threads)
    if 'upstream' in variants and 'fast' in variants:
        result['speedup'] = {m: result['results']['fast'][m]['samples_per_s'] /
                             result['results']['upstream'][m]['samples_per_s'] for m in modes}
        for key in ('first_step_losses', 'head_losses'):
            up, fast = result.get(key, {}).get('upstream'), result.get(key, {}).get('fast')
            if up and fast:
                result[key.replace('losses', 'max_rel_loss_diff')] = max(
                    abs(up[k] - fast[k]) / max(abs(up[k]), 1e-12) for k in up)
    return result


def gradient_agreement(grads: Sequence[Optional[torch.Tensor]], reference: Sequence[Optional[torch.Tensor]],
                       rtol: float = 1e-4, atol: float = 1e-6) -> Dict:
    """How far the gradients of one variant are from ``reference`` (upstream's), parameter by parameter.

    Returns dict(elements, outside, tensors, worst_rel_to_max, rtol, atol): the gradient elements compared,
    how many fall outside ``|g - ref| <= atol + rtol * |ref|`` (``torch.isclose``; 0 means the variant passes
    the equality criterion of ``tests/test_speed_heads.py``), and the largest ``max|g - ref| / max|ref|`` of a
    tensor."""
    if len(grads) != len(reference):
        raise ValueError(f'{len(grads)} gradients vs {len(reference)} reference gradients: not the same model')
    elements = outside = tensors = 0
    worst = 0.0
    for g, ref in zip(grads, reference):
        if (g is None) != (ref is None):
            raise ValueError('a parameter has a gradient in one variant only')
        if g is None:
            continue
        g, ref = g.detach().float(), ref.detach().float()
        tensors += 1
        elements += ref.numel()
        outside += int((~torch.isclose(g, ref, rtol=rtol, atol=atol)).sum())
        scale = float(ref.abs().max()) if ref.numel() else 0.0
        if ref.numel():
            worst = max(worst, float((g - ref).abs().max()) / max(scale, 1e-12))
    return dict(elements=elements, outside=outside, tensors=tensors, worst_rel_to_max=worst, rtol=rtol, atol=atol)


def _loss_gradients(model, data, device: str, precision: str) -> List[Optional[torch.Tensor]]:
    """Gradients of every parameter of the summed training loss on ``data`` (no optimizer step)."""
    model.train()
    model.zero_grad(set_to_none=True)
    with _autocast(device, precision):
        batch = model.data_preprocessor(data, True)
        loss, _ = model.parse_losses(model._run_forward(batch, mode='loss'))
    loss.backward()
    grads = [None if p.grad is None else p.grad.detach().clone() for p in model.parameters()]
    model.zero_grad(set_to_none=True)
    return grads


def _head_loss_inputs(model, data, device):
    """Head outputs (no graph), gt instances and metas of one preprocessed batch, for ``head_loss``."""
    head = getattr(model, 'bbox_head', None)
    if head is None or not hasattr(head, 'loss_by_feat'):
        raise ValueError('mode head_loss needs a detector with a dense bbox_head (YOLOv3, SSD)')
    with torch.no_grad():
        batch = model.data_preprocessor(data, True)
        outs = head(model.extract_feat(batch['inputs']))
    samples = batch['data_samples']
    return outs, [s.gt_instances for s in samples], [s.metainfo for s in samples]


def _progress(enabled: bool, title: str, total: int):
    if not enabled:
        return lambda: None
    from mmengine.utils import ProgressBar
    bar = ProgressBar(total)
    return bar.update
