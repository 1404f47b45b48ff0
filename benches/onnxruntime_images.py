"""onnxruntime side of `cairn bench images`: the same encoder ONNX (written by Cairn) on the same
pictures, pictures per second over `repeat` timed runs after a warm-up. Reads one JSON request on
stdin: {"onnx": path, "pictures": [png paths], "count": N, "batch": B, "threads": T, "repeat": R};
prints one JSON object: {"seconds": best, "per_second": N / best, "features": first row}."""
import json
import sys
import time

import numpy as np
import onnxruntime as ort
from PIL import Image

req = json.load(sys.stdin)
opts = ort.SessionOptions()
opts.intra_op_num_threads = req["threads"]
opts.inter_op_num_threads = 1
session = ort.InferenceSession(req["onnx"], sess_options=opts, providers=["CPUExecutionProvider"])
photos = [np.asarray(Image.open(p).convert("RGB"), dtype=np.float32) for p in req["pictures"]]
images = np.stack([photos[i % len(photos)] for i in range(req["count"])])
batch = req["batch"]


def run():
    out = []
    for s in range(0, len(images), batch):
        out.append(session.run(["features"], {"image": images[s : s + batch]})[0])
    return np.concatenate(out)


first = run()  # warm-up
times = []
for _ in range(req["repeat"]):
    t = time.perf_counter()
    run()
    times.append(time.perf_counter() - t)
best = min(times)
print(json.dumps({"seconds": best, "per_second": len(images) / best, "features": first[0].tolist(),
                  "version": ort.__version__}))
