/**
 * MaxPoolGrad for wasm. The stock kernel starts its running max at the smallest positive float,
 * so a window whose values are all <= 0 routes its gradient nowhere (or to the wrong place).
 * This one follows the `cpu` backend: the gradient of each window goes to its first maximum
 * (strictly greater wins, row-major over the window; padding is never selected).
 *   dy [N, Ho, Wo, C], input [N, H, W, C] -> dx [N, H, W, C]
 * Plain JS over the wasm heap: one pass over the windows, channels innermost.
 */
import { tf } from '../tf.ts';
import type { KernelConfig, TensorInfo } from './tensorInfo.ts';

/** The two BackendWasm methods used here (typed locally: tf.ts is the only tfjs import). */
interface WasmHeap {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

interface Attrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'same' | 'valid' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
    if (input.dtype !== 'float32')
      throw new Error(`MaxPoolGrad: expected float32 input, got ${input.dtype}`);
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as Attrs;
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    // `backend` is the wasm backend whenever this kernel runs (it is registered for wasm only).
    const heap = backend as unknown as WasmHeap;
    const dx = heap.makeOutput([...input.shape], 'float32');
    const xValues = heap.typedArrayFromHeap(input);
    const dyValues = heap.typedArrayFromHeap(dy);
    const dxValues = heap.typedArrayFromHeap(dx);
    dxValues.fill(0);
    const { inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
    const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
    const { top, left } = info.padInfo;
    const best = new Float32Array(channels);
    const bestAt = new Int32Array(channels);
    for (let b = 0; b < info.batchSize; b++) {
      const xBatch = b * inHeight * inWidth * channels;
      for (let yr = 0; yr < outHeight; yr++) {
        const r0 = yr * strideHeight - top;
        const rBegin = Math.max(0, r0);
        const rEnd = Math.min(inHeight, r0 + filterHeight);
        for (let yc = 0; yc < outWidth; yc++) {
          const c0 = yc * strideWidth - left;
          const cBegin = Math.max(0, c0);
          const cEnd = Math.min(inWidth, c0 + filterWidth);
          best.fill(-Infinity);
          bestAt.fill(-1);
          for (let r = rBegin; r < rEnd; r++) {
            for (let c = cBegin; c < cEnd; c++) {
              const at = xBatch + (r * inWidth + c) * channels;
              for (let d = 0; d < channels; d++) {
                const value = xValues[at + d]!;
                if (value > best[d]!) {
                  best[d] = value;
                  bestAt[d] = at + d;
                }
              }
            }
          }
          const dyAt = ((b * outHeight + yr) * outWidth + yc) * channels;
          for (let d = 0; d < channels; d++) {
            const target = bestAt[d]!;
            if (target >= 0) dxValues[target] = dxValues[target]! + dyValues[dyAt + d]!;
          }
        }
      }
    }
    return dx;
  },
};
