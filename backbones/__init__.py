"""Mobile CNN backbones as OpenMMLab components (registry scope ``backbones``).

Use them from any mmdet / mmpose / mmaction2 config as ``type='backbones.<Name>'``. This package is a leaf:
it imports only torch, mmengine, mmcv and mmdet, never the suite (``mobilebench``), and importing it changes no
global state beyond registering its classes.
"""
from .base import LayerInfo, MobileBackbone, resolve_taps  # noqa: F401
from .registry import MODELS  # noqa: F401
from .hbonet import HBONet  # noqa: F401
from .mobilenext import MobileNeXt  # noqa: F401
from .asymmnet import AsymmBottleneck, AsymmNet  # noqa: F401
from .classifiers import ImageNetClassifier, MobileClsHead, build_imagenet_model  # noqa: F401
from .mobilenet_v2 import MobileNetV2  # noqa: F401
from .mobilenet_v1 import MobileNetV1  # noqa: F401
