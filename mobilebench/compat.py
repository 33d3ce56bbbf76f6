"""The one compatibility layer between the pinned OpenMMLab stack and torch 2.13 / numpy 2.

Importing this module applies every shim once. The entry points import it: each config lists it first in
its ``custom_imports`` (so mmdet's / mmpose's / mmaction2's own ``tools/train.py`` and ``mim train`` get it
from ``Config.fromfile``), and the suite's tools and the test session import it before anything else. The
``backbones`` package and ``import mobilebench`` do not. Every shim names the upstream bug it covers.
Security is not weakened: checkpoints keep ``torch.load(weights_only=True)``; we only allow-list the
plain-data classes that mmengine's own checkpoints contain.
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
    _APPLIED = True


apply()
