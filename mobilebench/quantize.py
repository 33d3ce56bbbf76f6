"""INT8 post-training quantization (no retraining) with ONNX Runtime, and the evaluations around it.

The papers' recipe (MobileNeXt Table 4: "post-training linear quantization ... 8-bit quantization on both
weights and activations") is done with ``onnxruntime.quantization.quantize_static``: linear INT8 weights
(per output channel by default, or per tensor) and INT8 activations whose ranges are calibrated on a few
hundred training images, QDQ format, run by ONNX Runtime's CPU integer kernels.

* :func:`quantize_int8` -- FP32 ONNX file + calibration batches -> INT8 ONNX file.
* :func:`imagenet_folder` / :func:`load_folder_images` / :func:`evaluate_classifier` -- top-1/top-5 of
  any engine runner on an ImageNet-format folder (``root/<class>/<image>``; classes in sorted order, as
  torchvision's and mmpretrain's folder datasets number them).
* :func:`attach_onnx` -- make an OpenMMLab model (mmdet single-stage detector, the suite's face
  recognizer) compute its network with an ONNX Runtime session, so that the task's own test loop and
  evaluator (VOC/COCO mAP, face verification) score the FP32 or INT8 ONNX model.
"""
from __future__ import annotations

import os
import os.path as osp
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.ppm', '.webp', '.tif', '.tiff')
#: ImageNet RGB mean / std on the 0..255 scale (mmpretrain's and torchvision's defaults)
IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)


# --------------------------------------------------------------------------------------------------
# quantization
class _BatchReader:
    """``onnxruntime.quantization.CalibrationDataReader`` over an iterable of NCHW float32 batches."""

    def __init__(self, input_name: str, batches: Iterable[np.ndarray]):
        self.input_name = input_name
        self._it: Iterator = iter(batches)
        self.seen = 0

    def get_next(self):
        batch = next(self._it, None)
        if batch is None:
            return None
        self.seen += len(batch)
        return {self.input_name: np.ascontiguousarray(batch, dtype=np.float32)}

    def rewind(self):  # pragma: no cover - only called by calibrators that need a second pass
        raise RuntimeError('calibration batches are read once; use method minmax, entropy or percentile')


def quantize_int8(fp32_path: str, int8_path: str, calibration: Iterable[np.ndarray], per_channel: bool = True,
                  method: str = 'minmax', symmetric_activations: bool = False) -> Dict:
    """Static INT8 quantization of an ONNX file (weights and activations), calibrated on ``calibration``.

    Args:
        fp32_path: the FP32 model (e.g. from :func:`mobilebench.deploy.export_onnx`).
        int8_path: where to write the INT8 model (QDQ format).
        calibration: NCHW float32 batches, already normalised like the model's inputs.
        per_channel: per-output-channel weight scales (else one scale per tensor).
        method: activation range calibration: ``minmax``, ``entropy`` or ``percentile``.
        symmetric_activations: signed INT8 activations with a zero point of 0 (TensorRT style); default
            is ONNX Runtime's recommended asymmetric UINT8 activations with INT8 weights.

    Returns:
        dict with the settings and ``calibration_images`` (how many images were seen).
    """
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process
    methods = {'minmax': CalibrationMethod.MinMax, 'entropy': CalibrationMethod.Entropy,
               'percentile': CalibrationMethod.Percentile}
    if method not in methods:
        raise ValueError(f'unknown calibration method {method!r}; choose one of {", ".join(methods)}')
    if not osp.isfile(fp32_path):
        raise FileNotFoundError(f'FP32 ONNX model not found: {fp32_path}')
    input_name = onnx.load(fp32_path, load_external_data=False).graph.input[0].name
    prepared = int8_path + '.pre.onnx'
    quant_pre_process(fp32_path, prepared, skip_symbolic_shape=True)
    reader = _BatchReader(input_name, calibration)
    tmp = int8_path + '.partial.onnx'
    try:
        quantize_static(prepared, tmp, reader, quant_format=QuantFormat.QDQ, per_channel=per_channel,
                        activation_type=QuantType.QInt8 if symmetric_activations else QuantType.QUInt8,
                        weight_type=QuantType.QInt8, calibrate_method=methods[method],
                        extra_options=dict(ActivationSymmetric=symmetric_activations))
        if reader.seen == 0:
            raise ValueError(f'{fp32_path}: no calibration images were given')
        os.replace(tmp, int8_path)
    finally:
        for path in (prepared, tmp):
            if osp.exists(path):
                os.remove(path)
    return dict(format='QDQ', weights='int8 ' + ('per-channel' if per_channel else 'per-tensor'),
                activations=('int8 symmetric' if symmetric_activations else 'uint8 asymmetric') + ' per-tensor',
                calibration=method, calibration_images=reader.seen, library='onnxruntime.quantization')


