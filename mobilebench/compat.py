"""The one compatibility layer between the pinned OpenMMLab stack and torch 2.13 / numpy 2.

Importing this module applies every shim once. The entry points import it: each config lists it first in
its ``custom_imports`` (so mmdet's / mmpose's / mmaction2's own ``tools/train.py`` and ``mim train`` get it
from ``Config.fromfile``), and the suite's tools and the test session import it before anything else. The
``backbones`` package and ``import mobilebench`` do not. Every shim names the upstream bug it covers.
Security is not weakened: checkpoints keep ``torch.load(weights_only=True)``; we only allow-list the
plain-data classes that mmengine's own checkpoints contain.
The security shims (explicit ``weights_only=True`` for every implicit ``torch.load``, a restricted
unpickler for mmengine's ``.pkl`` and PyYAML's safe loader for its ``.yaml`` data-file handlers, image
errors that name the file) are separate functions, listed in docs/reliability.md.
"""
from __future__ import annotations

import sys
import types

_APPLIED = False


def _allow_mmengine_checkpoint_globals():
    # mmengine 0.10.7 calls torch.load(filename, map_location=...) without weights_only (issue #1655,
    # fixed after the release by commit 151a87ab which turned weights_only *off*). On torch >= 2.6 the
    # default is weights_only=True, so Runner checkpoints fail on HistoryBuffer and numpy scalars.
    # We keep weights_only=True and allow-list exactly the data classes those checkpoints hold.
    import numpy as np
    import torch
    from mmengine.logging.history_buffer import HistoryBuffer

    safe = [HistoryBuffer, np.ndarray, np.dtype, np.core.multiarray._reconstruct,  # noqa: NPY201
            np.core.multiarray.scalar]  # noqa: NPY201
    safe += [type(np.dtype(t)) for t in ('float64', 'float32', 'float16', 'int64', 'int32', 'int16',
                                          'int8', 'uint8', 'bool')]
    try:  # numpy 2 moved the private module; pickles name either path
        import numpy._core.multiarray as ma2
        safe += [ma2._reconstruct, ma2.scalar]
    except ImportError:  # pragma: no cover - numpy 1
        pass
    torch.serialization.add_safe_globals(safe)


def _picklable_history_buffer():
    # mmengine 0.10.7 HistoryBuffer.__getstate__ stores its statistics *functions* in every checkpoint,
    # which pickles as `builtins.getattr(HistoryBuffer, 'min')`. Allow-listing `getattr` would let a
    # checkpoint reach any attribute of any allowed object, so instead we stop saving them: they are
    # class-level registrations that `__setstate__` restores anyway (`_set_default_statistics` plus
    # whatever `register_statistics` added at import time).
    from mmengine.logging.history_buffer import HistoryBuffer

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop('statistics_methods', None)
        return state

    HistoryBuffer.__getstate__ = __getstate__


def _stub_mmaction_drn():
    # mmaction2 1.2.0's wheel lacks mmaction/models/localizers/drn/ (no __init__.py upstream, so
    # find_packages skipped it; mmaction2 #2714): `import mmaction.models` fails. DRN is a temporal
    # grounding model this suite never uses, so an empty module with DRN=None is enough.
    if 'mmaction.models.localizers.drn' in sys.modules:
        return
    pkg = types.ModuleType('mmaction.models.localizers.drn')
    pkg.__path__ = []
    mod = types.ModuleType('mmaction.models.localizers.drn.drn')
    mod.DRN = None
    pkg.drn = mod
    sys.modules['mmaction.models.localizers.drn'] = pkg
    sys.modules['mmaction.models.localizers.drn.drn'] = mod


