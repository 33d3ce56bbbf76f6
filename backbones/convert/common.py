"""Shared code of the official-checkpoint converters (``tools/model_converters/*.py``).

It covers the three things every family's converter needs:

1. reading an official checkpoint (``torch.load(weights_only=True)``, unwrapping ``state_dict`` /
   ``model`` containers and a DataParallel ``module.`` prefix);
2. the equivalence-fixture recipe (the fixtures in ``tests/data/fixtures/*.json``): rebuild the official
   tensors from a fixture's ``state_dict`` layout + ``seed`` + ``fill`` rule, build its input, compare logits
   with the max error relative to the largest reference magnitude;
3. a small CLI (``convert SRC DST`` / ``verify FIXTURE.json [...]``) with a printed load report.

A family converter only supplies ``build_model(fixture) -> nn.Module`` (backbone + head, project layout)
and ``convert(official_state_dict, model) -> project_state_dict``.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections import OrderedDict
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import torch
import torch.nn as nn

#: verify passes when every fixture's max relative logit error is below this
DEFAULT_TOLERANCE = 1e-4

_REQUIRED_FIELDS = ('name', 'state_dict', 'seed', 'input', 'logits')
_DTYPES = {'float32': torch.float32, 'float64': torch.float64, 'float16': torch.float16,
           'int64': torch.int64, 'int32': torch.int32}


def load_fixture(path: str) -> dict:
    """Read and validate one equivalence fixture JSON.

    Args:
        path: the fixture file (``fixtures/<family>_<width>.json``).

    Raises:
        ValueError: naming the file and the missing / malformed field.
    """
    if not os.path.isfile(path):
        raise ValueError(f'fixture {path!r} does not exist; pass a file from the fixtures folder')
    with open(path) as f:
        try:
            fixture = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f'fixture {path!r} is not valid JSON: {e}') from e
    missing = [k for k in _REQUIRED_FIELDS if k not in fixture]
    if missing:
        raise ValueError(f'fixture {path!r} lacks the field(s) {missing}; every fixture needs {_REQUIRED_FIELDS}')
    for i, entry in enumerate(fixture['state_dict']):
        if not (isinstance(entry, list) and len(entry) == 3 and entry[2] in _DTYPES):
            raise ValueError(f'fixture {path!r}: state_dict[{i}] = {entry!r} is not [key, shape, dtype] with dtype '
                             f'in {sorted(_DTYPES)}')
    fixture['_path'] = path
    return fixture


def fill_official_state_dict(layout: Sequence[Sequence], seed: int) -> 'OrderedDict[str, torch.Tensor]':
    """Rebuild the official tensors from a fixture layout with the fixtures' deterministic fill.

    One ``torch.Generator`` seeded with ``seed`` is drawn from in layout order: non-float tensors are zeros
    (no draw); ``*running_var``: ``rand + 0.5``; ``*running_mean``: ``(rand - 0.5) * 0.2``; other 1-D
    ``*weight``: ``rand * 0.5 + 0.75``; other 1-D: ``(rand - 0.5) * 0.2``; >= 2-D:
    ``randn * sqrt(2 / prod(shape[1:]))``.

    Args:
        layout: the fixture's ``state_dict`` list of ``[key, shape, dtype]``.
        seed: the fixture's ``seed``.
    """
    g = torch.Generator().manual_seed(int(seed))
    out: 'OrderedDict[str, torch.Tensor]' = OrderedDict()
    for key, shape, dtype in layout:
        shape = tuple(shape)
        dt = _DTYPES[dtype]
        if not dt.is_floating_point:
            t = torch.zeros(shape, dtype=dt)
        elif key.endswith('running_var'):
            t = torch.rand(shape, generator=g) + 0.5
        elif key.endswith('running_mean'):
            t = (torch.rand(shape, generator=g) - 0.5) * 0.2
        elif len(shape) == 1 and key.endswith('weight'):
            t = torch.rand(shape, generator=g) * 0.5 + 0.75
        elif len(shape) == 1:
            t = (torch.rand(shape, generator=g) - 0.5) * 0.2
        else:
            t = torch.randn(shape, generator=g) * math.sqrt(2.0 / math.prod(shape[1:]))
        out[key] = t.to(dt)
    return out


def make_fixture_input(fixture: dict) -> torch.Tensor:
    """The fixture's input image: ``randn(1, 3, 224, 224)`` from a generator seeded with ``seed + 1``.

    The shape is read from the fixture's ``input`` text when it states one, else 1x3x224x224.
    """
    shape = (1, 3, 224, 224)
    text = str(fixture.get('input', ''))
    if 'randn(' in text:
        inside = text.split('randn(', 1)[1].split('generator', 1)[0]
        dims = [s.strip() for s in inside.split(',') if s.strip()]
        if dims and all(d.isdigit() for d in dims):
            shape = tuple(int(d) for d in dims)
    g = torch.Generator().manual_seed(int(fixture['seed']) + 1)
    return torch.randn(shape, generator=g)


def max_relative_error(output: torch.Tensor, reference: torch.Tensor) -> float:
    """``max |output - reference| / max |reference|`` (the fixtures' comparison rule)."""
    output = output.detach().double().flatten()
    reference = reference.detach().double().flatten()
    if output.shape != reference.shape:
        raise ValueError(f'logit shapes differ: got {tuple(output.shape)}, reference {tuple(reference.shape)}')
    return float((output - reference).abs().max() / reference.abs().max().clamp_min(1e-12))


def strip_checkpoint(obj) -> 'OrderedDict[str, torch.Tensor]':
    """Unwrap common checkpoint containers to a flat ``{key: Tensor}`` dict.

    Accepts a bare state_dict, or a dict with ``state_dict`` / ``model`` / ``net`` / ``state_dict_ema``;
    strips a leading ``module.`` (DataParallel) from every key.
    """
    if isinstance(obj, Mapping):
        for key in ('state_dict', 'model', 'net'):
            if key in obj and isinstance(obj[key], Mapping):
                obj = obj[key]
                break
    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ValueError('checkpoint is not a state_dict (a mapping of names to tensors), nor a dict holding one '
                         'under "state_dict" / "model" / "net"')
    out = OrderedDict()
    for k, v in obj.items():
        out[k[len('module.'):] if k.startswith('module.') else k] = v
    return out


def load_checkpoint_file(path: str) -> 'OrderedDict[str, torch.Tensor]':
    """``torch.load(path, weights_only=True)`` + :func:`strip_checkpoint`, with a clear error."""
    if not os.path.isfile(path):
        raise ValueError(f'checkpoint {path!r} does not exist')
    try:
        obj = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as e:  # noqa: BLE001  (re-raised with the file name)
        raise ValueError(f'cannot read checkpoint {path!r} with torch.load(weights_only=True): {e}') from e
    try:
        return strip_checkpoint(obj)
    except ValueError as e:
        raise ValueError(f'{path}: {e}') from e


def load_report(model: nn.Module, state_dict: Mapping[str, torch.Tensor], strict: bool = True,
                file=None) -> Tuple[List[str], List[str]]:
    """Load ``state_dict`` into ``model`` and print a report (counts, missing / unexpected keys, shape
    mismatches). With ``strict`` any problem raises ``RuntimeError`` after printing.

    Returns:
        (missing_keys, unexpected_keys)
    """
    file = file or sys.stdout
    own = model.state_dict()
    mismatched = [f'{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}'
                  for k, v in state_dict.items() if k in own and tuple(v.shape) != tuple(own[k].shape)]
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    print(f'load report: {len(state_dict)} tensors converted, {len(own)} expected by the model, '
          f'{len(missing)} missing, {len(unexpected)} unexpected, {len(mismatched)} shape mismatches', file=file)
    for title, items in (('missing', missing), ('unexpected', unexpected), ('shape mismatch', mismatched)):
        for item in items[:20]:
            print(f'  {title}: {item}', file=file)
        if len(items) > 20:
            print(f'  ... and {len(items) - 20} more {title}', file=file)
    if strict and (missing or unexpected or mismatched):
        raise RuntimeError('state_dict does not match the model (see the load report above)')
    loadable = {k: v for k, v in state_dict.items() if k in own and tuple(v.shape) == tuple(own[k].shape)}
    model.load_state_dict(loadable, strict=strict)
    return missing, unexpected


def verify_fixture(path: str, build_model: Callable[[dict], nn.Module],
                   convert: Callable[[Mapping[str, torch.Tensor], nn.Module], Dict[str, torch.Tensor]],
                   verbose: bool = False) -> float:
    """Rebuild a fixture's official tensors, convert, load strictly, run eval mode and return the max
    relative logit error.

    Args:
        path: fixture JSON.
        build_model: ``fixture -> model`` (project backbone + head, random init).
        convert: ``(official_state_dict, model) -> project state_dict``.
        verbose: print the load report.
    """
    fixture = load_fixture(path)
    official = fill_official_state_dict(fixture['state_dict'], fixture['seed'])
    model = build_model(fixture)
    converted = convert(official, model)
    with open(os.devnull, 'w') as devnull:
        load_report(model, converted, strict=True, file=None if verbose else devnull)
    model.eval()
    with torch.no_grad():
        logits = model(make_fixture_input(fixture))
    return max_relative_error(logits, torch.tensor(fixture['logits']))


def converter_main(family: str, build_model: Callable[[dict], nn.Module],
                   convert: Callable[[Mapping[str, torch.Tensor], nn.Module], Dict[str, torch.Tensor]],
                   build_model_from_args: Callable[[argparse.Namespace], nn.Module],
                   add_model_args: Callable[[argparse.ArgumentParser], None],
                   argv: Optional[Sequence[str]] = None) -> int:
    """The CLI shared by every ``tools/model_converters/<family>.py``.

    ``convert SRC DST [model args]``: read an official checkpoint, convert it for the project model built
    from the model args, print the load report (strict), save ``{'state_dict': ..., 'meta': ...}`` to DST.
    ``verify FIXTURE.json [...]``: print the max relative logit error per fixture; exit 0 only if all are
    below ``--tol`` (default 1e-4).
    """
    parser = argparse.ArgumentParser(description=f'Convert official {family} checkpoints to the project layout.')
    sub = parser.add_subparsers(dest='cmd', required=True)
    p_conv = sub.add_parser('convert', help='convert an official checkpoint')
    p_conv.add_argument('src', help='official checkpoint (.pth / .pth.tar), read with weights_only=True')
    p_conv.add_argument('dst', help='output file (project state_dict: backbone.* + head.*)')
    add_model_args(p_conv)
    p_ver = sub.add_parser('verify', help='check the converter + model against equivalence fixtures')
    p_ver.add_argument('fixtures', nargs='+', help='fixture JSON files')
    p_ver.add_argument('--tol', type=float, default=DEFAULT_TOLERANCE)
    p_ver.add_argument('--verbose', action='store_true', help='print each load report')
    args = parser.parse_args(argv)
    with torch.no_grad():  # scoped: an in-process caller (tests) keeps autograd afterwards
        return _run_converter_cmd(args, family, build_model, convert, build_model_from_args)


def _run_converter_cmd(args, family, build_model, convert, build_model_from_args) -> int:
    if args.cmd == 'convert':
        official = load_checkpoint_file(args.src)
        model = build_model_from_args(args)
        converted = convert(official, model)
        load_report(model, converted, strict=True)
        os.makedirs(os.path.dirname(os.path.abspath(args.dst)), exist_ok=True)
        torch.save({'state_dict': OrderedDict((k, v.clone()) for k, v in converted.items()),
                    'meta': {'converted_from': os.path.basename(args.src), 'family': family}}, args.dst)
        print(f'saved {len(converted)} tensors to {args.dst}')
        return 0

    worst = 0.0
    failed = []
    for path in args.fixtures:
        try:
            err = verify_fixture(path, build_model, convert, verbose=args.verbose)
        except (ValueError, RuntimeError) as e:
            print(f'{path}: ERROR {e}')
            failed.append(path)
            continue
        ok = err < args.tol
        worst = max(worst, err)
        print(f'{os.path.basename(path)}: max relative logit error {err:.3e} {"OK" if ok else "FAIL"}')
        if not ok:
            failed.append(path)
    print(f'{len(args.fixtures) - len(failed)}/{len(args.fixtures)} fixtures below {args.tol:g} '
          f'(worst {worst:.3e})')
    return 0 if not failed else 1
