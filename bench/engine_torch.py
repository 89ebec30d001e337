"""PyTorch peer for bench/engine.ts: one training step of the same (2+1)D block.

Run by bench/engine.ts as `/usr/bin/python3 bench/engine_torch.py '<json config>'`; prints one
JSON line. Config: {"shape": [B, T, H, W, C], "channels": Cout, "dilations": [1, 2],
"steps": N, "threads": 1} (intra-op threads; one interop thread). Step = spatial 1x3x3 conv, temporal 3x1x1 conv (dilation d, 'same'),
loss mean(y^2), backward to x and both filters, SGD update of the filters.
Two ways of writing it, both timed: "conv3d" (F.conv3d on NCDHW, as torchvision's R(2+1)D) and
"views" (F.conv2d on 4-D views, the project's own formulation: spatial over [B*T, C, H, W],
temporal as a (3,1) kernel over [B, C, T, H*W]). They differ several-fold on Debian's build
(its oneDNN conv3d takes a slow path at dilation 1), so the faster one is the fair peer.
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

    def forward_conv3d(dilation: int) -> torch.Tensor:
        mid = F.conv3d(x, spatial, padding=(0, 1, 1))
        return F.conv3d(mid, temporal, padding=(dilation, 0, 0), dilation=(dilation, 1, 1))

    def forward_views(dilation: int) -> torch.Tensor:
        frames = x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w)
        mid = F.conv2d(frames, spatial[:, :, 0], padding=(1, 1))
        columns = mid.reshape(b, t, cout, h * w).permute(0, 2, 1, 3)
        return F.conv2d(columns, temporal[:, :, :, :, 0], padding=(dilation, 0), dilation=(dilation, 1))

    def step(forward, dilation: int) -> None:
        optimizer.zero_grad()
        if x.grad is not None:
            x.grad = None
        y = forward(dilation)
        loss = (y * y).mean()
        loss.backward()
        optimizer.step()

    results = []
    for dilation in config["dilations"]:
        with torch.no_grad():  # the two ways compute the same step
            reference = forward_conv3d(dilation)
            torch.testing.assert_close(forward_views(dilation).reshape(reference.shape), reference, rtol=1e-4, atol=1e-4)
        run = {"dilation": dilation}
        for name, forward in (("conv3d", forward_conv3d), ("views", forward_views)):
            step(forward, dilation)  # warm-up
            walls, cpus = [], []
            for _ in range(int(config["steps"])):
                wall0, cpu0 = time.perf_counter(), time.process_time()
                step(forward, dilation)
                walls.append((time.perf_counter() - wall0) * 1000)
                cpus.append((time.process_time() - cpu0) * 1000)
            run[name] = {"wall_ms": min(walls), "cpu_ms": statistics.median(cpus)}
        best = min(("conv3d", "views"), key=lambda name: run[name]["wall_ms"])
        run.update(best=best, wall_ms=run[best]["wall_ms"], cpu_ms=run[best]["cpu_ms"])
        results.append(run)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "runs": results}))


if __name__ == "__main__":
    main()
