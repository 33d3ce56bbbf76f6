"""The suite's model components (registry scope ``mobilebench``), imported lazily by the registry's
``locations`` or explicitly through a config's ``custom_imports``.

Importing this package applies the mmdet 3.3.0 ``SSDHead`` fix (:func:`mobilebench.compat.patch_ssd_head`),
which is why every SSDLite template lists ``custom_imports=dict(imports=['mobilebench.models'], ...)``.

Speed variants (same losses and gradients as upstream, see docs/benchmarks/README.md, "Training speed"):
``mobilebench.FastYOLOV3Head`` and ``mobilebench.FastSSDHead`` build the training targets of a whole batch
at once instead of image by image.
"""
from mobilebench.compat import patch_ssd_head

patch_ssd_head()

from .fast_ssd_head import FastSSDHead  # noqa: E402
from .fast_yolov3_head import FastYOLOV3Head  # noqa: E402

__all__ = ['FastSSDHead', 'FastYOLOV3Head']
