"""The backbone package's registry: a child of mmengine's root ``MODELS``.

Scope is the package name, so any mmdet, mmpose or mmaction2 config can say
``type='backbones.AsymmNet'``: mmengine imports ``backbones.registry`` on the prefixed key, finds this
child under the root and lazily imports ``locations`` (no ``custom_imports`` needed).
"""
from mmengine.registry import MODELS as MMENGINE_MODELS

from mobilebench.listing_registry import ListingRegistry

MODELS = ListingRegistry('model', parent=MMENGINE_MODELS, scope='backbones', locations=['backbones'])
