/**
 * One SGD-momentum update of one variable as one kernel, for the backends whose data is in this
 * process (wasm heap, cpu arrays):
 *
 *   EngineSgdMomentumUpdate  value, gradient[, slot] -> new value[, new slot]
 *
 * per element (l2 and decoupled are decay coefficients, 0 when off):
 *   g'   = g + l2 * w
 *   acc  = momentum * acc + g'                       (only with momentum > 0: slot in, slot out)
 *   step = nesterov ? g' + momentum * acc : acc       (g' without momentum)
 *   w'   = w - lr * step - lr * decoupled * w
 *
 * Each intermediate is rounded to float32 (Math.fround) in the order the tfjs-op form in
 * src/train/optimizer.ts computes it, with its scalars as float32 tensors would hold them. The
 * product or sum of two float32 values is exact in a double (or, for sums of very different
 * magnitudes, too far from a float32 tie to round differently), so one rounding to float32 is
 * IEEE float32 arithmetic: the result equals the op form's bit for bit on cpu (doubles stored
 * to Float32Array per op) and on wasm (float32 arithmetic per op).
 *
 * Outputs are new tensors: inputs are never written (the project's Identity kernel shares data
 * between tensors, so writing into an input could change another tensor).
 *
 * Why: the op form is ~8 kernel calls and 4 scalar tensors per variable, ~2000 kernel calls per
 * training step of the scaled AssembleNet-50, mostly JavaScript overhead on tiny tensors.
 */
import { hostArrays } from './hostArrays.ts';
import type { KernelConfig, TensorInfo } from './tensorInfo.ts';

export const SGD_MOMENTUM_UPDATE = 'EngineSgdMomentumUpdate';

export interface SgdMomentumUpdateAttrs {
  lr: number;
  /** 0 runs plain SGD: no slot in, no slot out. */
  momentum: number;
  nesterov: boolean;
  /** Coefficient of w added to the gradient (weight decay 'l2'); 0 for none. */
  l2: number;
  /** Coefficient of lr * w subtracted from the update (weight decay 'decoupled'); 0 for none. */
  decoupled: number;
}

const f32 = Math.fround;

// The loop lives in a function of its own so V8 optimises it once (see BatchNormTraining.ts);
// its branches depend only on the attributes, so they are predicted.
function updateElements(
  w: Float32Array,
  g: Float32Array,
  acc: Float32Array | null,
  wOut: Float32Array,
  accOut: Float32Array | null,
  attrs: SgdMomentumUpdateAttrs,
): void {
  // The op form multiplies by scalar tensors: float32 copies of these numbers.
  const l2 = f32(attrs.l2);
  const momentum = f32(attrs.momentum);
  const negLr = f32(-attrs.lr);
  const shrink = f32(attrs.lr * attrs.decoupled);
  const nesterov = attrs.nesterov;
  for (let i = 0; i < w.length; i++) {
    const wi = w[i]!;
    let gi = g[i]!;
    if (l2 !== 0) gi = f32(gi + f32(l2 * wi));
    let step = gi;
    if (acc !== null && accOut !== null) {
      const a = f32(f32(momentum * acc[i]!) + gi);
      accOut[i] = a;
      step = nesterov ? f32(gi + f32(a * momentum)) : a;
    }
    let updated = f32(f32(negLr * step) + wi);
    if (shrink !== 0) updated = updated - f32(shrink * wi);
    wOut[i] = updated;
  }
}

export const sgdMomentumUpdateConfig: Omit<KernelConfig, 'backendName'> = {
  kernelName: SGD_MOMENTUM_UPDATE,
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { value, gradient, slot } = inputs as Record<'value' | 'gradient', TensorInfo> & {
      slot?: TensorInfo;
    };
    const settings = attrs as unknown as SgdMomentumUpdateAttrs;
    const withSlot = settings.momentum !== 0;
    const shape = value.shape.join(',');
    if (
      gradient.shape.join(',') !== shape ||
      (withSlot && slot?.shape.join(',') !== shape) ||
      (!withSlot && slot !== undefined)
    ) {
      throw new Error(
        `${SGD_MOMENTUM_UPDATE}: expected gradient${withSlot ? ' and slot' : ' and no slot (momentum 0)'} of shape [${shape}], got gradient [${gradient.shape.join(',')}]${slot ? `, slot [${slot.shape.join(',')}]` : ', no slot'}`,
      );
    }
    const { inputs: views, outputs } = hostArrays(
      SGD_MOMENTUM_UPDATE,
      backend,
      withSlot && slot ? [value, gradient, slot] : [value, gradient],
      withSlot ? [[...value.shape], [...value.shape]] : [[...value.shape]],
    );
    const [w, g, acc] = views as [Float32Array, Float32Array, Float32Array | undefined];
    const [wOut, accOut] = outputs.map((o) => o.values) as [Float32Array, Float32Array | undefined];
    updateElements(w, g, acc ?? null, wOut, accOut ?? null, settings);
    return outputs.map((o) => o.info);
  },
};
