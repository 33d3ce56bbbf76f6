# The YOLOv3 of AsymmNet Table 10 (VOC07+12 -> VOC07 test, 416x416): GluonCV's YOLOv3
# (`gluoncv/model_zoo/yolo/yolo3.py`, `yolo3_mobilenet1_0_voc`), configured from mmdet's own YOLOV3Neck and
# YOLOV3Head, which have exactly its structure (detection blocks 1x1 c -> 3x3 2c -> 1x1 c -> 3x3 2c -> 1x1 c,
# 1x1 transitions + nearest x2 upsampling + concat, a 3x3 2c tip and a biased 1x1 output conv, all
# conv + BN + LeakyReLU(0.1)):
#   - taps: the last layer at stride 8, at stride 16 and the backbone's final layer (for AsymmNet /
#     MobileNetV3 the stride-32 stage *including* the last 1x1 conv + BN + h-swish, 576 / 960 ch;
#     GluonCV MobileNetV1's features[:33], [33:69], [69:-2]);
#   - detection-block widths 512 / 256 / 128 (deepest first), tips 1024 / 512 / 256.
# With the MXNet summary tool's counting (`--convention mxnet-summary`) this model gives the paper's params
# to the last printed digit on all five rows (AsymmNet-S 9.33 M); its MAdds are 2.3-2.5 % above the
# paper's on every row, GluonCV's own MobileNetV1 model included (see docs/paper_check.md).
# The suite's default YOLOv3 (./yolov3_416_voc.py, mmdet's mobile YOLOv3: widths 96, stride-32 stage-end
# tap) is about 4.4x cheaper; it stays the default for the cross-backbone comparison.
_base_ = ['./yolov3_416_voc.py']

model = dict(
    backbone=dict(out_indices=('s8', 's16', 'final')),
    neck=dict(out_channels=[512, 256, 128]),
    bbox_head=dict(in_channels=[512, 256, 128], out_channels=[1024, 512, 256]))
