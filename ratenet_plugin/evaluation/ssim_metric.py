"""SSIM under PATN's padded protocol, on top of MMagic's ``SSIM``."""
from typing import Optional

from mmagic.evaluation.metrics.ssim import SSIM

from ratenet_plugin.registry import METRICS
from .functional import pad_to_square


@METRICS.register_module()
class PaddedSSIM(SSIM):
    """MMagic's SSIM after padding both images to a square, PATN's protocol.

    PATN (and the papers that copy its numbers, RATE-Net's Table 1 included)
    pads each 176x256 image with white to 256x256 before SSIM; the white
    margins are identical in both images and raise SSIM by ~0.1. The SSIM
    itself is MMagic's: per channel, 11x11 Gaussian window with sigma 1.5,
    data range 255, averaged over the valid region and the channels.

    Args:
        gt_key (str): Key of the ground truth in a data sample.
        pred_key (str): Key of the prediction in the sample's ``output``.
        fill (float): Padding value in [0, 255]; 255 = white as PATN.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Prefix of the result key
            (``<prefix>/SSIM-padded``).

    Metrics:
        - SSIM-padded (float): mean SSIM of the padded images.
    """

    metric = 'SSIM-padded'

    def __init__(self,
                 gt_key: str = 'gt_img',
                 pred_key: str = 'pred_img',
                 *,
                 fill: float = 255.,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(
            gt_key=gt_key,
            pred_key=pred_key,
            collect_device=collect_device,
            prefix=prefix,
            input_order='CHW')
        self.fill = fill

    def process_image(self, gt, pred, mask) -> float:
        """SSIM of one (3, H, W) pair after padding both to a square."""
        return super().process_image(
            pad_to_square(gt, self.fill), pad_to_square(pred, self.fill), mask)
