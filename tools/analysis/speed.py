#!/usr/bin/env python
"""Training and inference throughput of a config, optionally upstream vs the suite's fast variant side by side.

    python tools/analysis/speed.py CONFIG [--device cpu|cuda] [--variants upstream fast]
        [--modes model_step full_step inference] [--batch-size 24] [--precision fp32|amp]
        [--warmup 3] [--repeats 10] [--workers N] [--threads N] [--cfg-options data_root=...]
        [--profile PROFILE.txt] [--out docs/benchmarks/speed_x.json]

``model_step``: ``model.train_step`` on one prefetched batch (preprocessing on the device, forward, losses,
backward, optimizer step); ``full_step``: the same fed by the config's train dataloader and its workers;
``inference``: ``model.test_step`` on a prefetched test batch; ``head_loss`` (detectors): the dense head's
targets + losses + their backward from fixed head outputs. Warm-up steps, then the median of the timed
repeats; several variants are timed in turn, repeat by repeat, so their ratio holds on a busy machine.
The JSON carries the device name, versions, load average and the first-step losses of every variant
(same weights, same batch: they agree when a variant keeps the mathematics).

``--profile FILE`` instead runs torch.profiler over ``--repeats`` model steps of each variant and writes the
operators sorted by self CPU time (and CUDA time on a GPU) to FILE.

The config's data must exist: e.g. the demo data (``python tools/data/make_demo_data.py --out data/demo``)
with ``--cfg-options data_root=data/demo/VOCdevkit/`` for the ``*_voc.py`` detection configs.
"""
import argparse
import os.path as osp
import sys



def parse_args(argv=None):
    from mmengine.config import DictAction
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('config')
    p.add_argument('--device', default='cpu')
    p.add_argument('--variants', nargs='+', default=['upstream', 'fast'], choices=['upstream', 'fast'])
    p.add_argument('--modes', nargs='+', default=['model_step', 'full_step', 'inference'],
                   choices=['model_step', 'full_step', 'inference', 'head_loss'])
    p.add_argument('--batch-size', type=int, default=None, help="default: the config's train batch size")
    p.add_argument('--precision', default='fp32', choices=['fp32', 'amp'], help='amp = autocast to bfloat16')
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--repeats', type=int, default=10)
    p.add_argument('--workers', type=int, default=None, help="train loader workers for full_step (default: config's)")
    p.add_argument('--threads', type=int, default=None, help='torch.set_num_threads during the measurement')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--channels-last', default='auto', choices=['auto', 'on', 'off'],
                   help='channels-last memory format in the fast variant (auto: on CUDA only; on a CPU it changes '
                        'the batch-norm rounding, see docs/benchmarks/README.md)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, default=None)
    p.add_argument('--profile', default=None, help='write a torch.profiler operator table here instead of timing')
    p.add_argument('--out', default=None, help='write the figures to this JSON file')
    return p.parse_args(argv)


def _channels_last(args):
    return dict(auto=None, on=True, off=False)[args.channels_last]


def profile(cfg, args) -> str:
    """torch.profiler over ``args.repeats`` model steps per variant (after ``args.warmup``); returns the text."""
    import copy

    import torch
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import MODELS, init_default_scope
    from mmengine.runner import set_random_seed
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    from mobilebench.speed import _first_batch, _loader, apply_variant, device_info, prepare_model

    init_default_scope(cfg.get('default_scope', 'mmengine'))
    if args.threads:
        torch.set_num_threads(args.threads)
    batch_size = int(args.batch_size or cfg.train_dataloader.batch_size)
    data = _first_batch(_loader(cfg, 'train_dataloader', batch_size, 0, args.seed), batch_size,
                        'train_dataloader', cfg.filename)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if args.device.startswith('cuda') else [])
    sort_key = 'self_cuda_time_total' if args.device.startswith('cuda') else 'self_cpu_time_total'
    info = device_info(args.device)
    parts = [f'# torch.profiler, {cfg.filename}, batch {batch_size}, {args.device} '
             f'({info.get("gpu", info["cpu"])}, {info["torch_threads"]} threads, load {info.get("loadavg_1_5_15")})']
    for variant in args.variants:
        vcfg = copy.deepcopy(cfg)
        changes = apply_variant(vcfg, variant, args.device, _channels_last(args))
        set_random_seed(args.seed)
        model = prepare_model(MODELS.build(vcfg.model), variant, args.device, _channels_last(args)).train()
        optim = build_optim_wrapper(model, copy.deepcopy(vcfg.optim_wrapper))
        for _ in range(args.warmup):
            model.train_step(data, optim)
        with torch_profile(activities=activities) as prof:
            for _ in range(args.repeats):
                model.train_step(data, optim)
            if args.device.startswith('cuda'):
                torch.cuda.synchronize()
        table = prof.key_averages().table(sort_by=sort_key, row_limit=25, max_name_column_width=60)
        parts.append(f'\n## variant {variant} ({args.repeats} steps; changes: {changes or "none"})\n{table}')
    return '\n'.join(parts)


def main(argv=None):
    args = parse_args(argv)
    import mobilebench  # noqa: F401
    from mobilebench.config import load_config
    from mobilebench.fileio import atomic_write_json
    from mobilebench.speed import measure_speed

    cfg = load_config(args.config, args.cfg_options)
    if args.profile:
        text = profile(cfg, args)
        import os
        os.makedirs(osp.dirname(osp.abspath(args.profile)), exist_ok=True)
        tmp = args.profile + '.tmp'
        with open(tmp, 'w') as f:
            f.write(text + '\n')
        os.replace(tmp, args.profile)
        print(text)
        return text
    res = measure_speed(cfg, device=args.device, variants=args.variants, modes=args.modes,
                        batch_size=args.batch_size, precision=args.precision, warmup=args.warmup,
                        repeats=args.repeats, workers=args.workers, threads=args.threads, seed=args.seed,
                        channels_last=_channels_last(args))
    res['command'] = 'python tools/analysis/speed.py ' + ' '.join(sys.argv[1:] if argv is None else argv)
    info = res['device_info']
    print(f'\n{osp.basename(args.config)}: batch {res["batch_size"]}, {args.precision}, {args.device} '
          f'({info.get("gpu", info["cpu"])}, {info["torch_threads"]} threads, load {info.get("loadavg_1_5_15")})')
    print(f'{"variant":<10} {"mode":<12} {"median s":>9} {"samples/s":>10}')
    for variant, modes in res['results'].items():
        for mode, r in modes.items():
            print(f'{variant:<10} {mode:<12} {r["median_s"]:>9.3f} {r["samples_per_s"]:>10.1f}')
    for mode, x in res.get('speedup', {}).items():
        print(f'speed-up fast/upstream, {mode}: {x:.2f}x')
    for variant, agree in res.get('gradient_agreement', {}).items():
        print(f'gradients {variant} vs upstream: {agree["outside"]} of {agree["elements"]} elements outside '
              f'rtol={agree["rtol"]:g}, atol={agree["atol"]:g} (worst tensor: {agree["worst_rel_to_max"]:.3g} '
              f'of its largest gradient)')
    for key in ('first_step_max_rel_loss_diff', 'head_max_rel_loss_diff'):
        if key in res:
            print(f'{key.replace("_", " ")} (fast vs upstream): {res[key]:.3g}')
    if args.out:
        atomic_write_json(args.out, res)
        print(f'written to {args.out}')
    return res


if __name__ == '__main__':
    main()
