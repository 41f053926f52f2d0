# C²L Table 1 row 2: PiCIE + part contrastive module (alpha = 0.5),
# on the ImageNet-initialised Lite0 FPN of picie_fpn-lite0_minihumans-atr-3class.py.
_base_ = ['./picie_fpn-lite0_minihumans-atr-3class.py']
model = dict(part_head={{_base_.part_head_cfg}})
