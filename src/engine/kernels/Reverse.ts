/**
 * Reverse for wasm. The stock kernel computes every element's source index on its own, ~100 ns
 * per element (a [3,3,128,128] filter took ~20 ms); the conv input gradients flip every
 * spatial filter with it. Here the elements after the last reversed axis are one contiguous
 * block, copied with `TypedArray.set` (a [3,3,128,128] flip over [0,1] is 9 block copies);
 * reversing the last axis copies element by element.
 */
import { hostArrays } from './hostArrays.ts';
import type { KernelConfig, TensorInfo } from './tensorInfo.ts';

/** Copies `x` (of `shape`) into `out` with the axes in `reversed` flipped. */
export function reverseInto(
  x: Float32Array,
  out: Float32Array,
  shape: readonly number[],
  reversed: ReadonlySet<number>,
): void {
  const last = Math.max(-1, ...reversed);
  if (last < 0) {
    out.set(x);
    return;
  }
  const block = shape.slice(last + 1).reduce((p, d) => p * d, 1);
  const outer = shape.slice(0, last + 1);
  const count = outer.reduce((p, d) => p * d, 1);
  // strides (in blocks) of the outer axes
  const strides = outer.map((_, axis) => outer.slice(axis + 1).reduce((p, d) => p * d, 1));
  const index = new Array<number>(outer.length).fill(0);
  for (let dst = 0; dst < count; dst++) {
    let src = 0;
    for (let axis = 0; axis < outer.length; axis++) {
      const i = index[axis]!;
      src += (reversed.has(axis) ? outer[axis]! - 1 - i : i) * strides[axis]!;
    }
    if (block === 1) out[dst] = x[src]!;
    else out.set(x.subarray(src * block, (src + 1) * block), dst * block);
    for (let axis = outer.length - 1; axis >= 0; axis--) {
      index[axis]! += 1;
      if (index[axis]! < outer[axis]!) break;
      index[axis] = 0;
    }
  }
}

/** Wraps the stock kernel: anything but float32 (and rank 0) still goes to it. */
export function makeReverseConfig(stock: KernelConfig): KernelConfig {
  return {
    ...stock,
    kernelFunc: (args) => {
      const x = args.inputs.x as TensorInfo;
      if (x.dtype !== 'float32' || x.shape.length === 0) return stock.kernelFunc(args);
      const { dims } = args.attrs as { dims: number | number[] };
      const rank = x.shape.length;
      const reversed = new Set(
        (Array.isArray(dims) ? dims : [dims]).map((d) => (d < 0 ? d + rank : d)),
      );
      for (const axis of reversed) {
        if (!(axis >= 0 && axis < rank))
          throw new Error(`Reverse: expected axes in [-${rank}, ${rank}), got ${String(dims)}`);
      }
      const { inputs, outputs } = hostArrays('Reverse', args.backend, [x], [[...x.shape]]);
      reverseInto(inputs[0]!, outputs[0]!.values, x.shape, reversed);
      return outputs[0]!.info;
    },
  };
}
