# CPU version of C²L Table 1 row 3: + pixel consistent module with an ordinary FFN.
_base_ = ['./picie_fpn-r18_minihumans-atr-3class.py']
model = dict(part_head={{_base_.part_head_cfg}}, pixel_module={{_base_.pixel_module_cfg}})
