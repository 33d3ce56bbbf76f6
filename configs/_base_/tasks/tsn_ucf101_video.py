# TSN on UCF101 from videos (decord), split 1 by default; same recipe as HMDB51 except 101 classes.
# Lists: `<Class>/v_<Class>_gXX_cYY.avi <label>` with 0-based labels into
# `tools/data/ucf101/label_map.txt` (mmaction2 `tools/data/ucf101` layout).
_base_ = ['./tsn_hmdb51_video.py']

# settings (docs/settings.md): the HMDB51 template's, with UCF101's values; the fields that mmengine filled in from
# the HMDB51 values when that file was parsed are re-stated here (the record, `setting_fields`, is inherited)
num_classes = 101
dataset_name = 'ucf101'
split = 1  # official train/test splits: 1, 2, 3
data_root = 'data/ucf101/'
train_ann_file = f'{dataset_name}_train_split_{split}_videos.txt'
val_ann_file = f'{dataset_name}_val_split_{split}_videos.txt'

model = dict(cls_head=dict(num_classes=num_classes))
_data = dict(data_prefix=dict(video=data_root + _base_.video_dir), num_classes=num_classes)
train_dataloader = dict(dataset=dict(_data, ann_file=data_root + train_ann_file))
val_dataloader = dict(dataset=dict(_data, ann_file=data_root + val_ann_file))
test_dataloader = dict(dataset=dict(_data, ann_file=data_root + val_ann_file))
