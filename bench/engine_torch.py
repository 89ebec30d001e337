"""PyTorch peer for bench/engine.ts: one training step of the same (2+1)D block.

Run by bench/engine.ts as `/usr/bin/python3 bench/engine_torch.py '<json config>'`; prints one
JSON line. Config: {"shape": [B, T, H, W, C], "channels": Cout, "dilations": [1, 2],
"steps": N, "threads": 1} (intra-op threads; one interop thread). Step = spatial 1x3x3 conv, temporal 3x1x1 conv (dilation d, 'same'),
loss mean(y^2), backward to x and both filters, SGD update of the filters.
Times per step: best wall time (ms) and median process CPU time (ms) over `steps` after a warm-up.
"""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def main() -> None:
    config = json.loads(sys.argv[1])
    torch.set_num_threads(int(config["threads"]))
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    b, t, h, w, c = config["shape"]
    cout = int(config["channels"])
    x = torch.randn(b, c, t, h, w, requires_grad=True)  # NCDHW
    spatial = torch.randn(cout, c, 1, 3, 3) * 0.1
    temporal = torch.randn(cout, cout, 3, 1, 1) * 0.1
    spatial.requires_grad_(True)
    temporal.requires_grad_(True)
    optimizer = torch.optim.SGD([spatial, temporal], lr=1e-3)

    def step(dilation: int) -> None:
        optimizer.zero_grad()
        if x.grad is not None:
            x.grad = None
        mid = F.conv3d(x, spatial, padding=(0, 1, 1))
        y = F.conv3d(mid, temporal, padding=(dilation, 0, 0), dilation=(dilation, 1, 1))
        loss = (y * y).mean()
        loss.backward()
        optimizer.step()

    results = []
    for dilation in config["dilations"]:
        step(dilation)  # warm-up
        walls, cpus = [], []
        for _ in range(int(config["steps"])):
            wall0, cpu0 = time.perf_counter(), time.process_time()
            step(dilation)
            walls.append((time.perf_counter() - wall0) * 1000)
            cpus.append((time.process_time() - cpu0) * 1000)
        results.append({"dilation": dilation, "wall_ms": min(walls), "cpu_ms": statistics.median(cpus)})
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "runs": results}))


if __name__ == "__main__":
    main()