# --------------------------------------------------------------------------------------------------
# classification on an ImageNet-format folder
def imagenet_folder(root: str) -> Tuple[List[Tuple[str, int]], List[str]]:
    """``root/<class>/<image>`` -> ([(path, label), ...], classes); classes sorted, images sorted."""
    if not osp.isdir(root):
        raise FileNotFoundError(f'image folder not found: {root} (expected root/<class>/<image>)')
    classes = sorted(d for d in os.listdir(root) if osp.isdir(osp.join(root, d)))
    if not classes:
        raise ValueError(f'{root}: no class sub-folders; an ImageNet-format folder is root/<class>/<image>')
    samples = []
    for label, cls in enumerate(classes):
        for fname in sorted(os.listdir(osp.join(root, cls))):
            if fname.lower().endswith(IMAGE_EXTENSIONS):
                samples.append((osp.join(root, cls, fname), label))
    if not samples:
        raise ValueError(f'{root}: no images with extensions {IMAGE_EXTENSIONS} in the class folders')
    return samples, classes


def preprocess_image(path: str, size: int = 224, crop_ratio: float = 0.875) -> np.ndarray:
    """Read an image as RGB, resize its short side to ``size / crop_ratio`` (bilinear), centre-crop
    ``size``, normalise with the ImageNet mean/std; returns CHW float32."""
    import mmcv
    img = mmcv.imread(path, channel_order='rgb')
    if img is None:
        raise ValueError(f'cannot read image {path}')
    short = int(round(size / crop_ratio))
    h, w = img.shape[:2]
    scale = short / min(h, w)
    img = mmcv.imresize(img, (max(size, int(round(w * scale))), max(size, int(round(h * scale)))),
                        interpolation='bilinear')
    h, w = img.shape[:2]
    top, left = (h - size) // 2, (w - size) // 2
    img = img[top:top + size, left:left + size].astype(np.float32)
    img = (img - np.array(IMAGENET_MEAN, np.float32)) / np.array(IMAGENET_STD, np.float32)
    return np.ascontiguousarray(img.transpose(2, 0, 1))


