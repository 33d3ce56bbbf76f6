# TSN on UCF101 from extracted RGB frames, split 1 by default; same recipe as HMDB51 except 101 classes.
_base_ = ['./tsn_hmdb51_rawframes.py']

# settings (docs/settings.md): the HMDB51 template's, with UCF101's values; the fields that mmengine filled in from
# the HMDB51 values when that file was parsed are re-stated here (the record, `setting_fields`, is inherited)
num_classes = 101
dataset_name = 'ucf101'
split = 1  # official train/test splits: 1, 2, 3
data_root = 'data/ucf101/'
train_ann_file = f'{dataset_name}_train_split_{split}_rawframes.txt'
val_ann_file = f'{dataset_name}_val_split_{split}_rawframes.txt'

model = dict(cls_head=dict(num_classes=num_classes))
_data = dict(data_prefix=dict(img=data_root + _base_.frame_dir), num_classes=num_classes)
train_dataloader = dict(dataset=dict(_data, ann_file=data_root + train_ann_file))
val_dataloader = dict(dataset=dict(_data, ann_file=data_root + val_ann_file))
test_dataloader = dict(dataset=dict(_data, ann_file=data_root + val_ann_file))
