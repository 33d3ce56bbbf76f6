"""ImageNet classification on mmpretrain: the backbones' official heads as an mmpretrain head / classifier
and a checked ImageNet folder dataset (registry scope ``mobilebench``).

Imported lazily by the ``mobilebench`` registries (``locations``) the first time a config asks for
``type='mobilebench.MobileImageClassifier'`` / ``'mobilebench.MobileImageNetHead'`` /
``'mobilebench.ImageNetFolder'``. See docs/classification.md.
"""
from .datasets import ImageNetFolder, check_imagenet_layout  # noqa: F401
from .models import MobileImageClassifier, MobileImageNetHead  # noqa: F401
