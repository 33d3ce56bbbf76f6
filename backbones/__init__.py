"""Mobile CNN backbones as OpenMMLab components (registry scope ``backbones``).

Use them from any mmdet / mmpose / mmaction2 config as ``type='backbones.<Name>'``.
"""
import mobilebench.compat  # noqa: F401  (torch 2.13 / numpy 2 shims, applied once)

from .base import LayerInfo, MobileBackbone, resolve_taps  # noqa: F401
from .registry import MODELS  # noqa: F401
from .hbonet import HBONet  # noqa: F401
from .mobilenext import MobileNeXt  # noqa: F401
from .asymmnet import AsymmBottleneck, AsymmNet  # noqa: F401
from .classifiers import ImageNetClassifier, MobileClsHead, build_imagenet_model  # noqa: F401
from .mobilenet_v2 import MobileNetV2  # noqa: F401
from .mobilenet_v1 import MobileNetV1  # noqa: F401
