# The TSN of AsymmNet Table 8 (HMDB51, 224x224): the full ImageNet network with 51 classes, i.e. the
# backbone to its last 1x1 conv, global pooling, a 1x1 conv to 1280 channels (no bias) + h-swish, dropout
# and the classifier (GluonCV `gluoncv/model_zoo/mobilenetv3.py`; the official AsymmNet code uses 1280 for
# the small network too). mobilebench.MobileTSNHead is mmaction2's TSNHead with that pre-logits conv
# (mobilebench/models/action_heads.py). Tested on the paper's 224 centre crop (the suite's default TSN tests
# on 256). MAdds/params are per frame; with the MXNet summary tool's counting this reproduces all four
# rows of Table 8 (AsymmNet-S 56.46 M / 1.86 M = the paper's 56.5 / 1.9).
_base_ = ['./tsn_hmdb51_video.py']

custom_imports = dict(imports=['mobilebench.models.action_heads'], allow_failed_imports=False)

test_crop_size = 224
model = dict(
    cls_head=dict(type='mobilebench.MobileTSNHead', pre_logits_channels=1280,
                  pre_logits_act_cfg=dict(type='HSwish')))

val_pipeline = [
    dict(type='mobilebench.CheckedDecordInit'),
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips={{_base_.num_segments}}, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='CenterCrop', crop_size=test_crop_size),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs'),
]
test_pipeline = val_pipeline
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
