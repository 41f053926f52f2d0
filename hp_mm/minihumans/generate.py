"""Generate a MiniHumans dataset in one of the real datasets' formats."""
import multiprocessing as mp
import os
import os.path as osp
import sys
import time

from .card import build_card
from .writers import WRITERS, write_json

CARD_FILE = 'minihumans_card.json'

_WRITER = None


def _init_worker(writer):
    global _WRITER
    _WRITER = writer


def _run(job):
    return _WRITER.make(job)


class _Progress:
    """mmengine's ProgressBar when importable, else a plain stderr counter."""

    def __init__(self, total, enabled=True):
        self.total, self.done, self.bar = total, 0, None
        self.enabled = enabled and total > 0
        self.t0 = time.time()
        if not self.enabled:
            return
        try:
            from mmengine.utils import ProgressBar
            self.bar = ProgressBar(total)
        except ImportError:
            self.bar = None

    def update(self):
        self.done += 1
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update()
        elif self.done == self.total or self.done % max(
                self.total // 50, 1) == 0:
            rate = self.done / max(time.time() - self.t0, 1e-9)
            sys.stderr.write(f'\r[{self.done}/{self.total}] '
                             f'{rate:.1f} images/s')
            if self.done == self.total:
                sys.stderr.write('\n')
            sys.stderr.flush()


def run_jobs(fn_writer, jobs, workers=1, progress=True):
    """Run ``writer.make`` over jobs, in order, with optional workers.

    Args:
        fn_writer (BaseWriter): Writer whose ``make`` renders one job.
        jobs (list): Jobs from ``writer.plan``.
        workers (int): Processes; 1 runs in this process.
        progress (bool): Show a progress bar.

    Returns:
        list[dict]: Records in job order.
    """
    bar = _Progress(len(jobs), progress)
    out = []
    if workers <= 1 or len(jobs) < 2:
        for job in jobs:
            out.append(fn_writer.make(job))
            bar.update()
        return out
    method = 'fork' if 'fork' in mp.get_all_start_methods() else 'spawn'
    ctx = mp.get_context(method)
    chunk = max(1, min(16, len(jobs) // (workers * 8)))
    with ctx.Pool(workers, initializer=_init_worker,
                  initargs=(fn_writer, )) as pool:
        for rec in pool.imap(_run, jobs, chunksize=chunk):
            out.append(rec)
            bar.update()
    return out


def generate_dataset(fmt, out_dir, num_train, num_val, seed=0, workers=1,
                     max_size=None, dry_run=False, progress=True,
                     return_records=False, **kwargs):
    """Generate a MiniHumans dataset in a real dataset's on-disk format.

    Image ``i`` of the train split is drawn from
    ``np.random.default_rng((seed, i))`` and image ``i`` of the val split
    from ``np.random.default_rng((seed, VAL_OFFSET + i))`` (Market-1501: the
    index of the image in its plan), so results do not depend on the number
    of workers or the order of work.

    Args:
        fmt (str): ``'lip'``, ``'atr'``, ``'pascal_person_part'``,
            ``'cihp'``, ``'mhp_v2'``, ``'market1501'`` or ``'coco_person'``.
        out_dir (str): Dataset root.
        num_train (int): Train images (Market-1501: train identities).
        num_val (int): Val images (Market-1501: test identities).
        seed (int): Seed.
        workers (int): Worker processes.
        max_size (int | None): Cap of the longer image side (ignored for
            Market-1501's fixed 128x64 crops).
        dry_run (bool): Render and compute the card without writing files.
        progress (bool): Show a progress bar.
        return_records (bool): Also return the per-image records.
        **kwargs: Writer options (all formats: the photo style's
            ``background_blur`` and ``garment_pattern_prob``, see
            :class:`hp_mm.minihumans.writers.BaseWriter`; single-person and
            Market-1501: ``background_clutter``; Market-1501:
            ``images_per_camera``, ``distractor_frac``, ``junk_frac``).

    Returns:
        dict | tuple[dict, list]: The dataset card (see
        :func:`hp_mm.minihumans.card.build_card`) with ``rate``
        (images/s), ``seconds``, ``workers`` and, when set, the
        ``photo_style`` options; and the records when
        ``return_records``. Unless ``dry_run``, the card is also written to
        ``<out_dir>/minihumans_card.json``.
    """
    if fmt not in WRITERS:
        raise KeyError(f'unknown format {fmt!r}; choose from {list(WRITERS)}')
    writer = WRITERS[fmt](out_dir, seed=seed, max_size=max_size,
                          dry_run=dry_run, **kwargs)
    jobs = writer.plan(num_train, num_val)
    writer.prepare()
    t0 = time.time()
    records = run_jobs(writer, jobs, workers, progress)
    writer.finalize(jobs, records)
    seconds = time.time() - t0
    card = build_card(records, writer.class_names, fmt)
    writer.extend_card(card, records)
    card.update(rate=len(jobs) / max(seconds, 1e-9), seconds=seconds,
                workers=workers, seed=seed)
    if writer.photo_style.active:
        card['photo_style'] = writer.photo_style.as_dict()
    if not dry_run:
        os.makedirs(out_dir, exist_ok=True)
        write_json(osp.join(out_dir, CARD_FILE), card)
    if return_records:
        return card, records
    return card
