"""PosePix2Pix: MMagic's Pix2Pix for pose transfer, scored like RATE-Net."""
from mmagic.models.editors import Pix2Pix
from mmagic.structures import DataSample

from ratenet_plugin.registry import MODELS


@MODELS.register_module()
class PosePix2Pix(Pix2Pix):
    """MMagic's ``Pix2Pix`` for pose transfer, evaluated like RATE-Net.

    Training (``train_step``, losses, optimisers ``generators`` /
    ``discriminators``) is MMagic's. Changes:

    - :meth:`val_step` / :meth:`test_step` add ``gt_img`` (the real target
      image) and ``output.pred_img`` (the generated one) to each sample,
      float (3, H, W) in [0, 255], RGB (the pipeline's order, which MMagic's
      ``DataPreprocessor`` keeps without ``output_channel_order``) and
      ``channel_order='RGB'`` in the metainfo, as RATE-Net's outputs, so
      RATE-Net's metric configs apply.
      (``test_step`` is the same as ``val_step``; MMagic's indexes a stacked
      ``DataSample``, which has no ``__getitem__``.)
    - :meth:`init_weights` initialises each network with its own
      ``init_weights`` (MMagic's ``generation_init_weights``, N(0, 0.02)).
      ``BaseTranslationModel.init_weights`` first tags each network with
      ``_params_init_info``, on which ``generation_init_weights`` raises
      ``UnboundLocalError`` (``init_info``) for modules without weights.
    """

    def init_weights(self) -> None:
        """Initialise every generator and discriminator."""
        for domain in self._reachable_domains:
            self.get_module(self.generators)[domain].init_weights()
            if self.discriminators is not None:
                self.get_module(self.discriminators)[domain].init_weights()

    def val_step(self, data: dict) -> list:
        """MMagic's outputs plus ``gt_img`` and ``output.pred_img``."""
        target = self._reachable_domains[0]
        samples = super().val_step(data)
        for sample in samples:
            real = sample.get(f'img_{target}').float()
            sample.set_tensor_data(dict(gt_img=real))
            sample.output = DataSample(pred_img=sample.get(f'fake_{target}'))
            sample.set_metainfo(dict(channel_order='RGB'))
        return samples

    def test_step(self, data: dict) -> list:
        """Same as :meth:`val_step`."""
        return self.val_step(data)
