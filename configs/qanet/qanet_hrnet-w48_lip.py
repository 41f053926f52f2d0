# QANet, HRNet-W48 (the official model: no FPN neck, nearest fuse upsampling; see
# qanet_hrnet-w48_cihp.py), LIP single-person
# (soeaver/QANet cfgs/LIP/QANet/QANet_H-W48_512x384_1x.yaml).
# The official checkpoint converts with
#   python tools/model_converters/qanet2hpmm.py QANet_H-W48_512x384_1x.pth \
#       checkpoints/qanet_hrnet-w48_lip.pth --dataset lip
# LIP in QANet's CIHP-style re-pack (this layout is not checked against a real copy):
#   data/LIP/{Training,Validation}/{Images,Category_ids,Human_ids}/ + annotations/LIP_{train,val}.json
# One person per image; the single-person mIoU is the mIoU of MultiHumanParsingMetric.
_base_ = ['./qanet_hrnet-w48_cihp.py']
data_root = 'data/LIP'
dataset_type = 'LIPInstanceDataset'  # LIP's labels: 10 = Jumpsuits (CIHP: Torso-skin)
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='annotations/LIP_train.json'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='annotations/LIP_val.json'))
test_dataloader = val_dataloader
