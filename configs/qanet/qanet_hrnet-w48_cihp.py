# QANet, HRNet-W48, CIHP (8 GPUs x 32, 140 epochs), the official model (no FPN neck, nearest fuse
# upsampling; configs/_base_/models/qanet_hrnet-w48.py). The official checkpoint converts with
#   python tools/model_converters/qanet2hpmm.py QANet_H-W48_512x384_1x.pth \
#       checkpoints/qanet_hrnet-w48_cihp.pth
_base_ = [
    '../_base_/models/qanet_hrnet-w48.py', '../_base_/datasets/cihp_instance.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_qanet_140e.py'
]
train_dataloader = dict(batch_size=32)  # x 8 GPUs = 256 (paper)
