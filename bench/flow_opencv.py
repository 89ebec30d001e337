"""Baseline for bench/flow.ts: OpenCV (Debian python3-opencv) DualTVL1 and Farneback on the
same frames. argv: frames.f32 (prev then next, float32 gray 0..255), width, height, params JSON,
repeats, threads, out prefix. Prints one JSON line: timings (ms, median of repeats)."""
import json
import sys
import time

import numpy as np

try:
    import cv2
    cv2.optflow.DualTVL1OpticalFlow_create  # noqa: B018 (contrib check)
except Exception as error:  # baseline unavailable: say so, the bench carries on
    print(json.dumps({"available": False, "reason": f"{type(error).__name__}: {error}"}))
    sys.exit(0)

frames_path, width, height, params_json, repeats, threads, out_prefix = sys.argv[1:8]
width, height, repeats, threads = int(width), int(height), int(repeats), int(threads)
params = json.loads(params_json)
frames = np.fromfile(frames_path, dtype=np.float32).reshape(2, height, width)
cv2.setNumThreads(threads)


def timed(fn):
    fn()  # warm-up
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times)), result


t = params["tvl1"]
tvl1 = cv2.optflow.DualTVL1OpticalFlow_create(
    tau=t["tau"], lambda_=t["lambda"], theta=t["theta"], nscales=t["nscales"], warps=t["warps"],
    epsilon=t["epsilon"], innnerIterations=t["innerIterations"], outerIterations=t["outerIterations"],
    scaleStep=t["scaleStep"], gamma=0.0, medianFiltering=t["medianFiltering"], useInitialFlow=False)
# OpenCV scales float input by 255: pass 0..1 so it works on the same 0..255 intensities
prev01, next01 = frames[0] / 255.0, frames[1] / 255.0
tvl1_ms, tvl1_flow = timed(lambda: tvl1.calc(prev01, next01, None))
tvl1_flow.astype(np.float32).tofile(out_prefix + "tvl1.f32")

f = params["farneback"]
prev8 = np.clip(np.round(frames[0]), 0, 255).astype(np.uint8)
next8 = np.clip(np.round(frames[1]), 0, 255).astype(np.uint8)
fb_ms, fb_flow = timed(lambda: cv2.calcOpticalFlowFarneback(
    prev8, next8, None, f["pyrScale"], f["levels"], f["winsize"], f["iterations"], f["polyN"], f["polySigma"], 0))
fb_flow.astype(np.float32).tofile(out_prefix + "farneback.f32")

print(json.dumps({"available": True, "version": cv2.__version__, "threads": threads,
                  "tvl1_ms": tvl1_ms, "farneback_ms": fb_ms}))
