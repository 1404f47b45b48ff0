"""Writes real picture sets as folders of examples (one sub-folder per class) for the tests and
`cairn bench images`:

- digits/: scikit-learn's handwritten digits (1 797 scans of 8×8 grey), each upscaled to 64×64
  PNG (bilinear), in folders 0–9;
- lfw/: scikit-image's `lfw_subset` (100 faces and 100 non-faces cut from the Labeled Faces in
  the Wild photos, 25×25 grey), in folders face/ and background/.

    python3 tools/picture_sets.py OUT_DIR [digits] [lfw]
"""

import os
import sys

import numpy as np
from PIL import Image


def digits(out):
    from sklearn.datasets import load_digits

    d = load_digits()
    for i, (img, label) in enumerate(zip(d.images, d.target)):
        folder = os.path.join(out, "digits", str(label))
        os.makedirs(folder, exist_ok=True)
        grey = Image.fromarray((img * (255.0 / 16.0)).round().astype(np.uint8))
        grey.resize((64, 64), Image.BILINEAR).save(os.path.join(folder, f"{i:04d}.png"))


def lfw(out):
    from skimage.data import lfw_subset

    images = lfw_subset()
    for i, img in enumerate(images):
        label = "face" if i < 100 else "background"
        folder = os.path.join(out, "lfw", label)
        os.makedirs(folder, exist_ok=True)
        grey = np.clip(np.asarray(img, dtype=np.float64) * 255.0, 0, 255).round().astype(np.uint8)
        Image.fromarray(grey).save(os.path.join(folder, f"{i:03d}.png"))


if __name__ == "__main__":
    out = sys.argv[1]
    which = sys.argv[2:] or ["digits", "lfw"]
    if "digits" in which:
        digits(out)
    if "lfw" in which:
        lfw(out)
