"""PATN timed in the benchmark's run, as the reference for RATE-Net's
cycle and inference times (``run_benchmark(references=[PATNReference()])``).

PATN (:mod:`.patn_reference`, DeepFashion settings: 2 down-samplings, 9 PAT
blocks, 64 channels, dropout, LSGAN) runs eagerly on the same synthetic batch
size and image size as RATE-Net: one training iteration
(``patn_training_iteration``: one generator update, one update of each
discriminator) and one generator forward of the largest inference batch
size, both medians between device synchronisations, in float32 (as PATN's
code runs) and, when asked, under the autocast dtype of a RATE-Net option
(e.g. bfloat16), so that options compare like with like. Weights are random
(speed does not depend on them).
"""
import time
from typing import Dict, Optional

import torch

from .patn_reference import (PATNGenerator, PATNPerceptualFeatures,
                             PATNResnetDiscriminator, make_patn_optimizers,
                             patn_training_iteration)
from .timing import autocast_for, median, synchronize, synthetic_raw_batch


def patn_fits(height: int, width: int) -> bool:
    """PATN's two stride-2 layers need both sides divisible by 4."""
    return height % 4 == 0 and width % 4 == 0


def _batch(num: int, height: int, width: int, device: str) -> dict:
    """A synthetic batch as PATN reads it: images in [-1, 1], heatmaps."""
    raw = synthetic_raw_batch(num, height, width)['inputs']
    batch = {}
    for key, tensors in raw.items():
        stacked = torch.stack(tensors).to(device).float()
        batch[key] = stacked / 127.5 - 1 if key.endswith('img') else stacked
    return batch


class PATNReference:
    """PATN as a :class:`~ratenet_plugin.analysis.benchmark.ReferenceModel`."""

    name = 'PATN'

    def measure(self, batch_size: int, height: int, width: int, settings,
                dtype: Optional[torch.dtype] = None) -> Dict[str, float]:
        """``cycle_s``: one PATN training iteration on ``batch_size``
        images; ``inference_s``: one generator forward of the largest of
        ``settings.infer_batch_sizes``; under autocast to ``dtype`` (None:
        float32)."""
        device = settings.device
        autocast = autocast_for(device, dtype)
        torch.manual_seed(0)
        generator = PATNGenerator().to(device)
        disc_pose = PATNResnetDiscriminator(3 + 18).to(device)
        disc_appearance = PATNResnetDiscriminator(3 + 3).to(device)
        perceptual = PATNPerceptualFeatures().to(device)
        optimizers = make_patn_optimizers(generator, disc_pose,
                                          disc_appearance)
        batch = _batch(batch_size, height, width, device)
        times = []
        for index in range(settings.train_warmup + settings.train_repeats):
            synchronize(device)
            start = time.perf_counter()
            with autocast:
                patn_training_iteration(generator, disc_pose,
                                        disc_appearance, optimizers, batch,
                                        perceptual)
            synchronize(device)
            if index >= settings.train_warmup:
                times.append(time.perf_counter() - start)
        cycle_s = median(times)
        largest = max(settings.infer_batch_sizes)
        inputs = _batch(largest, height, width, device)
        poses = torch.cat([inputs['src_pose'], inputs['tgt_pose']], 1)
        generator.eval()
        times = []
        with torch.no_grad(), autocast:
            for index in range(settings.infer_warmup + settings.infer_repeats):
                synchronize(device)
                start = time.perf_counter()
                generator(inputs['src_img'], poses)
                synchronize(device)
                if index >= settings.infer_warmup:
                    times.append(time.perf_counter() - start)
        return dict(cycle_s=cycle_s, inference_s=median(times))