def _stub_mmpose_simcc_vis():
    # mmpose 1.3.2 `visualization/local_visualizer.py` imports `simcc_vis.py`, which does
    # `from torchvision.transforms import ToPILImage` at module level: with no torchvision (the CPU
    # stack must not install it: the PyPI torchvision wheel is a CUDA build that fails to load on
    # torch+cpu) `PoseLocalVisualizer`, and so every mmpose Runner, fails to import. SimCCVisualizer
    # only draws SimCC heatmaps (never used by heatmap models); a stand-in that raises on use keeps the
    # rest of mmpose.visualization importable.
    import importlib.util
    if 'mmpose.visualization.simcc_vis' in sys.modules or importlib.util.find_spec('torchvision') is not None:
        return
    mod = types.ModuleType('mmpose.visualization.simcc_vis')

    class SimCCVisualizer:  # noqa: D401
        """Unavailable without torchvision (mmpose draws SimCC heatmaps with ToPILImage)."""

        def __init__(self, *args, **kwargs):
            raise ImportError('mmpose SimCCVisualizer needs torchvision, which this CPU stack does not '
                              'install (its PyPI wheel is a CUDA build)')

    mod.SimCCVisualizer = SimCCVisualizer
    sys.modules['mmpose.visualization.simcc_vis'] = mod


# ----------------------------------------------------------------------------------------------------
# Security shims (issue 23): no code execution from checkpoints or data files, whatever the environment
# says. Each function is independent; ``apply()`` calls them once.
# ----------------------------------------------------------------------------------------------------
def _checkpoints_load_weights_only():
    # mmengine 0.10.7 (runner/checkpoint.py: load_from_local, load_from_ceph, load_from_pavi,
    # load_from_openmmlab; utils/dl_utils/hub.py: load_url) and therefore Runner ``load_from`` /
    # ``resume``, ``init_cfg=dict(type='Pretrained')`` and mmcv/mmdet/mmpose helpers built on them call
    # ``torch.load(f, map_location=...)`` without ``weights_only``. torch then decides from the
    # environment: a variable that forces the old unsafe default turns every such call back into a
    # full unpickler that runs code from the checkpoint. torch lets an explicit ``weights_only=True``
    # win over the environment, so ``torch.load`` gets an explicit True whenever the caller passed
    # nothing. A caller that really wants a full unpickle must say ``weights_only=False`` in code.
    import functools

    import torch
    original = torch.load
    if getattr(original, '_mobilebench_weights_only', False):
        return

    @functools.wraps(original)
    def load(f, map_location=None, pickle_module=None, *, weights_only=None, **kwargs):
        if weights_only is None:
            weights_only = True
        return original(f, map_location=map_location, pickle_module=pickle_module, weights_only=weights_only,
                        **kwargs)

    load._mobilebench_weights_only = True
    torch.load = load


def _find_mmengine_load_target() -> str:
    # mmengine.fileio.load(file) hands the handler an anonymous BytesIO; name the file for the message
    frame = sys._getframe(2)
    for _ in range(4):
        if frame is None:
            break
        if frame.f_code.co_name == 'load' and frame.f_code.co_filename.endswith('fileio/io.py'):
            target = frame.f_locals.get('file')
            return target if isinstance(target, str) else repr(target)
        frame = frame.f_back
    return '<pickle read by mmengine.fileio.load>'


def _restricted_mmengine_pickle_files():
    # mmengine.fileio.load picks the reader by file extension: a ``.pkl`` / ``.pickle`` path is
    # ``pickle.load``-ed, i.e. executed. Every data file of the suite and of the toolboxes that may be a
    # pickle (mmpose ``bbox_file``, a ``BaseDataset`` ``ann_file``, ...) goes through this handler, so
    # it now uses the restricted unpickler of ``mobilebench.safe_pickle`` (plain data and numeric numpy
    # arrays only; nothing else is ever called). Writing pickles is unchanged.
    from mmengine.fileio.handlers.pickle_handler import PickleHandler

    from .safe_pickle import restricted_load

    if getattr(PickleHandler.load_from_fileobj, '_mobilebench_restricted', False):
        return

    def load_from_fileobj(self, file, **kwargs):  # kwargs: pickle.Unpickler's encoding / errors
        source = getattr(file, 'name', None) or _find_mmengine_load_target()
        return restricted_load(file, source=source, expected=(
            'pickled data files are read with a restricted unpickler that accepts only plain data (dict, list, '
            'str, numbers, numeric numpy arrays); convert the file to JSON, or re-save it as plain data'), **kwargs)

    load_from_fileobj._mobilebench_restricted = True
    PickleHandler.load_from_fileobj = load_from_fileobj


