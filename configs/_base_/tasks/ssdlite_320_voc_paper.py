# The MobileNeXt authors' SSDLite-320 (MobileNeXt Table 8; houqb/ssdlite-pytorch-mobilenext,
# configs/mobilenext_ssd320_voc0712.yaml) on VOC07+12 -> VOC07 test, for MobileNeXt x1.0 (literal widths):
#   - taps: the *expanded* features, 576 ch at stride 16 (after the 1x1 expansion of the first stride-32 block)
#     and 1280 ch at stride 32 (after the expansion of the last block) = the backbone taps
#     's16_expand' / 's32_expand' (the authors run their extras after the last block's final depthwise
#     conv, which this backbone does not run when its deepest tap is inside that block: 11.5k params less);
#   - extra levels: the authors' sandglass blocks (mobilebench.SandglassExtraNeck) of 512 / 256 / 256 / 128;
#   - head: mmdet's depthwise SSDHead of the suite's template (the authors use a separable predictor with a
#     plain 1x1 conv on the last level), the template's anchors.
# The table's 4.3 M / 0.8 B are COCO-sized figures (see docs/paper_check.md); this model has ~3.4 M params.
_base_ = ['./ssdlite_320_voc.py']

custom_imports = dict(imports=['mobilebench.models', 'mobilebench.models.ssd_necks', 'mobilebench.datasets.voc',
                               'mobilebench.datasets.coco'], allow_failed_imports=False)

model = dict(
    backbone=dict(out_indices=('s16_expand', 's32_expand')),
    neck=dict(
        _delete_=True,
        type='mobilebench.SandglassExtraNeck',
        in_channels=(576, 1280),
        out_channels=(576, 1280, 512, 256, 256, 128),
        reduce_ratios=(0.2, 0.25, 0.5, 0.5),
        norm_cfg=dict(type='BN', eps=0.001, momentum=0.03),
        act_cfg=dict(type='ReLU6')),
    bbox_head=dict(in_channels=(576, 1280, 512, 256, 256, 128)))
