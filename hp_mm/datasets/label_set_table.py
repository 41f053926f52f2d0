"""The label-set table: every class of LIP, CIHP, ATR, PASCAL-Person-Part, MHP-v2 and the
3-class upper/lower merge, as one canonical body part each. Data only; the conversion
that reads it is :func:`hp_mm.datasets.convert_label_set`.

One row per canonical part: the class of each label set that means exactly this part
(``None``: the set has no such class), then the part's *substitutes*.

Converting a class of set ``src`` to set ``dst``:

1. the ``dst`` class in the same row (same meaning: LIP Face <-> ATR face); these are
   the pairs that convert both ways;
2. else the ``dst`` class of the first substitute that ``dst`` has (a documented,
   one-way choice: LIP Jumpsuits -> CIHP UpperClothes);
3. else 255 (ignore): the set has no counterpart and we make no guess.

Choices worth knowing (each is a substitute below):

- Left/right classes keep their side; a part without a side (LIP Glove, Socks) never
  becomes one side, so LIP Glove -> ATR is 255.
- LIP/ATR have no torso-skin class: CIHP/MHP-v2 torso-skin -> UpperClothes (MiniHumans
  paints it so, see ``hp_mm/minihumans/labels.py``). LIP Jumpsuits -> CIHP/ATR
  upper-clothes. Hands and bare feet -> the arm / leg of their
  side (LIP and ATR count them as arm / leg).
- LIP/ATR UpperClothes -> MHP-v2 t-shirt (MHP-v2 splits upper clothes into t-shirt,
  polo-shirt, sweater, ...: the commonest); the MHP-v2 shirts, bra, tie ->
  UpperClothes, jacket and robe -> Coat (ATR: upper-clothes), shorts and belt -> Pants.
- Bags, balls, bottles and the like -> background in sets without them (LIP and
  CIHP have no such class, so their annotators left them background); ATR bag ->
  MHP-v2 carrybag.
- PASCAL-Person-Part labels body parts (a garment is the part under it) and has no
  left/right: head parts go to Head, clothes of the torso to Torso, gloves and hands
  to Lower Arms, socks, shoes and feet to Lower Legs; LIP/ATR arms, legs, pants,
  skirts, dresses span two PASCAL parts and go to 255. PASCAL Head, Torso, arms and
  legs have no LIP/ATR/CIHP/MHP-v2 class (255).
- ``upper-lower`` is the C2L merge of ATR (C2L Sec. 4.1; ``ATR_3CLASS_MERGE`` reads it here):
  background; upper body (head, arms, everything on the torso, dresses, jumpsuits);
  lower body (belt, pants, skirts, legs, shoes). Held objects are background; parts
  whose place is unknown (MHP-v2 protector, other-accessary) are 255.
"""

#: The label sets, in the order of the table's class columns.
LABEL_SET_COLUMNS = ('lip', 'cihp', 'atr', 'pascal-person-part', 'mhp-v2', 'upper-lower')

