"""Visualizer of human parsing: part colours with a legend, and persons with their scores.

:class:`ParsingLocalVisualizer` extends mmseg's ``SegLocalVisualizer`` (same
constructor, ``add_datasample`` and backends, so ``tools/test.py --show-dir``,
``SegVisualizationHook`` and the Inferencers all use it) with what human
parsing needs to show:

- the semantic map (``gt_sem_seg`` / ``pred_sem_seg``) in the dataset palette,
  painted over the foreground only (label 0, the background, stays the image),
  with a legend of the classes present instead of mmseg's labels on the regions;
- the persons of a multi-person prediction (``pred_instances``): each kept
  person's box, its id and QAM quality score, and its best-scored parts.

Everything is drawn with mmengine ``Visualizer`` primitives
(``draw_binary_masks``, ``draw_bboxes``, ``draw_texts``).

Note:
    n: persons of an image. C: parsing classes, background (0) included.
    H, W: image height and width.
"""
from typing import List, Optional, Sequence, Tuple

import mmcv
import numpy as np
import torch
from mmengine.dist import master_only
from mmengine.structures import InstanceData, PixelData
from mmseg.structures import SegDataSample
from mmseg.utils import get_classes, get_palette
from mmseg.visualization import SegLocalVisualizer

from hp_mm.registry import VISUALIZERS
from hp_mm.structures import bbox_center_xyxy_to_coco, to_numpy

# distinct, saturated person colours (RGB), used in turn by person id
PERSON_COLORS = ((0, 200, 0), (255, 64, 0), (0, 128, 255), (255, 0, 200), (255, 200, 0),
                 (0, 220, 220), (160, 0, 255), (128, 128, 0), (255, 128, 128), (0, 96, 0))


def _text_color(rgb: Sequence[int]) -> Tuple[int, int, int]:
    """Black or white, whichever reads better on ``rgb`` (ITU-R BT.601 luma)."""
    luma = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
    return (0, 0, 0) if luma > 140 else (255, 255, 255)


def default_palette(num_classes: int) -> List[Tuple[int, int, int]]:
    """A fixed palette for class lists that come without one (background black)."""
    rng = np.random.default_rng(0)
    palette = [tuple(int(v) for v in c) for c in rng.integers(0, 256, (num_classes, 3))]
    if num_classes:
        palette[0] = (0, 0, 0)
    return palette


