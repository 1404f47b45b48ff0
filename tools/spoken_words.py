"""Writes spoken words made offline with espeak-ng (a Debian package) as folders of examples for
the sound tests: OUT/train/<word>/*.wav and OUT/test/<word>/*.wav, where the test clips are
spoken by voices (accents and voice variants) that no training clip uses. Half the clips get a
little white noise.

    python3 tools/spoken_words.py OUT [word ...]      (default: yes no up down)
"""

import os
import subprocess
import sys
import wave

import numpy as np

TRAIN = (["en-gb", "en-us", "en-gb-scotland", "en-029"], ["m1", "m2", "f1", "f2"])
TEST = (["en-gb-x-rp", "en-gb-x-gbclan"], ["m3", "f4"])


def speak(path, word, voice, speed, pitch, noise, seed):
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", path, word], check=True)
    if noise:
        with wave.open(path, "rb") as w:
            params = w.getparams()
            x = np.frombuffer(w.readframes(params.nframes), dtype=np.int16).astype(np.float64)
        rng = np.random.default_rng(seed)
        x = np.clip(x + rng.normal(0, 300, x.shape), -32768, 32767).astype(np.int16)
        with wave.open(path, "wb") as w:
            w.setparams(params)
            w.writeframes(x.tobytes())


def main():
    out = sys.argv[1]
    words = sys.argv[2:] or ["yes", "no", "up", "down"]
    n = 0
    for split, (langs, variants) in [("train", TRAIN), ("test", TEST)]:
        for word in words:
            folder = os.path.join(out, split, word)
            os.makedirs(folder, exist_ok=True)
            for lang in langs:
                for variant in variants:
                    for speed in (140, 175):
                        for pitch in (35, 65):
                            n += 1
                            name = f"{lang}+{variant}-{speed}-{pitch}.wav"
                            speak(os.path.join(folder, name), word, f"{lang}+{variant}", speed, pitch, n % 2 == 0, n)


if __name__ == "__main__":
    main()
