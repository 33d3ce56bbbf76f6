# The SimpleBaseline of AsymmNet Table 9 (COCO keypoints, 256x192): GluonCV's MobilePose
# (`gluoncv/model_zoo/simple_pose/mobile_pose.py`): the backbone to its last 1x1 conv (the 'final' tap,
# stride 32), then a 1x1 conv to 256 and three DUC (3x3 conv + BN + ReLU + pixel shuffle x2) blocks of
# 512 / 256 / 128 channels instead of mmpose's three 256-ch 4x4 deconvolutions, and a 1x1 conv (no bias)
# to the 17 heatmaps (64x48, stride 4). mmpose has no pixel-shuffle head: mobilebench.DUCHeatmapHead is
# mmpose's HeatmapHead with that upsampling (mobilebench/models/pose_heads.py).
# With the MXNet summary tool's counting this reproduces all four rows of Table 9 (AsymmNet-S
# 310.66 M / 1.72 M = the paper's 310.7 / 1.7); the tool counts the 256x192 input as 256x256, the true
# count at 256x192 is 233.15 M for AsymmNet-S. Everything else (data, codec, schedule, evaluation) is
# ./simplebaseline_256x192_coco.py's.
_base_ = ['./simplebaseline_256x192_coco.py']

custom_imports = dict(imports=['mobilebench.models.pose_heads'], allow_failed_imports=False)

model = dict(
    head=dict(
        _delete_=True,
        type='mobilebench.DUCHeatmapHead',
        in_channels='@backbone.out_channels[-1]',
        out_channels=17,
        reduce_channels=256,
        duc_channels=(512, 256, 128),
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder={{_base_.codec}}))
