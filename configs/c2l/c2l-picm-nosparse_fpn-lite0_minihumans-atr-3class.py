# C²L Table 1 row 3: + pixel consistent module with an ordinary FFN,
# on the ImageNet-initialised Lite0 FPN of picie_fpn-lite0_minihumans-atr-3class.py.
_base_ = ['./picie_fpn-lite0_minihumans-atr-3class.py']
model = dict(part_head={{_base_.part_head_cfg}}, pixel_module={{_base_.pixel_module_cfg}})
