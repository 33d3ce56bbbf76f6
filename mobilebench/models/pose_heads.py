"""The SimpleBaseline head of GluonCV's MobilePose, which AsymmNet Table 9 measured.

GluonCV ``gluoncv/model_zoo/simple_pose/mobile_pose.py`` puts on the backbone's last features (the final 1x1
conv, stride 32): a 1x1 conv to 256 channels (no bias, no BN / activation), three DUC blocks
(``gluoncv/nn/block.py``: 3x3 conv without bias -> BN -> ReLU -> pixel shuffle x2) of 512, 256 and 128
channels, which leave 128 / 64 / 32 channels at strides 16 / 8 / 4, and a 1x1 conv (no bias) to the
heatmaps. mmpose 1.3.2 has no pixel-shuffle head, so :class:`DUCHeatmapHead` subclasses mmpose's
``HeatmapHead`` and replaces only its upsampling and final layers: loss, decoding, flip test and the
checkpoint layout of everything else stay mmpose's.

With the MXNet summary tool's counting this head on AsymmNet-S gives 310.66 M MAdds / 1.72 M params, the
paper's 310.7 / 1.7 (the tool counts a 256x192 input as 256x256; see :mod:`mobilebench.complexity`).
"""
from __future__ import annotations

from typing import Sequence

import torch.nn as nn
from mmpose.models.heads import HeatmapHead

from mobilebench.registry import MODELS

__all__ = ['DUCHeatmapHead']


@MODELS.register_module()
class DUCHeatmapHead(HeatmapHead):
    """mmpose ``HeatmapHead`` with GluonCV MobilePose's dense-upsampling-convolution (DUC) upsampling.

    ``Conv1x1(in, reduce_channels, bias=False)`` -> per entry ``c`` of ``duc_channels``:
    ``Conv3x3(c_prev, c, bias=False) -> BN -> ReLU -> PixelShuffle(upscale_factor)`` (``c / factor**2``
    channels out) -> ``Conv1x1(., out_channels, bias=final_bias)``.

    Args:
        in_channels: channels of the backbone feature map (the last of the tuple is used).
        out_channels: number of keypoint heatmaps (17 for COCO).
        reduce_channels: width of the first 1x1 conv (GluonCV: 256).
        duc_channels: conv width of each DUC block (GluonCV: 512, 256, 128; each must be divisible by
            ``upscale_factor ** 2``).
        upscale_factor: pixel-shuffle factor of each DUC block (2).
        final_bias: bias on the final 1x1 conv (GluonCV: none).
        **kwargs: ``HeatmapHead`` arguments (``loss``, ``decoder``, ``init_cfg``).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 reduce_channels: int = 256,
                 duc_channels: Sequence[int] = (512, 256, 128),
                 upscale_factor: int = 2,
                 final_bias: bool = False,
                 **kwargs):
        for key in ('deconv_out_channels', 'deconv_kernel_sizes', 'conv_out_channels', 'conv_kernel_sizes',
                    'final_layer'):
            if key in kwargs:
                raise ValueError(f'DUCHeatmapHead: {key!r} is a HeatmapHead option this head does not use; '
                                 'set reduce_channels / duc_channels / upscale_factor instead')
        if not isinstance(in_channels, int) or in_channels <= 0:
            raise ValueError(f'DUCHeatmapHead: in_channels must be a positive int, got {in_channels!r}')
        factor2 = upscale_factor ** 2
        bad = [c for c in duc_channels if c % factor2]
        if bad:
            raise ValueError(f'DUCHeatmapHead: duc_channels {tuple(duc_channels)} must be divisible by '
                             f'upscale_factor**2 = {factor2}; {bad} are not')
        super().__init__(in_channels, out_channels, deconv_out_channels=None, conv_out_channels=None,
                         final_layer=None, **kwargs)
        layers = [nn.Conv2d(in_channels, reduce_channels, 1, bias=False)]
        channels = reduce_channels
        for width in duc_channels:
            layers += [nn.Conv2d(channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width),
                       nn.ReLU(inplace=True), nn.PixelShuffle(upscale_factor)]
            channels = width // factor2
        # HeatmapHead.forward runs deconv_layers -> conv_layers -> final_layer
        self.deconv_layers = nn.Sequential(*layers)
        self.final_layer = nn.Conv2d(channels, out_channels, 1, bias=final_bias)
