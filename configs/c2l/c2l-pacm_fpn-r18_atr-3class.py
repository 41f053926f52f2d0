# C²L Table 1 row 2: PiCIE + part contrastive module (alpha = 0.5).
_base_ = ['./picie_fpn-r18_atr-3class.py']
model = dict(part_head={{_base_.part_head_cfg}})
