"""MMagic's Pix2Pix trained on pose pairs (``configs/pix2pix_pose/``)."""
from .pose_pix2pix import PosePix2Pix

__all__ = ['PosePix2Pix']
