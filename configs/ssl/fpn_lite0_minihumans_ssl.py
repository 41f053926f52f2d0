# SSL fine-tune of the pretrained quick-start model (configs/lip/fpn_lite0_minihumans.py) with the
# structure-sensitive loss; sigma/stride scaled from the official 48/8 at 321 px to the 160 px crops.
_base_ = ['./fpn_lite0_minihumans_ce-finetune.py']
model = dict(
    decode_head=dict(
        loss_decode=dict(_delete_=True, type='StructureSensitiveLoss', sigma=24.0, heatmap_stride=4)))