@VISUALIZERS.register_module()
class ParsingLocalVisualizer(SegLocalVisualizer):
    """mmseg's ``SegLocalVisualizer`` for human parsing: a legend and scored persons.

    One panel (``gt`` or ``pred``) is drawn as:

    1. the image, with every class ``c >= 1`` of the semantic map present
       blended in the palette colour ``palette[c]`` with opacity ``alpha``
       (:meth:`draw_binary_masks`; label 0 and labels ``>= C`` such as 255
       are left as they are);
    2. for a prediction with ``pred_instances``: the persons drawn (those with
       ``kept`` True when the field exists, and ``scores >= score_thr``), each
       with its box (``bboxes`` in hp_mm's pixel-centre convention, drawn on
       the pixels' outer edges) in the person's colour, and a label above the
       box (inside it when there is no room above):
       ``'<id>: <score>'`` and, with ``num_top_parts > 0``, one line
       ``'<class> <part score>'`` for each of the person's best-scored parts
       among those present in its ``parsings`` (``part_scores`` (n, C - 1)).
       The id is ``ids`` (n,) when the instances carry it (e.g. the CIHP
       human ids), else the 1-based rank of the person's score among those
       drawn;
    3. with ``with_labels`` (``add_datasample``'s argument, mmseg's name) a
       legend of the classes present, one coloured entry each, stacked in the
       top-right corner (rows that do not fit are summed up as ``+k more``).

    With a ground truth and a prediction, ``add_datasample`` puts the two
    panels side by side (GT left), as mmseg.

    Args:
        name (str): Instance name. Defaults to ``'visualizer'``.
        image (np.ndarray, optional): RGB image to draw on.
        vis_backends (list[dict], optional): Visual backends.
        save_dir (str, optional): Where the backends save.
        classes (Sequence[str], optional): Class names; else the dataset
            meta set later (``visualizer.dataset_meta = ...``, as the Runner
            does), else ``dataset_name``'s.
        palette (Sequence, optional): RGB colours, one per class; generated
            when missing.
        dataset_name (str, optional): Where the default classes and palette
            come from: hp_mm's LIP for None or ``'lip'``, else mmseg's dataset
            of that name.
        alpha (float): Opacity of the part colours. Defaults to 0.6.
        score_thr (float): Persons with a lower quality score are not drawn.
            Defaults to 0.
        num_top_parts (int): Best-scored parts listed under each person.
            Defaults to 3.
        line_width (float): Box line width (points). Defaults to 2.
        box_alpha (float): Opacity of the boxes. Defaults to 0.8.
        font_size (float, optional): Label font size (points); defaults to
            ``sqrt(H * W) / 40`` clipped to [4, 13].
        legend_font_size (float, optional): Legend font size (points);
            defaults to 0.8 of ``font_size``.
        person_colors (Sequence[tuple], optional): RGB colours used in turn
            for person ids 1, 2, ...; defaults to :data:`PERSON_COLORS`.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 image: Optional[np.ndarray] = None,
                 vis_backends: Optional[List[dict]] = None,
                 save_dir: Optional[str] = None,
                 classes: Optional[Sequence[str]] = None,
                 palette: Optional[Sequence] = None,
                 dataset_name: Optional[str] = None,
                 alpha: float = 0.6,
                 score_thr: float = 0.0,
                 num_top_parts: int = 3,
                 line_width: float = 2.0,
                 box_alpha: float = 0.8,
                 font_size: Optional[float] = None,
                 legend_font_size: Optional[float] = None,
                 person_colors: Optional[Sequence[Tuple[int, int, int]]] = None,
                 **kwargs) -> None:
        # mmseg 1.2.2's __init__ passes (palette, classes) to set_dataset_meta in the wrong
        # order: set them here, by name
        super().__init__(name, image, vis_backends, save_dir, alpha=alpha, **kwargs)
        self.set_dataset_meta(classes, palette, dataset_name)
        self.score_thr = float(score_thr)
        self.num_top_parts = int(num_top_parts)
        self.line_width = float(line_width)
        self.box_alpha = float(box_alpha)
        self.font_size = font_size
        self.legend_font_size = legend_font_size
        self.person_colors = [tuple(int(v) for v in c) for c in (person_colors or PERSON_COLORS)]
        if not self.person_colors:
            raise ValueError('person_colors must hold at least one RGB colour')

    # ------------------------------------------------------------------ meta
    def set_dataset_meta(self,
                         classes: Optional[Sequence[str]] = None,
                         palette: Optional[Sequence] = None,
                         dataset_name: Optional[str] = None) -> None:
        """Set ``classes`` and ``palette`` (a palette is generated if only classes are given).

        Args:
            classes (Sequence[str], optional): Class names.
            palette (Sequence, optional): One RGB colour per class.
            dataset_name (str, optional): Source of the defaults when
                ``classes`` is None: hp_mm's LIP (None, ``'lip'``) or an
                mmseg dataset name.
        """
        if not classes:
            classes, default = self._named_dataset_meta(dataset_name)
            palette = palette or default
        classes = list(classes)
        palette = [tuple(int(v) for v in c) for c in palette] if palette else \
            default_palette(len(classes))
        if len(palette) < len(classes):
            raise ValueError(f'the palette has {len(palette)} colours for {len(classes)} '
                             'classes')
        self.dataset_meta = {'classes': classes, 'palette': palette}

    @staticmethod
    def _named_dataset_meta(dataset_name: Optional[str]) -> Tuple[list, Optional[list]]:
        """Classes and palette of hp_mm's LIP (default) or of an mmseg dataset name."""
        if dataset_name in (None, 'lip', 'LIP'):
            from hp_mm.datasets import LIPDataset
            return list(LIPDataset.METAINFO['classes']), list(LIPDataset.METAINFO['palette'])
        classes = get_classes(dataset_name)
        palette = get_palette(dataset_name)
        numeric = all(isinstance(v, (int, np.integer)) for c in palette for v in c)
        return classes, palette if numeric else None  # (mmseg 1.2.2's lip_palette holds names)

    def _classes_palette(self) -> Tuple[List[str], List[Tuple[int, int, int]]]:
        """Classes and palette of ``dataset_meta`` (set by :meth:`set_dataset_meta` or a Runner)."""
        meta = self.dataset_meta or {}
        classes = meta.get('classes')
        if not classes:
            raise ValueError('ParsingLocalVisualizer: no `classes` in dataset_meta; call '
                             'set_dataset_meta(classes, palette) first')
        classes = list(classes)
        palette = meta.get('palette')
        palette = [tuple(int(v) for v in c) for c in palette] if palette is not None and \
            len(palette) >= len(classes) else default_palette(len(classes))
        return classes, palette

    # ---------------------------------------------------------------- sizes
    def _label_font_size(self) -> float:
        if self.font_size is not None:
            return float(self.font_size)
        # mmengine's default (>= 10 pt) buries small images: scale with the image instead
        return float(np.clip(np.sqrt(self.width * self.height) / 40.0, 4.0, 13.0))

    def _legend_font_size(self) -> float:
        if self.legend_font_size is not None:
            return float(self.legend_font_size)
        return 0.8 * self._label_font_size()

    def _points_to_pixels(self, points: float) -> float:
        return points * self.dpi / 72.0

    # --------------------------------------------------------------- drawing
    def draw_parts(self, sem_seg, num_classes: int,
                   palette: Sequence[Tuple[int, int, int]]) -> List[int]:
        """Blend the classes ``1 .. C - 1`` present in ``sem_seg`` into the current image.

        Args:
            sem_seg (PixelData | Tensor | ndarray): Label map, (1, H, W) or
                (H, W), at the size of the image set.
            num_classes (int): C; labels ``>= C`` (e.g. 255) are not drawn.
            palette (Sequence[tuple]): RGB colour of each class.

        Returns:
            list[int]: The classes drawn, ascending.
        """
        data = sem_seg.data if isinstance(sem_seg, PixelData) else sem_seg
        label = to_numpy(data)
        if label.ndim == 3:
            label = label[0]
        if label.shape != (self.height, self.width):
            raise ValueError(f'the semantic map is {label.shape[0]}x{label.shape[1]} but the '
                             f'image is {self.height}x{self.width}: draw maps at image size')
        present = [int(c) for c in np.unique(label) if 0 < c < num_classes]
        if present:
            masks = label[None] == np.asarray(present)[:, None, None]
            self.draw_binary_masks(masks, colors=[tuple(palette[c]) for c in present],
                                   alphas=float(self.alpha))
        return present

    def _persons_to_draw(self, instances: InstanceData) -> np.ndarray:
        """Indices of the persons drawn: kept (if the field exists), score >= score_thr,
        ``ids > 0`` (if the field exists), by descending score."""
        n = len(instances)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        scores = to_numpy(instances.scores).astype(np.float64).reshape(-1) \
            if 'scores' in instances else np.ones(n)
        keep = scores >= self.score_thr
        if 'kept' in instances:
            keep &= to_numpy(instances.kept).astype(bool).reshape(-1)
        if 'ids' in instances:
            keep &= to_numpy(instances.ids).reshape(-1) > 0
        idx = np.flatnonzero(keep)
        return idx[np.argsort(-scores[idx], kind='stable')]

    def draw_persons(self, instances: InstanceData, classes: Sequence[str]) -> np.ndarray:
        """Draw the persons' boxes and labels (id, quality score, top parts).

        Args:
            instances (InstanceData): ``bboxes`` (n, 4) xyxy pixel-centre
                boxes; optional ``scores`` (n,), ``part_scores`` (n, C - 1),
                ``parsings`` (n, H, W), ``kept`` (n,) bool, ``ids`` (n,) int.
            classes (Sequence[str]): Class names (for the part lines).

        Returns:
            np.ndarray: The indices of the persons drawn, (k,), by descending
            score.
        """
        order = self._persons_to_draw(instances)
        if order.size == 0:
            return order
        boxes = to_numpy(instances.bboxes).astype(np.float64).reshape(-1, 4)[order]
        coco = bbox_center_xyxy_to_coco(boxes)  # pixel corners at integers, as matplotlib's
        corners = np.concatenate([coco[:, :2], coco[:, :2] + coco[:, 2:]], axis=1)
        corners = np.clip(corners, 0, [self.width, self.height, self.width, self.height])
        scores = to_numpy(instances.scores).reshape(-1)[order] if 'scores' in instances \
            else None
        ids = to_numpy(instances.ids).reshape(-1)[order].astype(np.int64) \
            if 'ids' in instances else np.arange(1, order.size + 1)
        colors = [self.person_colors[(int(i) - 1) % len(self.person_colors)] for i in ids]
        self.draw_bboxes(corners, edge_colors=colors, line_widths=self.line_width,
                         alpha=self.box_alpha)

        part_scores = to_numpy(instances.part_scores)[order] \
            if 'part_scores' in instances and self.num_top_parts > 0 else None
        parsings = instances.parsings if 'parsings' in instances else None
        font = self._label_font_size()
        font_px = self._points_to_pixels(font)
        pad = 0.3  # label box padding, in font sizes (matplotlib's default)
        for k, p in enumerate(order):
            lines = [f'{ids[k]}: {scores[k]:.2f}' if scores is not None else f'{ids[k]}']
            if part_scores is not None:
                cand = np.arange(part_scores.shape[1])
                if parsings is not None:
                    present = torch.unique(torch.as_tensor(parsings[int(p)])).cpu().numpy()
                    cand = cand[np.isin(cand + 1, present)]
                best = cand[np.argsort(-part_scores[k][cand], kind='stable')][:self.num_top_parts]
                lines += [f'{classes[c + 1] if c + 1 < len(classes) else c + 1} '
                          f'{part_scores[k][c]:.2f}' for c in best]
            height = (1.25 * len(lines) + 2 * pad) * font_px
            x1, y1 = corners[k, 0], corners[k, 1]
            above = y1 - height >= 0
            self.draw_texts(
                '\n'.join(lines),
                np.array([x1, y1 if above else y1 + self._points_to_pixels(self.line_width)]),
                font_sizes=font,
                colors=_text_color(colors[k]),
                vertical_alignments='bottom' if above else 'top',
                horizontal_alignments='left',
                bboxes=dict(facecolor=tuple(v / 255 for v in colors[k]), alpha=1.0, pad=pad,
                            edgecolor='none'))
        return order

    def draw_legend(self, labels: Sequence[int], classes: Sequence[str],
                    palette: Sequence[Tuple[int, int, int]]) -> None:
        """Legend of ``labels`` in the top-right corner: each class name on its colour.

        Args:
            labels (Sequence[int]): Classes to list, in order.
            classes (Sequence[str]): Class names.
            palette (Sequence[tuple]): RGB colours.
        """
        if not len(labels):
            return
        font = self._legend_font_size()
        font_px = self._points_to_pixels(font)
        pad = 0.3
        row = (1.25 + 2 * pad) * font_px
        margin = 2.0  # matplotlib aligns the padded box at the anchor
        rows = max(1, int((self.height - 2 * margin) // row) + 1)
        entries = [(classes[c], palette[c]) for c in labels]
        if len(entries) > rows:
            rest = len(entries) - (rows - 1)
            entries = entries[:rows - 1] + [(f'+{rest} more', (255, 255, 255))]
        positions = np.array([[self.width - margin, margin + i * row]
                              for i in range(len(entries))])
        self.draw_texts(
            [name for name, _ in entries],
            positions,
            font_sizes=font,
            colors=[_text_color(c) for _, c in entries],
            vertical_alignments='top',
            horizontal_alignments='right',
            bboxes=[dict(facecolor=tuple(v / 255 for v in c), alpha=1.0, pad=pad,
                         edgecolor='none') for _, c in entries])

    def draw_parsing(self,
                     image: np.ndarray,
                     sem_seg=None,
                     instances: Optional[InstanceData] = None,
                     with_legend: bool = True) -> np.ndarray:
        """One panel: the image, its part colours, its persons and the legend.

        Args:
            image (np.ndarray): RGB image (H, W, 3) uint8.
            sem_seg (PixelData | Tensor | ndarray, optional): (1, H, W) labels.
            instances (InstanceData, optional): Persons (see
                :meth:`draw_persons`).
            with_legend (bool): Draw the legend of the classes present.

        Returns:
            np.ndarray: The drawn RGB image (H, W, 3).
        """
        classes, palette = self._classes_palette()
        self.set_image(image)
        present = self.draw_parts(sem_seg, len(classes), palette) if sem_seg is not None else []
        if instances is not None and 'bboxes' in instances:
            self.draw_persons(instances, classes)
        if with_legend:
            self.draw_legend(present, classes, palette)
        return self.get_image()

    def _draw_sem_seg(self,
                      image: np.ndarray,
                      sem_seg: PixelData,
                      classes: Optional[List],
                      palette: Optional[List],
                      with_labels: Optional[bool] = True) -> np.ndarray:
        """mmseg's hook point: the panel without persons (a legend instead of region labels)."""
        return self.draw_parsing(image, sem_seg, None, bool(with_labels))

    @master_only
    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample: Optional[SegDataSample] = None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       step: int = 0,
                       with_labels: Optional[bool] = True) -> Optional[np.ndarray]:
        """Draw a data sample (GT left, prediction right) and save it, as mmseg.

        The GT panel draws ``gt_sem_seg``; the prediction panel draws
        ``pred_sem_seg`` and the persons of ``pred_instances``.

        Args:
            name (str): Image identifier (backend key / window title).
            image (np.ndarray): RGB image (H, W, 3).
            data_sample (SegDataSample, optional): GT and/or prediction.
            draw_gt (bool): Draw the GT panel. Defaults to True.
            draw_pred (bool): Draw the prediction panel. Defaults to True.
            show (bool): Show the result in a window. Defaults to False.
            wait_time (float): Show time (s). Defaults to 0.
            out_file (str, optional): Write the result (as BGR) here instead
                of to the backends.
            step (int): Global step for the backends.
            with_labels (bool): Draw the legend. Defaults to True.

        Returns:
            np.ndarray | None: The drawn RGB image (None without anything to
            draw).
        """
        panels = []
        if data_sample is not None and draw_gt and 'gt_sem_seg' in data_sample:
            panels.append(self.draw_parsing(image, data_sample.gt_sem_seg, None,
                                            bool(with_labels)))
        if data_sample is not None and draw_pred and ('pred_sem_seg' in data_sample
                                                      or 'pred_instances' in data_sample):
            panels.append(self.draw_parsing(image, data_sample.get('pred_sem_seg'),
                                            data_sample.get('pred_instances'),
                                            bool(with_labels)))
        if not panels:
            return None
        drawn = panels[0] if len(panels) == 1 else np.concatenate(panels, axis=1)
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(mmcv.rgb2bgr(drawn), out_file)
        else:
            self.add_image(name, drawn, step)
        return drawn


__all__: List[str] = ['ParsingLocalVisualizer', 'PERSON_COLORS', 'default_palette']
