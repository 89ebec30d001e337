/**
 * MaxPoolGrad for wasm. The stock kernel starts its running max at the smallest positive float,
 * so a window whose values are all <= 0 routes its gradient nowhere (or to the wrong place).
 * This one follows the `cpu` backend: the gradient of each window goes to its first maximum
 * (strictly greater wins, row-major over the window; padding is never selected).
 *   dy [N, Ho, Wo, C], input [N, H, W, C] -> dx [N, H, W, C]
 * Plain JS over the wasm heap: per window and channel, the first element equal to the forward
 * output (the window's maximum) takes the gradient. The native addon runs the same loop (bitwise
 * the same result) when it is built.
 */
import { tf } from '../tf.ts';
import { loadNativeAddon } from '../native/addon.ts';
import { hostArrays } from './hostArrays.ts';
import type { KernelConfig, TensorInfo } from './tensorInfo.ts';

interface Attrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'same' | 'valid' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * Index of the first element (row-major over the window, one channel) equal to the window's
 * maximum `max` (the forward pool's output), or -1 (a NaN maximum matches nothing). Comparing
 * with the known maximum is almost always false, a branch the CPU predicts; a running maximum
 * is updated at unpredictable places (~2x slower on the network's pools).
 */
function firstMaximum(
  x: Float32Array,
  max: number,
  channelBase: number,
  rBegin: number,
  rEnd: number,
  cBegin: number,
  cEnd: number,
  width: number,
  channels: number,
): number {
  for (let r = rBegin; r < rEnd; r++) {
    for (let c = cBegin; c < cEnd; c++) {
      const at = channelBase + (r * width + c) * channels;
      if (x[at] === max) return at;
    }
  }
  return -1;
}

/** Six numbers of the geometry (it is read in two halves). */
type Six = [number, number, number, number, number, number];

/**
 * dx of a max pool: x, dx [N,H,W,C]; y (the forward output), dy [N,Ho,Wo,C]; geometry
 * N,H,W,C,Ho,Wo,sh,sw,fh,fw,top,left (the native addon's `maxPoolGrad` takes the same).
 */
export function maxPoolGradLoop(
  xValues: Float32Array,
  yValues: Float32Array,
  dyValues: Float32Array,
  dxValues: Float32Array,
  geometry: Int32Array,
): void {
  const [batch, inHeight, inWidth, channels, outHeight, outWidth] = Array.from(
    geometry.subarray(0, 6),
  ) as Six;
  const [strideHeight, strideWidth, filterHeight, filterWidth, top, left] = Array.from(
    geometry.subarray(6),
  ) as Six;
  dxValues.fill(0);
  for (let b = 0; b < batch; b++) {
    const xBatch = b * inHeight * inWidth * channels;
    for (let yr = 0; yr < outHeight; yr++) {
      const r0 = yr * strideHeight - top;
      const rBegin = Math.max(0, r0);
      const rEnd = Math.min(inHeight, r0 + filterHeight);
      for (let yc = 0; yc < outWidth; yc++) {
        const c0 = yc * strideWidth - left;
        const cBegin = Math.max(0, c0);
        const cEnd = Math.min(inWidth, c0 + filterWidth);
        const yAt = ((b * outHeight + yr) * outWidth + yc) * channels;
        for (let d = 0; d < channels; d++) {
          const target = firstMaximum(
            xValues,
            yValues[yAt + d]!,
            xBatch + d,
            rBegin,
            rEnd,
            cBegin,
            cEnd,
            inWidth,
            channels,
          );
          if (target >= 0) dxValues[target] = dxValues[target]! + dyValues[yAt + d]!;
        }
      }
    }
  }
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { dy, input, output } = inputs as {
      dy: TensorInfo;
      input: TensorInfo;
      output: TensorInfo;
    };
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as Attrs;
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const { inputs: views, outputs } = hostArrays(
      'MaxPoolGrad',
      backend,
      [input, output, dy],
      [[...input.shape]],
    );
    const [xValues, yValues, dyValues] = views as [Float32Array, Float32Array, Float32Array];
    const [dx] = outputs;
    const dxValues = dx!.values;
    const { inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
    const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
    const { top, left } = info.padInfo;
    const geometry = Int32Array.from([
      info.batchSize,
      inHeight,
      inWidth,
      channels,
      outHeight,
      outWidth,
      strideHeight,
      strideWidth,
      filterHeight,
      filterWidth,
      top,
      left,
    ]);
    const native = loadNativeAddon().addon;
    if (native) native.maxPoolGrad(xValues, yValues, dyValues, dxValues, geometry);
    else maxPoolGradLoop(xValues, yValues, dyValues, dxValues, geometry);
    return dx!.info;
  },
};