def _safe_mmengine_yaml_files():
    # mmengine 0.10.7 YamlHandler reads ``.yaml`` / ``.yml`` with ``yaml.CLoader`` (PyYAML's full,
    # unsafe loader): ``!!python/object/apply:os.system [...]`` in a data file runs. Data files are plain
    # data, so they are read with PyYAML's safe loader (mappings, lists, strings, numbers, dates).
    import yaml
    from mmengine.fileio.handlers.yaml_handler import YamlHandler

    if getattr(YamlHandler.load_from_fileobj, '_mobilebench_safe', False):
        return
    safe_loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)

    def load_from_fileobj(self, file, **kwargs):
        kwargs['Loader'] = safe_loader
        return yaml.load(file, **kwargs)

    load_from_fileobj._mobilebench_safe = True
    YamlHandler.load_from_fileobj = load_from_fileobj


def _image_errors_name_the_file():
    # mmcv 2.1.0 LoadImageFromFile (also under mmdet's pipelines and mmpose's LoadImage): an empty image
    # file reaches cv2.imdecode, whose "(-215:Assertion failed) !buf.empty()" names no file, and a
    # corrupt one ends in a bare ``AssertionError: failed to load image``. Both become a ValueError that
    # names the file, the sample and the fix. Missing / unreadable files (OSError) pass through as they
    # are, and ``ignore_empty=True`` keeps returning None.
    import functools
    import os

    from mmcv.transforms.loading import LoadImageFromFile

    original = LoadImageFromFile.transform
    if getattr(original, '_mobilebench_named', False):
        return

    @functools.wraps(original)
    def transform(self, results):
        try:
            return original(self, results)
        except OSError:
            raise
        except Exception as exc:
            path = results.get('img_path')
            try:
                what = 'empty (0 bytes)' if os.path.getsize(path) == 0 else 'corrupt, truncated or not an image'
            except (OSError, TypeError):
                what = 'not decodable'
            sample = ', '.join(f'{k} {results[k]}' for k in ('img_id', 'sample_idx') if k in results)
            raise ValueError(f'image {path!r} ({sample or "no sample id"}) is {what}: '
                             f'{type(exc).__name__}: {str(exc).strip()[:200]}. Re-download or re-export the '
                             f'image, or remove it from the annotation file.') from exc

    transform._mobilebench_named = True
    LoadImageFromFile.transform = transform
# --------------------------------------------------------------------------------------------------
# mmpretrain without torchvision
#: mmpretrain 1.2.0 modules that import torchvision at module level, and what they need from it
_MMPRETRAIN_TORCHVISION_USERS = (
    'mmpretrain.datasets.transforms.processing',   # InterpolationMode, transforms.RandomResizedCrop (a base
                                                    # class), F.resized_crop; wraps every torchvision transform
    'mmpretrain.datasets.transforms.formatting',   # F.pil_to_tensor (PackInputs, PIL images only)
    'mmpretrain.models.utils.box_utils',           # torchvision.ops.boxes (grounding heads)
    'mmpretrain.evaluation.metrics.visual_grounding_eval',  # torchvision.ops.boxes
)


