# CPU version of full C²L with L_view as the paper's eq. 7 (within-view terms only).
_base_ = ['./c2l_fpn-r18_minihumans-atr-3class.py']
model = dict(decode_head=dict(cross_view=False))
