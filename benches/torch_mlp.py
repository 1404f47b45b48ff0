"""PyTorch side of `cairn bench gpu`: the same MLP (Linear-ReLU-Linear-ReLU-Linear), Adam,
MSE, batch size and data as Cairn, one epoch timed after a warm-up epoch, on the CPU and
(when available) CUDA. Reads a JSON list of cases on stdin, prints one JSON line per result."""
import json
import sys
import time

import numpy as np
import torch

cases = json.load(sys.stdin)
devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
for case in cases:
    n, d = case["rows"], case["cols"]
    x_all = torch.from_numpy(np.fromfile(case["x"], dtype=np.float32).reshape(n, d))
    y_all = torch.from_numpy(np.fromfile(case["y"], dtype=np.float32).reshape(n, 1))
    for device in devices:
        torch.manual_seed(42)
        layers, width = case["layers"], case["width"]
        mods, inputs = [], d
        for _ in range(layers):
            mods += [torch.nn.Linear(inputs, width), torch.nn.ReLU()]
            inputs = width
        mods.append(torch.nn.Linear(inputs, 1))
        model = torch.nn.Sequential(*mods).to(device)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        x, y = x_all.to(device), y_all.to(device)
        batch = case["batch"]
        times, loss_value = [], float("nan")
        for epoch in range(case["epochs"]):
            if device == "cuda":
                torch.cuda.synchronize()
            t = time.perf_counter()
            perm = torch.randperm(n, device=device)
            total = torch.zeros((), device=device)
            for s in range(0, n, batch):
                idx = perm[s : s + batch]
                opt.zero_grad(set_to_none=True)
                loss = 0.5 * torch.nn.functional.mse_loss(model(x[idx]), y[idx])
                loss.backward()
                opt.step()
                total += loss.detach() * len(idx)
            loss_value = float(total) / n
            if device == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - t)
        memory = torch.cuda.max_memory_allocated() if device == "cuda" else None
        print(json.dumps({"name": case["name"], "device": device, "epoch_seconds": min(times[1:] or times),
                          "loss": loss_value, "threads": torch.get_num_threads(), "memory_bytes": memory}), flush=True)
