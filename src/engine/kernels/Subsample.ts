/**
 * EngineSubsample: x [N, H, W, C] -> [N, Ho, Wo, C] with out[n, i, j] = x[n, i*sh, j*sw], the
 * pixels a strided 1x1 conv reads (its filter gradient is then one matMul). For the backends
 * whose data is in this process; a copy of C values per pixel. The stock wasm StridedSlice
 * spent ~450 ns per element on this (30 ms for a [32,16,16,32] input).
 */
import { hostArrays } from './hostArrays.ts';
import type { KernelConfig, TensorInfo } from './tensorInfo.ts';

export const SUBSAMPLE = 'EngineSubsample';

export interface SubsampleAttrs {
  strides: [number, number];
  outHeight: number;
  outWidth: number;
}

function copyPixels(
  x: Float32Array,
  out: Float32Array,
  shape: readonly number[],
  { strides: [sh, sw], outHeight, outWidth }: SubsampleAttrs,
): void {
  const [n, height, width, channels] = shape as [number, number, number, number];
  let at = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < outHeight; i++) {
      const row = (b * height + i * sh) * width;
      for (let j = 0; j < outWidth; j++) {
        const from = (row + j * sw) * channels;
        for (let c = 0; c < channels; c++) out[at++] = x[from + c]!;
      }
    }
  }
}

export const subsampleConfig: Omit<KernelConfig, 'backendName'> = {
  kernelName: SUBSAMPLE,
  kernelFunc: ({ inputs, attrs, backend }) => {
    const x = inputs.x as TensorInfo;
    const sub = attrs as unknown as SubsampleAttrs;
    const [n, height, width, channels] = x.shape as [number, number, number, number];
    const [sh, sw] = sub.strides;
    if (
      x.shape.length !== 4 ||
      (sub.outHeight - 1) * sh >= height ||
      (sub.outWidth - 1) * sw >= width
    ) {
      throw new Error(
        `${SUBSAMPLE}: expected x [N,H,W,C] holding ${sub.outHeight}x${sub.outWidth} pixels at strides ${sh}x${sw}, got [${x.shape.join(',')}]`,
      );
    }
    const { inputs: views, outputs } = hostArrays(
      SUBSAMPLE,
      backend,
      [x],
      [[n, sub.outHeight, sub.outWidth, channels]],
    );
    copyPixels(views[0]!, outputs[0]!.values, x.shape, sub);
    return outputs[0]!.info;
  },
};
