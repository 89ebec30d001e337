"""PyTorch peer for bench/train.ts: one training step of the same AssembleNet, built from the genome.

Run by bench/train.ts as `/usr/bin/python3 bench/train_torch.py '<json config>'`; prints one JSON
line. Config: {"genome": path, "width": 0.25, "modules": [1,1,1,1], "temporal_modules": "even",
"frames": 8, "batch": 4, "size": 64, "classes": 10, "steps": N, "threads": 1}.

The network follows src/model (docs/architecture.md, "The AssembleNet genome"), on NCTHW tensors
with Conv3d (1xkxk spatial and kx1x1 temporal kernels, as torchvision's R(2+1)D does), timed twice:
with nn.Conv3d's own forward ("conv3d") and with the same weights applied as F.conv2d on 4-D views
("views": 1xkxk over [N*T, C, H, W], kx1x1 over [N, C, T, H*W], the project's formulation).
Debian's oneDNN build runs some Conv3d shapes several-fold slower than the conv2d form, so the
faster of the two is the fair peer; the two are checked to compute the same logits.
  stem:   7x7 conv stride 2 (pad 3) -> BN -> ReLU -> [rgb: temporal k=5 conv at the stem's dilation
          -> BN -> ReLU] -> max-pool (rgb 3, flow 2) stride 2, TF 'same' padding
  fusion: inputs max-pooled to the smallest size, times their frozen (sigmoid) weight, summed per
          channel count, 1x1 conv up to the largest count, summed
  block:  residual bottleneck modules: [temporal k=3 conv at the node's dilation | 1x1] -> BN ->
          ReLU -> 3x3 conv (stride on module 0) -> BN -> ReLU -> 1x1 -> BN (gamma 0) -> + shortcut
          (module 0: 1x1 conv stride s -> BN) -> ReLU
  head:   mean over space and time, mean over the level-3 nodes, dense.
Step: forward (training BN), softmax cross-entropy, backward, SGD (momentum 0.9, Nesterov, L2 1e-4
on conv and dense weights). Times: best wall time (ms) and median process CPU time (ms) over
`steps` after one warm-up step. One interop thread, `threads` intra-op threads.
"""
import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

STEM_TOTAL_CHANNELS = 128
INTERMEDIATE_CHANNELS = [64, 128, 256, 512]
STEM_INPUT_CHANNELS = {"rgb": 3, "flow": 2}


def scale(channels: int, width: float) -> int:
    # JavaScript's Math.round (halves up), as src/model/scaling.ts
    return max(1, math.floor(channels * width + 0.5))


