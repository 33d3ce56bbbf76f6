# The ResNet50-v1b reference row of AsymmNet Table 8 (GluonCV `resnet50_v1b_hmdb51`, TSN with 3 segments,
# 55.2 % top-1 in GluonCV's model zoo): ResNet-50 v1b (stride on the 3x3 conv = mmaction2's ResNet,
# style 'pytorch') -> global pool -> dropout -> Linear(2048, 51) (GluonCV `actionrec_resnetv1b.py`), i.e.
# mmaction2's own TSN, with the paper template's 224 test crop. Counted per frame.
_base_ = ['../_base_/tasks/tsn_hmdb51_video_paper.py']

model = dict(
    backbone=dict(_delete_=True, type='mmaction.ResNet', depth=50, norm_eval=False, pretrained=None),
    cls_head=dict(_delete_=True, type='TSNHead', num_classes=51, in_channels=2048, spatial_type='avg',
                  consensus=dict(type='AvgConsensus', dim=1), dropout_ratio=0.4, init_std=0.01,
                  average_clips='prob'))
backbone_name = 'resnet50-v1b'
