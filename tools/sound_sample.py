"""Makes the built-in sound sample `assets/spoken_words.zip`: the words yes, no, up and down
spoken offline by espeak-ng (a Debian package) in 5 English accents, 4 voice variants, 2 speeds
and 2 pitches (40 clips a word, 160 in all), each trimmed to the word (+ 60 ms either side),
resampled to 16 kHz mono 16-bit, and stored as `<word>/<voice>.wav` in a zip. A quarter of the
clips get a little white noise. espeak-ng's output is not covered by its GPL licence; the clips
are released as CC0 1.0 (see assets/ATTRIBUTION.md).

    python3 tools/sound_sample.py assets/spoken_words.zip
"""

import io
import os
import sys
import tempfile
import wave
import zipfile

import numpy as np
from scipy.signal import resample_poly

sys.path.insert(0, os.path.dirname(__file__))
from spoken_words import speak  # noqa: E402

WORDS = ["yes", "no", "up", "down"]
LANGS = ["en-gb", "en-us", "en-gb-scotland", "en-029", "en-gb-x-rp"]
VARIANTS = ["m1", "f2", "m3", "f4"]


def trimmed_16k(path):
    with wave.open(path, "rb") as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float64)
    y = resample_poly(x, 16000, rate)
    frame = 160
    energy = np.array([np.sum(y[i : i + frame] ** 2) for i in range(0, len(y) - frame, frame)])
    loud = np.nonzero(energy > energy.max() * 10 ** (-4.5))[0]
    start = max(0, (loud[0] - 6) * frame)
    end = min(len(y), (loud[-1] + 7) * frame)
    return np.clip(np.round(y[start:end]), -32768, 32767).astype(np.int16)


def main():
    out = sys.argv[1]
    n = 0
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for word in WORDS:
            for lang in LANGS:
                for variant in VARIANTS:
                    for speed in (140, 175):
                        n += 1
                        pitch = 35 if (n // 2) % 2 else 65
                        raw = os.path.join(tmp, "clip.wav")
                        speak(raw, word, f"{lang}+{variant}", speed, pitch, n % 4 == 0, n)
                        clip = trimmed_16k(raw)
                        buf = io.BytesIO()
                        with wave.open(buf, "wb") as w:
                            w.setnchannels(1)
                            w.setsampwidth(2)
                            w.setframerate(16000)
                            w.writeframes(clip.tobytes())
                        info = zipfile.ZipInfo(f"{word}/{lang}+{variant}-{speed}-{pitch}.wav", (2026, 1, 1, 0, 0, 0))
                        info.compress_type = zipfile.ZIP_DEFLATED
                        z.writestr(info, buf.getvalue())


if __name__ == "__main__":
    main()