# yapf: disable
#: (part, lip, cihp, atr, pascal-person-part, mhp-v2, upper-lower, substitutes)
LABEL_SET_TABLE = (
    # ----------------------------------------------------------------- background, coarse parts
    ('background', 'Background', 'Background', 'background', 'Background', 'background', 'background', ()),  # noqa: E501
    ('upper-body', None, None, None, None, None, 'upper-body', ()),
    ('lower-body', None, None, None, None, None, 'lower-body', ()),
    ('head', None, None, None, 'Head', None, None, ('upper-body',)),
    ('torso', None, None, None, 'Torso', None, None, ('upper-body',)),
    ('upper-arms', None, None, None, 'Upper Arms', None, None, ('upper-body',)),
    ('lower-arms', None, None, None, 'Lower Arms', None, None, ('upper-body',)),
    ('upper-legs', None, None, None, 'Upper Legs', None, None, ('lower-body',)),
    ('lower-legs', None, None, None, 'Lower Legs', None, None, ('lower-body',)),
    # ---------------------------------------------------------------------------------- head
    ('hat', 'Hat', 'Hat', 'hat', None, 'cap/hat', None, ('head', 'upper-body')),
    ('helmet', None, None, None, None, 'helmet', None, ('hat', 'head', 'upper-body')),
    ('headwear', None, None, None, None, 'headwear', None, ('hat', 'head', 'upper-body')),
    ('hair', 'Hair', 'Hair', 'hair', None, 'hair', None, ('head', 'upper-body')),
    ('face', 'Face', 'Face', 'face', None, 'face', None, ('head', 'upper-body')),
    ('sunglasses', 'Sunglasses', 'Sunglasses', 'sunglass', None, 'sunglasses', None, ('head', 'upper-body')),  # noqa: E501
    ('eyewear', None, None, None, None, 'eyewear', None, ('sunglasses', 'head', 'upper-body')),
    # ------------------------------------------------------------------------- upper clothes
    ('upper-clothes', 'UpperClothes', 'UpperClothes', 'upper-clothes', None, None, None, ('t-shirt', 'torso', 'upper-body')),  # noqa: E501
    ('t-shirt', None, None, None, None, 't-shirt', None, ('upper-clothes', 'torso', 'upper-body')),  # noqa: E501
    ('polo-shirt', None, None, None, None, 'polo-shirt', None, ('upper-clothes', 'torso', 'upper-body')),  # noqa: E501
    ('sweater', None, None, None, None, 'sweater', None, ('upper-clothes', 'torso', 'upper-body')),  # noqa: E501
    ('singlet', None, None, None, None, 'singlet', None, ('upper-clothes', 'torso', 'upper-body')),  # noqa: E501
    ('jacket', None, None, None, None, 'jacket/windbreaker/hoodie', None, ('coat', 'upper-clothes', 'torso', 'upper-body')),  # noqa: E501
    ('bra', None, None, None, None, 'bikini/bra', None, ('upper-clothes', 'torso', 'upper-body')),  # noqa: E501
    ('other-upper-clothes', None, None, None, None, 'other-upper-body-clothes', None, ('upper-clothes', 'torso', 'upper-body')),  # noqa: E501
    ('coat', 'Coat', 'Coat', None, None, 'coat', None, ('upper-clothes', 'torso', 'upper-body')),
    ('torso-skin', None, 'Torso-skin', None, None, 'torso-skin', None, ('upper-clothes', 'torso', 'upper-body')),  # noqa: E501
    ('scarf', 'Scarf', 'Scarf', 'scarf', None, 'scarf', None, ('upper-body',)),
    ('tie', None, None, None, None, 'tie', None, ('upper-clothes', 'torso', 'upper-body')),
    # ------------------------------------------------------------------- full-body clothes
    ('dress', 'Dress', 'Dress', 'dress', None, 'dress', None, ('upper-body',)),
    ('robe', None, None, None, None, 'robe', None, ('coat', 'dress', 'upper-body')),
    ('jumpsuit', 'Jumpsuits', None, None, None, 'jumpsuit', None, ('upper-clothes', 'upper-body')),  # noqa: E501
    ('other-full-body-clothes', None, None, None, None, 'other-full-body-clothes', None, ('jumpsuit', 'upper-clothes', 'upper-body')),  # noqa: E501
    # ------------------------------------------------------------------------- lower clothes
    ('pants', 'Pants', 'Pants', 'pants', None, 'pants', None, ('lower-body',)),
    ('shorts', None, None, None, None, 'shorts/swim-shorts', None, ('pants', 'lower-body')),
    ('skirt', 'Skirt', 'Skirt', 'skirt', None, 'skirt', None, ('lower-body',)),
    ('belt', None, None, 'belt', None, 'belt', None, ('pants', 'lower-body')),
    ('other-lower-clothes', None, None, None, None, 'other-lower-body-clothes', None, ('pants', 'lower-body')),  # noqa: E501
    ('stockings', None, None, None, None, 'stockings', None, ('lower-body',)),
    ('socks', 'Socks', 'Socks', None, None, 'socks', None, ('lower-legs', 'lower-body')),
    # --------------------------------------------------------------------------- arms, hands
    ('glove', 'Glove', 'Glove', None, None, 'glove', None, ('lower-arms', 'upper-body')),
    ('left-arm', 'Left-arm', 'Left-arm', 'left-arm', None, 'left-arm', None, ('upper-body',)),
    ('right-arm', 'Right-arm', 'Right-arm', 'right-arm', None, 'right-arm', None, ('upper-body',)),  # noqa: E501
    ('left-hand', None, None, None, None, 'left-hand', None, ('left-arm', 'lower-arms', 'upper-body')),  # noqa: E501
    ('right-hand', None, None, None, None, 'right-hand', None, ('right-arm', 'lower-arms', 'upper-body')),  # noqa: E501
    ('watch', None, None, None, None, 'watch', None, ('lower-arms', 'upper-body')),
    ('wristband', None, None, None, None, 'wristband', None, ('lower-arms', 'upper-body')),
    # ---------------------------------------------------------------------------- legs, feet
    ('left-leg', 'Left-leg', 'Left-leg', 'left-leg', None, 'left-leg', None, ('lower-body',)),
    ('right-leg', 'Right-leg', 'Right-leg', 'right-leg', None, 'right-leg', None, ('lower-body',)),  # noqa: E501
    ('left-foot', None, None, None, None, 'left-foot', None, ('left-leg', 'lower-legs', 'lower-body')),  # noqa: E501
    ('right-foot', None, None, None, None, 'right-foot', None, ('right-leg', 'lower-legs', 'lower-body')),  # noqa: E501
    ('left-shoe', 'Left-shoe', 'Left-shoe', 'left-shoe', None, 'left-shoe', None, ('lower-legs', 'lower-body')),  # noqa: E501
    ('right-shoe', 'Right-shoe', 'Right-shoe', 'right-shoe', None, 'right-shoe', None, ('lower-legs', 'lower-body')),  # noqa: E501
    ('left-boot', None, None, None, None, 'left-boot', None, ('left-shoe', 'lower-legs', 'lower-body')),  # noqa: E501
    ('right-boot', None, None, None, None, 'right-boot', None, ('right-shoe', 'lower-legs', 'lower-body')),  # noqa: E501
    ('left-highheel', None, None, None, None, 'left-highheel', None, ('left-shoe', 'lower-legs', 'lower-body')),  # noqa: E501
    ('right-highheel', None, None, None, None, 'right-highheel', None, ('right-shoe', 'lower-legs', 'lower-body')),  # noqa: E501
    ('left-sandal', None, None, None, None, 'left-sandal', None, ('left-shoe', 'lower-legs', 'lower-body')),  # noqa: E501
    ('right-sandal', None, None, None, None, 'right-sandal', None, ('right-shoe', 'lower-legs', 'lower-body')),  # noqa: E501
    # ------------------------------------------------------- carried objects, accessories
    ('bag', None, None, 'bag', None, None, None, ('carrybag', 'background')),
    ('backpack', None, None, None, None, 'backpack', None, ('bag', 'background')),
    ('carrybag', None, None, None, None, 'carrybag', None, ('bag', 'background')),
    ('cases', None, None, None, None, 'cases', None, ('bag', 'background')),
    ('wallet', None, None, None, None, 'wallet/purse', None, ('bag', 'background')),
    ('ball', None, None, None, None, 'ball', None, ('background',)),
    ('bats', None, None, None, None, 'bats', None, ('background',)),
    ('bottle', None, None, None, None, 'bottle', None, ('background',)),
    ('umbrella', None, None, None, None, 'umbrella', None, ('background',)),
    ('protector', None, None, None, None, 'protector', None, ()),
    ('other-accessory', None, None, None, None, 'other-accessary', None, ()),
)
# yapf: enable