def load_folder_images(samples: Sequence[Tuple[str, int]], size: int = 224, limit: Optional[int] = None,
                       seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Preprocess ``samples`` (all, or ``limit`` drawn without replacement with ``seed``) into an
    (N, 3, size, size) array and the labels."""
    idx = np.arange(len(samples))
    if limit is not None and limit < len(samples):
        idx = np.sort(np.random.default_rng(seed).choice(len(samples), size=limit, replace=False))
    images = np.stack([preprocess_image(samples[i][0], size) for i in idx])
    labels = np.array([samples[i][1] for i in idx], dtype=np.int64)
    return images, labels


def evaluate_classifier(runner: Callable[[np.ndarray], Sequence[np.ndarray]], images: np.ndarray,
                        labels: np.ndarray, batch_size: int = 32) -> Dict[str, float]:
    """Top-1 / top-5 accuracy (fractions) of a runner whose first output is (N, classes) logits."""
    correct1 = correct5 = 0
    for start in range(0, len(images), batch_size):
        logits = np.asarray(runner(images[start:start + batch_size])[0])
        target = labels[start:start + batch_size]
        k = min(5, logits.shape[1])
        top = np.argsort(-logits, axis=1, kind='stable')[:, :k]
        correct1 += int((top[:, 0] == target).sum())
        correct5 += int((top == target[:, None]).any(axis=1).sum())
    n = len(images)
    return {'top1': correct1 / n, 'top5': correct5 / n, 'images': n}


# --------------------------------------------------------------------------------------------------
# OpenMMLab models computed by an ONNX Runtime session
def _structure(out):
    if isinstance(out, torch.Tensor):
        return None
    if isinstance(out, (tuple, list)):
        return (type(out), [_structure(o) for o in out])
    raise TypeError(f'cannot mirror an output of type {type(out).__name__}')


def _rebuild(flat: List[torch.Tensor], template):
    if template is None:
        return flat.pop(0)
    kind, children = template
    return kind(_rebuild(flat, c) for c in children)


class OnnxFunction(nn.Module):
    """Runs an ONNX file with ONNX Runtime on a torch tensor and returns torch tensors in the nested
    structure ``template`` (recorded from the PyTorch computation the file was exported from)."""

    def __init__(self, path: str, template, threads: int = 1):
        super().__init__()
        from mobilebench.engines import OrtRunner
        self.runner = OrtRunner(path, osp.basename(path), threads)
        self.template = template

    def forward(self, x: torch.Tensor):
        outs = [torch.from_numpy(o) for o in self.runner(x.detach().cpu().numpy())]
        return _rebuild(outs, self.template)


class DetectorNetwork(nn.Module):
    """backbone + neck + head of an mmdet single-stage detector (one tensor in, head maps out)."""

    def __init__(self, detector: nn.Module):
        super().__init__()
        self.detector = detector

    def forward(self, x):
        return self.detector.bbox_head(self.detector.extract_feat(x))


def deployable_network(model: nn.Module) -> Tuple[str, nn.Module]:
    """The part of an OpenMMLab model that an engine runs: ``('detector', backbone+neck+head)`` for an
    mmdet single-stage detector, ``('face', backbone+embedding head)`` for the suite's FaceRecognizer."""
    from mobilebench.face.models import FaceRecognizer
    if isinstance(model, FaceRecognizer):
        class _Embed(nn.Module):
            def __init__(self, m):
                super().__init__()
                self.m = m

            def forward(self, x):
                return self.m.extract_feat(x)
        return 'face', _Embed(model)
    if hasattr(model, 'bbox_head') and hasattr(model, 'extract_feat') and not hasattr(model, 'roi_head'):
        return 'detector', DetectorNetwork(model)
    raise TypeError(f'{type(model).__name__}: only mmdet single-stage detectors and the suite\'s '
                    f'FaceRecognizer can be evaluated through ONNX (no rule for this model type)')


def export_task_onnx(model: nn.Module, input_shape: Sequence[int], path: str, opset: int = 17) -> Dict:
    """Export :func:`deployable_network` of ``model`` with dynamic batch / height / width; returns the
    output structure (``template``) that :func:`attach_onnx` needs."""
    from mobilebench.deploy import flatten_outputs
    kind, net = deployable_network(model)
    net = net.eval()
    dummy = torch.randn(*input_shape)
    with torch.no_grad():
        out = net(dummy)
        flat = flatten_outputs(out)

    class _Flat(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return tuple(flatten_outputs(self.inner(x)))

    names = [f'out{i}' for i in range(len(flat))]
    axes = {'input': {0: 'batch', 2: 'height', 3: 'width'}}
    axes.update({n: {0: 'batch'} for n in names})
    with torch.no_grad():
        # eval-mode wrapper: the exporter restores the given module's mode recursively afterwards
        torch.onnx.export(_Flat(net).eval(), (dummy, ), path, input_names=['input'], output_names=names,
                          opset_version=opset, dynamic_axes=axes, do_constant_folding=True, dynamo=False)
    return dict(kind=kind, template=_structure(out))


def attach_onnx(model: nn.Module, path: str, template, threads: int = 1) -> nn.Module:
    """Make ``model``'s test step compute its network with ONNX Runtime on ``path``; returns ``model``.

    The pre-processing (data preprocessor) and post-processing (box decoding + NMS, embedding
    comparison) stay the task's own; only the tensor computation moves to the engine:
    a detector's ``extract_feat`` returns the head maps from the session and its ``bbox_head`` passes
    them through; a face recognizer's ``extract_feat`` returns the session's embedding.
    """
    kind, _ = deployable_network(model)
    fn = OnnxFunction(path, template, threads)
    model.onnx_function = fn  # registered as a child module (moves with .to(), shows in repr)
    # instance attributes shadow the class methods (object.__setattr__: nn.Module would file a module
    # under _modules, where the class method would still win the lookup)
    object.__setattr__(model, 'extract_feat', fn)
    if kind == 'detector':
        object.__setattr__(model.bbox_head, 'forward', lambda maps: maps)
    return model


def calibration_batches_from_loader(model: nn.Module, dataloader, num_images: int) -> Iterator[np.ndarray]:
    """Pre-processed input batches (the model's data preprocessor applied) from an OpenMMLab
    dataloader, until ``num_images`` images were yielded."""
    seen = 0
    for data in dataloader:
        data = model.data_preprocessor(data, False)
        x = data['inputs'].detach().cpu().numpy().astype(np.float32)
        if seen + len(x) > num_images:
            x = x[:num_images - seen]
        seen += len(x)
        yield x
        if seen >= num_images:
            return