class ViewsConv3d(nn.Conv3d):
    """nn.Conv3d whose (1,k,k) and (k,1,1) kernels run as F.conv2d on 4-D views."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kt, kh, kw = self.kernel_size
        n, c, t, h, w = x.shape
        if kt == 1 and self.stride[0] == 1 and self.padding[0] == 0:
            frames = x.transpose(1, 2).reshape(n * t, c, h, w)
            y = F.conv2d(frames, self.weight[:, :, 0], None, self.stride[1:], self.padding[1:], self.dilation[1:])
            return y.reshape(n, t, *y.shape[1:]).transpose(1, 2)
        if kh == kw == 1 and self.stride[1:] == (1, 1) and self.padding[1:] == (0, 0):
            columns = x.reshape(n, c, t, h * w)
            weight = self.weight[:, :, :, :, 0]
            y = F.conv2d(columns, weight, None, (self.stride[0], 1), (self.padding[0], 0), (self.dilation[0], 1))
            return y.reshape(n, y.shape[1], y.shape[2], h, w)
        return super().forward(x)


CONV3D = {"conv3d": nn.Conv3d, "views": ViewsConv3d}
conv3d_class = nn.Conv3d  # set by main() per formulation, before the network is built


def conv_bn(cin: int, cout: int, kernel, stride=(1, 1, 1), padding=(0, 0, 0), dilation=(1, 1, 1), zero_gamma=False):
    conv = conv3d_class(cin, cout, kernel, stride=stride, padding=padding, dilation=dilation, bias=False)
    bn = nn.BatchNorm3d(cout, eps=1e-5, momentum=0.01)
    if zero_gamma:
        nn.init.zeros_(bn.weight)
    return nn.Sequential(conv, bn)


def max_pool_same(x: torch.Tensor, size: int, stride: int) -> torch.Tensor:
    """TensorFlow 'same' max-pool over H, W (padding after, then before, with -inf)."""
    pads = []
    for length in (x.shape[4], x.shape[3]):
        out = -(-length // stride)
        total = max((out - 1) * stride + size - length, 0)
        pads += [total // 2, total - total // 2]
    if any(pads):
        x = F.pad(x, pads, value=float("-inf"))
    return F.max_pool3d(x, (1, size, size), (1, stride, stride))


class Stem(nn.Module):
    def __init__(self, kind: str, cin: int, filters: int, dilation: int):
        super().__init__()
        self.spatial = conv_bn(cin, filters, (1, 7, 7), (1, 2, 2), (0, 3, 3))
        self.temporal = (
            conv_bn(filters, filters, (5, 1, 1), padding=(2 * dilation, 0, 0), dilation=(dilation, 1, 1))
            if kind == "rgb"
            else None
        )
        self.pool = 3 if kind == "rgb" else 2

    def forward(self, x):
        y = F.relu(self.spatial(x))
        if self.temporal is not None:
            y = F.relu(self.temporal(y))
        return max_pool_same(y, self.pool, 2)


class Module(nn.Module):
    def __init__(self, cin, filters, inter, stride, dilation, temporal, projection):
        super().__init__()
        out = 4 * filters
        self.projection = conv_bn(cin, out, 1, (1, stride, stride)) if projection else None
        self.first = (
            conv_bn(cin, filters, (3, 1, 1), padding=(dilation, 0, 0), dilation=(dilation, 1, 1))
            if temporal
            else conv_bn(cin, filters, 1)
        )
        self.spatial = conv_bn(filters, inter, (1, 3, 3), (1, stride, stride), (0, 1, 1))
        self.expand = conv_bn(inter, out, 1, zero_gamma=True)

    def forward(self, x):
        shortcut = self.projection(x) if self.projection is not None else x
        y = F.relu(self.first(x))
        y = F.relu(self.spatial(y))
        return F.relu(self.expand(y) + shortcut)


class Fusion(nn.Module):
    def __init__(self, channels, weights):
        super().__init__()
        self.largest = max(channels)
        self.register_buffer("weights", torch.tensor(weights, dtype=torch.float32))
        self.match = nn.ModuleDict(
            {str(c): conv3d_class(c, self.largest, 1, bias=False) for c in sorted(set(channels)) if c != self.largest}
        )

    def forward(self, inputs):
        if len(inputs) == 1:
            return inputs[0]
        height = min(x.shape[3] for x in inputs)
        groups = {}
        for i, x in enumerate(inputs):
            if x.shape[3] != height:
                ratio = (x.shape[3] + 1) // height
                x = max_pool_same(x, ratio, ratio)
            groups.setdefault(x.shape[1], []).append(x * self.weights[i])
        summed = []
        for channels, members in groups.items():
            total = members[0] if len(members) == 1 else torch.stack(members).sum(0)
            summed.append(self.match[str(channels)](total) if channels != self.largest else total)
        return summed[0] if len(summed) == 1 else torch.stack(summed).sum(0)


class AssembleNet(nn.Module):
    def __init__(self, genome, width, modules, temporal_modules, classes):
        super().__init__()
        nodes = genome["nodes"]
        stems = [n for n in nodes if "stem" in n]
        stem_filters = scale(STEM_TOTAL_CHANNELS // len(stems), width)
        self.nodes = nodes
        self.parts = nn.ModuleList()
        out_channels = []
        for node in nodes:
            if "stem" in node:
                kind = node["stem"]
                self.parts.append(Stem(kind, STEM_INPUT_CHANNELS[kind], stem_filters, max(1, node["temporal"])))
                out_channels.append(stem_filters)
                continue
            filters = scale(node["filters"], width)
            inter = scale(INTERMEDIATE_CHANNELS[node["level"]], width)
            channels = [out_channels[i] for i in node["inputs"]]
            fusion = Fusion(channels, node.get("weights", [1.0] * len(channels)))
            cin = max(channels)
            block = []
            for m in range(modules[node["level"]]):
                temporal = (m % 2 == 0) if temporal_modules == "even" else (m % 2 == 1)
                block.append(
                    Module(
                        cin if m == 0 else 4 * filters,
                        filters,
                        inter,
                        node["stride"] if m == 0 else 1,
                        node["dilation"],
                        temporal,
                        m == 0,
                    )
                )
            self.parts.append(nn.ModuleDict({"fusion": fusion, "block": nn.Sequential(*block)}))
            out_channels.append(4 * filters)
        self.outputs = [i for i, n in enumerate(nodes) if "stem" not in n and n["level"] == 3]
        self.dense = nn.Linear(out_channels[self.outputs[0]], classes)
        nn.init.normal_(self.dense.weight, std=0.01)
        nn.init.zeros_(self.dense.bias)

    def forward(self, inputs):
        outputs = []
        for node, part in zip(self.nodes, self.parts):
            if "stem" in node:
                outputs.append(part(inputs[node["stem"]]))
            else:
                fused = part["fusion"]([outputs[i] for i in node["inputs"]])
                outputs.append(part["block"](fused))
        pooled = [outputs[i].mean(dim=(2, 3, 4)) for i in self.outputs]
        features = pooled[0] if len(pooled) == 1 else torch.stack(pooled).mean(0)
        return self.dense(features)


def main() -> None:
    config = json.loads(sys.argv[1])
    torch.set_num_threads(int(config["threads"]))
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    with open(config["genome"], encoding="utf8") as handle:
        genome = json.load(handle)
    b, t, size = config["batch"], config["frames"], config["size"]
    generator = torch.Generator().manual_seed(1)
    inputs = {
        kind: torch.rand(b, STEM_INPUT_CHANNELS[kind], t, size, size, generator=generator) * 2 - 1
        for kind in {n["stem"] for n in genome["nodes"] if "stem" in n}
    }
    labels = torch.arange(b) % config["classes"]

    def build(formulation: str) -> nn.Module:
        global conv3d_class
        conv3d_class = CONV3D[formulation]
        torch.manual_seed(0)
        network = AssembleNet(genome, config["width"], config["modules"], config["temporal_modules"], config["classes"])
        network.train()
        return network

    networks = {name: build(name) for name in CONV3D}
    networks["views"].load_state_dict(networks["conv3d"].state_dict())
    with torch.no_grad():  # the same network either way
        torch.testing.assert_close(networks["views"](inputs), networks["conv3d"](inputs), rtol=1e-3, atol=1e-4)

    def time_steps(network: nn.Module) -> dict:
        decayed = [p for name, p in network.named_parameters() if p.dim() > 1]
        others = [p for name, p in network.named_parameters() if p.dim() <= 1]
        optimizer = torch.optim.SGD(
            [{"params": decayed, "weight_decay": 1e-4}, {"params": others, "weight_decay": 0.0}],
            lr=0.01,
            momentum=0.9,
            nesterov=True,
        )

        def step() -> None:
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(network(inputs), labels)
            loss.backward()
            optimizer.step()
            loss.item()

        step()  # warm-up
        walls, cpus = [], []
        for _ in range(int(config["steps"])):
            wall0, cpu0 = time.perf_counter(), time.process_time()
            step()
            walls.append((time.perf_counter() - wall0) * 1000)
            cpus.append((time.process_time() - cpu0) * 1000)
        return {"wall_ms": min(walls), "cpu_ms": statistics.median(cpus)}

    formulations = {name: time_steps(network) for name, network in networks.items()}
    best = min(formulations, key=lambda name: formulations[name]["wall_ms"])
    parameters = sum(p.numel() for p in networks[best].parameters())
    print(
        json.dumps(
            {
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "wall_ms": formulations[best]["wall_ms"],
                "cpu_ms": formulations[best]["cpu_ms"],
                "best": best,
                "formulations": formulations,
                "parameters": parameters,
            }
        )
    )


if __name__ == "__main__":
    main()
