"""Inference engines for deployment figures: PyTorch eager, ONNX Runtime and MNN, behind one interface.

A :class:`EngineRunner` is a callable ``runner(x) -> [np.ndarray, ...]`` over a float32 NCHW batch, with
``engine``, ``version`` and ``threads``. :func:`build_runner` turns a PyTorch model into a runner:

============  ===========================================================================================
torch         conv+BN folded (``mmcv.cnn.fuse_conv_bn``), eval mode, ``torch.set_num_threads(threads)``
              around each call
onnxruntime   the folded model exported to ONNX (:func:`mobilebench.deploy.export_onnx`), one
              ``InferenceSession`` on the CPU provider with ``threads`` intra-op threads, sequential
              execution, all graph optimisations
mnn           the same ONNX file converted by MNN's own converter (MNNConvert, linked into the ``mnn``
              wheel as ``_tools.mnnconvert``), run by ``MNN.nn`` with a CPU runtime of ``threads``
              threads and high precision (fp32)
============  ===========================================================================================

MNN's Python *wrappers* (``MNN.tools.mnnconvert`` / ``mnnquant``) are deliberately not used: importing
them sends usage telemetry and ``pip install``\\ s a logging SDK into whatever ``pip`` is on PATH. The
converter is called directly, in a child process (it aborts the process on some malformed graphs).

Unsupported operators fail early with :class:`EngineOpError`, which names the engine, the operator and
the model; an unknown engine name fails with a ``ValueError`` listing the known ones.
"""
from __future__ import annotations

import copy
import functools
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn

ENGINES = ('torch', 'onnxruntime', 'mnn')


class EngineOpError(RuntimeError):
    """An operator of ``model`` that ``engine`` cannot run."""

    def __init__(self, engine: str, ops: Sequence[str], model: str, detail: str = ''):
        self.engine, self.ops, self.model = engine, list(ops), model
        msg = (f'{engine} cannot run model {model!r}: unsupported operator(s) {", ".join(self.ops)}'
               f' ({engine_version(engine)})')
        super().__init__(msg + (f'; {detail}' if detail else ''))


def check_engine(name: str) -> str:
    """Return ``name`` if it is a known engine, else raise a ``ValueError`` listing the known ones."""
    if name not in ENGINES:
        raise ValueError(f'unknown inference engine {name!r}; choose one of {", ".join(ENGINES)}')
    return name


def engine_version(name: str) -> str:
    """``'<engine> <version>'`` of an installed engine (``ImportError`` with the pip command if absent)."""
    check_engine(name)
    if name == 'torch':
        return f'torch {torch.__version__}'
    if name == 'onnxruntime':
        import onnxruntime
        return f'onnxruntime {onnxruntime.__version__}'
    try:
        import MNN
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError('the mnn engine needs the MNN wheel: pip install mnn==3.6.1') from exc
    return f'mnn {MNN.version()}'


