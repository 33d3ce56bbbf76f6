"""Face recognition pipeline (insightface formats and protocol, OpenMMLab components).

Registered (scope ``mobilebench``): ``FaceRecognizer``, ``GDCHead``, ``CombinedMarginLoss``,
``FaceRecordIODataset``, ``FaceImageFolderDataset``, ``FaceVerificationBin``, ``LoadFaceImage``,
``PackFaceInputs``, ``FaceVerificationMetric``.
"""
import mmcv.transforms  # noqa: F401  (registers RandomFlip used by the face configs)

from .bin_format import UnsafeBinError, load_bin, write_bin  # noqa: F401
from .datasets import FaceImageFolderDataset, FaceRecordIODataset, FaceVerificationBin  # noqa: F401
from .metrics import FaceVerificationMetric  # noqa: F401
from .models import CombinedMarginLoss, FaceRecognizer, GDCHead  # noqa: F401
from .recordio import RecordIOError, RecordIOReader, RecordIOWriter, write_face_recordio  # noqa: F401
from .transforms import LoadFaceImage, PackFaceInputs  # noqa: F401
