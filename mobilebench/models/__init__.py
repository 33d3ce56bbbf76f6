"""The suite's model components (registry scope ``mobilebench``), imported lazily by the registry's
``locations`` or explicitly through a config's ``custom_imports``.

Importing this package applies the mmdet 3.3.0 ``SSDHead`` fix (:func:`mobilebench.compat.patch_ssd_head`),
which is why every SSDLite template lists ``custom_imports=dict(imports=['mobilebench.models'], ...)``.
"""
from mobilebench.compat import patch_ssd_head

patch_ssd_head()
