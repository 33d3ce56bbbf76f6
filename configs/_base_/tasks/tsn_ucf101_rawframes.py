# TSN on UCF101 from extracted RGB frames, split 1 by default; same recipe as HMDB51 except 101 classes.
_base_ = ['./tsn_hmdb51_rawframes.py']

num_classes = 101
dataset_name = 'ucf101'
split = 1  # official train/test splits: 1, 2, 3
data_root = 'data/ucf101/'
data_prefix_frames = data_root + 'rawframes'
ann_file_train = f'{data_root}{dataset_name}_train_split_{split}_rawframes.txt'
ann_file_val = f'{data_root}{dataset_name}_val_split_{split}_rawframes.txt'
ann_file_test = ann_file_val

model = dict(cls_head=dict(num_classes=num_classes))
train_dataloader = dict(dataset=dict(ann_file=ann_file_train, data_prefix=dict(img=data_prefix_frames),
                                     num_classes=num_classes))
val_dataloader = dict(dataset=dict(ann_file=ann_file_val, data_prefix=dict(img=data_prefix_frames),
                                   num_classes=num_classes))
test_dataloader = dict(dataset=dict(ann_file=ann_file_test, data_prefix=dict(img=data_prefix_frames),
                                    num_classes=num_classes))