def _torchvision_standin_modules() -> dict:
    """Stand-in ``torchvision`` modules with exactly the names those mmpretrain modules touch at import.

    Anything that would *run* torchvision code raises ImportError naming what needs it, so no result is
    ever computed by a stand-in; the transforms the suite's ImageNet pipelines use (mmpretrain's own
    ``RandomResizedCrop``, ``ResizeEdge``, ``CenterCrop``, ``ColorJitter``, ``Lighting``, ``PackInputs`` on
    numpy images) never call it.
    """
    import enum

    def unavailable(name):
        def fn(*args, **kwargs):
            raise ImportError(f'{name} needs torchvision, which this CPU stack does not install; the mmpretrain '
                              f'component calling it is unavailable here (use the numpy/cv2 transforms)')
        fn.__name__ = name.rsplit('.', 1)[-1]
        return fn

    def module(name, **attrs):
        mod = types.ModuleType(name)
        mod.__dict__.update(attrs)
        return mod

    class InterpolationMode(enum.Enum):  # torchvision.transforms.InterpolationMode's members and values
        NEAREST = 'nearest'
        NEAREST_EXACT = 'nearest-exact'
        BILINEAR = 'bilinear'
        BICUBIC = 'bicubic'
        BOX = 'box'
        HAMMING = 'hamming'
        LANCZOS = 'lanczos'

    class RandomResizedCrop:  # base class of mmpretrain's MAERandomResizedCrop
        def __init__(self, *args, **kwargs):
            unavailable('torchvision.transforms.RandomResizedCrop')()

    functional = module('torchvision.transforms.functional',
                        pil_to_tensor=unavailable('torchvision.transforms.functional.pil_to_tensor'),
                        resized_crop=unavailable('torchvision.transforms.functional.resized_crop'),
                        InterpolationMode=InterpolationMode)
    tv_transforms_mod = module('torchvision.transforms.transforms', InterpolationMode=InterpolationMode,
                               RandomResizedCrop=RandomResizedCrop)
    transforms = module('torchvision.transforms', functional=functional, transforms=tv_transforms_mod,
                        InterpolationMode=InterpolationMode, RandomResizedCrop=RandomResizedCrop)
    transforms.__path__ = []
    boxes = module('torchvision.ops.boxes', **{n: unavailable(f'torchvision.ops.boxes.{n}') for n in (
        'box_area', 'box_iou', 'generalized_box_iou', 'box_convert', 'batched_nms', 'nms')})
    ops = module('torchvision.ops', boxes=boxes)
    ops.__path__ = []
    root = module('torchvision', transforms=transforms, ops=ops, __version__='0.0.0+unavailable')
    root.__path__ = []
    return {m.__name__: m for m in (root, transforms, functional, tv_transforms_mod, ops, boxes)}


def _mmpretrain_without_torchvision():
    # mmpretrain 1.2.0 imports torchvision at module level in four modules (_MMPRETRAIN_TORCHVISION_USERS),
    # so without torchvision (no CPU build for torch 2.13; openmmlab_notes §5 #10) `import
    # mmpretrain.datasets` / `mmpretrain.models` fail and no mmpretrain Runner can start. A meta-path finder
    # wraps only those four modules' loaders: while one of them executes, stand-in torchvision modules
    # (_torchvision_standin_modules) are in sys.modules; afterwards they are removed again, so everything
    # else still sees "no torchvision" (find_spec('torchvision') stays None, `import torchvision` fails).
    import importlib.util
    if importlib.util.find_spec('torchvision') is not None:  # a real torchvision: nothing to do
        return
    if any(isinstance(f, _TorchvisionStandinFinder) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _TorchvisionStandinFinder())


class _TorchvisionStandinFinder:
    """Meta-path finder used by :func:`_mmpretrain_without_torchvision` (only for its four modules)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in _MMPRETRAIN_TORCHVISION_USERS:
            return None
        import importlib.machinery
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _StandinLoader(spec.loader)
        return spec


class _StandinLoader:
    """Wraps a module's own loader; only ``exec_module`` differs (get_source etc. are delegated)."""

    def __init__(self, loader):
        self.loader = loader

    def __getattr__(self, name):
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        standins = _torchvision_standin_modules()
        added = [name for name in standins if name not in sys.modules]
        for name in added:
            sys.modules[name] = standins[name]
        try:
            self.loader.exec_module(module)
        finally:
            for name in added:
                sys.modules.pop(name, None)


def patch_ssd_head():
    """mmdet 3.3.0 ``SSDHead`` never sets ``loss_cls`` but ``BaseDenseHead._predict_by_feat_single``
    reads it (for ``custom_cls_channels``): every SSD/SSDLite predict raises AttributeError.
    A class attribute ``loss_cls = None`` restores upstream behaviour (SSD has no custom channels).
    Called lazily (importing mmdet is slow); ``mobilebench.models`` calls it on import."""
    from mmdet.models.dense_heads.ssd_head import SSDHead
    if not hasattr(SSDHead, 'loss_cls'):
        SSDHead.loss_cls = None


def apply():
    global _APPLIED
    if _APPLIED:
        return
    _allow_mmengine_checkpoint_globals()
    _picklable_history_buffer()
    _stub_mmaction_drn()
    _stub_mmpose_simcc_vis()
    _checkpoints_load_weights_only()
    _restricted_mmengine_pickle_files()
    _safe_mmengine_yaml_files()
    _image_errors_name_the_file()
    _mmpretrain_without_torchvision()
    _APPLIED = True


apply()
