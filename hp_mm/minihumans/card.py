"""Dataset-card statistics, computed from label maps and recorded attributes.

Person size follows the LIP challenge: the square root of the area of the
tight bounding box of a person's (non-background) pixels, binned into
small (< 153), medium (153 .. 321) and large (>= 321) pixels.
"""
from collections import Counter

import numpy as np

SIZE_BINS = (('small', 0.0, 153.0), ('medium', 153.0, 321.0),
             ('large', 321.0, float('inf')))
ATTRIBUTE_KEYS = ('back_view', 'occlusion', 'truncated', 'occluded',
                  'full_body', 'upper_body', 'head_missed')


def tight_box_size(mask):
    """Square root of the tight bounding-box area of a mask.

    Args:
        mask (np.ndarray): Bool mask, shape (H, W).

    Returns:
        float: sqrt(box width * box height) in pixels, 0 for an empty mask.
    """
    rows = np.flatnonzero(mask.any(1))
    if rows.size == 0:
        return 0.0
    cols = np.flatnonzero(mask.any(0))
    return float(np.sqrt((rows[-1] - rows[0] + 1) * (cols[-1] - cols[0] + 1)))


def size_bin(size):
    """Name of the LIP size bin of a person size (pixels)."""
    for name, lo, hi in SIZE_BINS:
        if lo <= size < hi:
            return name
    return SIZE_BINS[-1][0]


def image_record(label, num_classes, attributes=None, human=None,
                 persons=None, split=None, **extra):
    """Per-image statistics for the card.

    Args:
        label (np.ndarray): Label map of the format, shape (H, W) uint8.
        num_classes (int): Number of classes C of the format.
        attributes (dict | None): Image-level attributes (bools).
        human (np.ndarray | None): Person index map, shape (H, W); when
            given, sizes are per person, else of all foreground pixels.
        persons (list[dict] | None): Per-person attributes.
        split (str | None): Split name.
        **extra: Additional fields kept in the record.

    Returns:
        dict: ``labels`` (present class ids), ``sizes`` (person sizes),
        ``num_persons``, ``height``, ``width``, ``attributes``, ``persons``,
        ``split`` and ``extra``'s fields.
    """
    counts = np.bincount(label.ravel(), minlength=num_classes)
    if counts.size > num_classes:
        raise ValueError(f'label map holds ids >= {num_classes}')
    if human is None:
        sizes = [tight_box_size(label > 0)] if counts[1:].any() else []
        num = 1 if sizes else 0
    else:
        ids = np.unique(human)
        ids = ids[ids > 0]
        sizes = [tight_box_size(human == i) for i in ids]
        num = int(ids.size)
    rec = dict(labels=np.flatnonzero(counts).tolist(), sizes=sizes,
               num_persons=num, height=int(label.shape[0]),
               width=int(label.shape[1]), attributes=attributes,
               persons=persons, split=split)
    rec.update(extra)
    return rec


def _pct(n, d):
    return round(100.0 * n / d, 1) if d else 0.0


def build_card(records, class_names, fmt=''):
    """Aggregate per-image records into a dataset card.

    Args:
        records (list[dict]): Outputs of :func:`image_record`.
        class_names (tuple[str]): Class names of the format (C).
        fmt (str): Format name.

    Returns:
        dict: ``format``, ``num_images`` (per split), ``label_presence_pct``
        (class -> % of images containing it), ``attributes_pct`` (% of
        images, or of persons for multi-person formats), ``person_size_bins``
        (counts), ``person_size_pct``, ``persons_per_image`` (count ->
        images), ``image_height`` (min/mean/max).
    """
    n = len(records)
    present = Counter()
    for r in records:
        present.update(r['labels'])
    card = dict(format=fmt, num_images=dict(Counter(r['split']
                                                    for r in records)))
    card['num_images']['total'] = n
    card['label_presence_pct'] = {
        name: _pct(present[i], n) for i, name in enumerate(class_names)}
    att = [r['attributes'] for r in records if r.get('attributes')]
    unit = 'images'
    if not att:
        att = [p for r in records for p in (r.get('persons') or [])]
        unit = 'persons'
    card['attributes_pct'] = {
        k: _pct(sum(bool(a.get(k)) for a in att), len(att))
        for k in ATTRIBUTE_KEYS if att and k in att[0]}
    card['attributes_unit'] = unit
    sizes = [s for r in records for s in r['sizes']]
    bins = Counter(size_bin(s) for s in sizes)
    card['person_size_bins'] = {b[0]: bins[b[0]] for b in SIZE_BINS}
    card['person_size_pct'] = {b[0]: _pct(bins[b[0]], len(sizes))
                               for b in SIZE_BINS}
    card['persons_per_image'] = dict(sorted(Counter(
        r['num_persons'] for r in records).items()))
    hs = [r['height'] for r in records] or [0]
    card['image_height'] = dict(min=int(min(hs)), mean=round(
        float(np.mean(hs)), 1), max=int(max(hs)))
    return card


def format_card(card):
    """Render a dataset card as text.

    Args:
        card (dict): Output of :func:`build_card` (plus optional extras such
            as ``rate``, ``reid`` or ``photo_style``).

    Returns:
        str: Multi-line text.
    """
    lines = [f"MiniHumans dataset card: {card.get('format', '')}",
             f"images: {card['num_images']}"]
    if 'rate' in card:
        lines.append(f"generation: {card['rate']:.1f} images/s "
                     f"({card.get('seconds', 0):.1f} s, "
                     f"{card.get('workers', 1)} workers)")
    lines.append('label presence (% of images):')
    for name, v in card['label_presence_pct'].items():
        lines.append(f'  {name:<26s}{v:6.1f}')
    lines.append(f"attributes (% of {card.get('attributes_unit', 'images')}):"
                 )
    for k, v in card['attributes_pct'].items():
        lines.append(f'  {k:<26s}{v:6.1f}')
    lines.append('person size bins (count, %): ' + ', '.join(
        f"{k} {card['person_size_bins'][k]} ({card['person_size_pct'][k]}%)"
        for k in card['person_size_bins']))
    lines.append(f"persons per image: {card['persons_per_image']}")
    lines.append(f"image height: {card['image_height']}")
    if 'reid' in card:
        for k, v in card['reid'].items():
            lines.append(f'{k}: {v}')
    if 'photo_style' in card:
        lines.append(f"photo style: {card['photo_style']}")
    return '\n'.join(lines)