class EngineRunner:
    """``runner(x)`` -> list of float32 arrays. Subclasses set ``engine``, ``version``, ``threads``."""

    engine = ''

    def __init__(self, name: str, threads: int):
        self.name = name
        self.threads = int(threads)
        self.version = engine_version(self.engine)

    def __call__(self, x: np.ndarray) -> List[np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError


class TorchRunner(EngineRunner):
    engine = 'torch'

    def __init__(self, model: nn.Module, name: str, threads: int = 1):
        super().__init__(name, threads)
        self.model = model.eval()

    @torch.no_grad()
    def __call__(self, x: np.ndarray) -> List[np.ndarray]:
        previous = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            out = self.model(torch.from_numpy(np.ascontiguousarray(x)))
        finally:
            torch.set_num_threads(previous)
        out = tuple(out) if isinstance(out, (tuple, list)) else (out, )
        return [o.numpy() for o in out]


def onnx_op_types(path: str) -> List[str]:
    """``domain::op`` (``op`` for the default domain) of every node, subgraphs included, in order."""
    import onnx
    model = onnx.load(path, load_external_data=False)
    seen: List[str] = []

    def walk(graph):
        for node in graph.node:
            key = f'{node.domain}::{node.op_type}' if node.domain not in ('', 'ai.onnx') else node.op_type
            if key not in seen:
                seen.append(key)
            for attr in node.attribute:
                if attr.g is not None and attr.g.node:
                    walk(attr.g)
                for g in attr.graphs:
                    walk(g)

    walk(model.graph)
    return seen


class OrtRunner(EngineRunner):
    engine = 'onnxruntime'

    def __init__(self, path: str, name: str, threads: int = 1):
        super().__init__(name, threads)
        import onnxruntime as ort
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(path, opts, providers=['CPUExecutionProvider'])
        except Exception as exc:  # noqa: BLE001 - translated into a clear error below
            missing = ort_unsupported_ops(path)
            if missing:
                raise EngineOpError('onnxruntime', missing, name, f'{path}: {exc}'.splitlines()[0]) from exc
            raise RuntimeError(f'onnxruntime could not load model {name!r} from {path}: {exc}') from exc
        self.input_name = self.session.get_inputs()[0].name
        self.path = path

    def __call__(self, x: np.ndarray) -> List[np.ndarray]:
        return self.session.run(None, {self.input_name: np.ascontiguousarray(x, dtype=np.float32)})


def ort_unsupported_ops(path: str) -> List[str]:
    """Operators of the ONNX file that ONNX Runtime has no schema for (custom domains, unknown ops)."""
    from onnxruntime.capi import onnxruntime_pybind11_state as C
    known = {(s.domain or '', s.name) for s in C.get_all_operator_schema()}
    missing = []
    for key in onnx_op_types(path):
        domain, op = key.split('::') if '::' in key else ('', key)
        if (domain, op) not in known:
            missing.append(key)
    return missing


_CONVERT_SNIPPET = 'import sys, _tools; sys.exit(0 if _tools.mnnconvert(sys.argv[1:]) else 1)'


@functools.lru_cache(maxsize=1)
def mnn_supported_onnx_ops() -> frozenset:
    """The ONNX operators MNN's converter knows (``MNNConvert -f ONNX --OP``), queried once."""
    out = subprocess.run([sys.executable, '-c', _CONVERT_SNIPPET, 'mnnconvert', '-f', 'ONNX', '--OP'],
                         capture_output=True, text=True, timeout=120)
    lines = [ln.strip() for ln in out.stdout.splitlines()]
    if 'Dump ONNX support Ops' not in lines:
        raise RuntimeError(f'could not list the ONNX operators of MNN ({engine_version("mnn")}): '
                           f'{(out.stdout + out.stderr)[-500:]}')
    ops = lines[lines.index('Dump ONNX support Ops') + 1:]
    return frozenset(op for op in ops if op and not op.startswith('Total:'))


def onnx_to_mnn(onnx_path: str, mnn_path: str, name: str, timeout: float = 600) -> str:
    """Convert an ONNX file with MNN's converter (fp32 weights, BN folded by the converter); returns
    ``mnn_path``. Raises :class:`EngineOpError` for an operator MNN lacks, RuntimeError on other failures."""
    missing = [op for op in onnx_op_types(onnx_path) if op not in mnn_supported_onnx_ops()]
    if missing:
        raise EngineOpError('mnn', missing, name, f'MNNConvert -f ONNX does not list them ({onnx_path})')
    tmp = mnn_path + '.partial'
    cmd = [sys.executable, '-c', _CONVERT_SNIPPET, 'mnnconvert', '-f', 'ONNX', '--modelFile', onnx_path,
           '--MNNModel', tmp, '--bizCode', 'mobilebench']
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0 or not osp.isfile(tmp):
        raise RuntimeError(f'mnn: MNNConvert failed on model {name!r} ({onnx_path}), exit status '
                           f'{out.returncode}: {(out.stdout + out.stderr)[-800:]}')
    os.replace(tmp, mnn_path)
    return mnn_path


class MnnRunner(EngineRunner):
    engine = 'mnn'

    def __init__(self, path: str, name: str, input_name: str, output_names: Sequence[str], threads: int = 1):
        super().__init__(name, threads)
        import MNN
        self._MNN = MNN
        config = {'backend': 'CPU', 'numThread': self.threads, 'precision': 'high'}
        self.runtime = MNN.nn.create_runtime_manager((config, ))
        self.module = MNN.nn.load_module_from_file(path, [input_name], list(output_names),
                                                   runtime_manager=self.runtime)
        if self.module is None:
            raise RuntimeError(f'mnn could not load model {name!r} from {path}')
        self.path = path

    def __call__(self, x: np.ndarray) -> List[np.ndarray]:
        F = self._MNN.expr
        x = np.ascontiguousarray(x, dtype=np.float32)
        inp = F.const(x, list(x.shape), F.NCHW)
        outs = self.module.forward([inp])
        return [np.array(F.convert(o, F.NCHW).read(), copy=True) if len(o.shape) == 4 else
                np.array(o.read(), copy=True) for o in outs]


def fuse_for_deployment(model: nn.Module) -> nn.Module:
    """A copy of ``model`` in eval mode with every BatchNorm folded into the convolution before it."""
    from mmcv.cnn import fuse_conv_bn
    return fuse_conv_bn(copy.deepcopy(model).eval())


def build_runner(engine: str, model: nn.Module, input_shape: Sequence[int], work_dir: str, name: str,
                 threads: int = 1, fuse: bool = True, onnx_path: Optional[str] = None) -> EngineRunner:
    """Prepare ``model`` (a PyTorch module taking one NCHW tensor) for ``engine``.

    Args:
        engine: one of :data:`ENGINES`.
        model: the network; single- or multi-output.
        input_shape: the export shape, batch included (batch 1 for latency).
        work_dir: where the ONNX / MNN files go (``<name>.onnx``, ``<name>.mnn``).
        name: the model's name in file names and errors.
        threads: intra-op threads of the engine.
        fuse: fold conv+BN first (the deployment form; ONNX Runtime and MNN fold it anyway).
        onnx_path: reuse this export instead of exporting again (onnxruntime / mnn).
    """
    check_engine(engine)
    deployed = fuse_for_deployment(model) if fuse else model.eval()
    if engine == 'torch':
        return TorchRunner(deployed, name, threads)
    os.makedirs(work_dir, exist_ok=True)
    safe = name.replace('/', '_')
    if onnx_path is None:
        from mobilebench.deploy import export_onnx
        onnx_path = osp.join(work_dir, f'{safe}.onnx')
        export_onnx(deployed, input_shape, onnx_path, dynamic_batch=False)
    if engine == 'onnxruntime':
        return OrtRunner(onnx_path, name, threads)
    import onnx
    graph = onnx.load(onnx_path, load_external_data=False).graph
    mnn_path = onnx_to_mnn(onnx_path, osp.join(work_dir, f'{safe}.mnn'), name)
    return MnnRunner(mnn_path, name, graph.input[0].name, [o.name for o in graph.output], threads)


def max_relative_error(reference: Sequence[np.ndarray], outputs: Sequence[np.ndarray]) -> float:
    """Largest ``|out - ref|`` over all outputs, relative to the largest ``|ref|`` of that output."""
    if len(reference) != len(outputs):
        raise ValueError(f'{len(outputs)} outputs, expected {len(reference)}')
    worst = 0.0
    for ref, out in zip(reference, outputs):
        ref, out = np.asarray(ref), np.asarray(out)
        if ref.shape != out.shape:
            raise ValueError(f'output shape {out.shape} differs from the reference {ref.shape}')
        worst = max(worst, float(np.abs(ref - out).max()) / max(float(np.abs(ref).max()), 1e-12))
    return worst


def engine_info(engines: Sequence[str]) -> Dict[str, str]:
    """Engine -> version string, for result files."""
    return {e: engine_version(e) for e in engines}
