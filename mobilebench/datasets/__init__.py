"""The suite's dataset wrappers and transforms (registry scope ``mobilebench``).

Imported lazily by the ``mobilebench`` registries (``locations``) the first time a config asks for
``type='mobilebench.<Name>'``.
"""
from .action import CheckedDecordInit, RawframeListDataset, VideoListDataset  # noqa: F401
from .coco_keypoints import CocoKeypointDataset  # noqa: F401
from .coco import CocoDataset  # noqa: F401
from .market1501 import Market1501Dataset  # noqa: F401
from .voc import VOCDataset  # noqa: F401
