/**
 * One SGD-momentum update of one variable in one kernel call (kernels/SgdMomentumUpdate.ts), on
 * the backends whose data the kernel can read (wasm, cpu). `fusedSgdMomentumUpdate` returns null
 * elsewhere (tensorflow, webgl): the caller then runs the same formula as tfjs ops.
 */
import { tf, type Tensor } from './tf.ts';
import { hasHostArrays } from './kernels/hostArrays.ts';
import {
  SGD_MOMENTUM_UPDATE,
  type SgdMomentumUpdateAttrs,
  sgdMomentumUpdateConfig,
} from './kernels/SgdMomentumUpdate.ts';

export type { SgdMomentumUpdateAttrs };

/** Backends whose data the kernel can read (kernels/hostArrays.ts). */
const HOST_BACKENDS = ['wasm', 'cpu'];

/** Whether the current backend runs the kernel (registering it there on first use). */
function kernelAvailable(): boolean {
  const backend = tf.getBackend();
  if (!HOST_BACKENDS.includes(backend) || !hasHostArrays(tf.backend())) return false;
  if (!tf.getKernel(SGD_MOMENTUM_UPDATE, backend))
    tf.registerKernel({ ...sgdMomentumUpdateConfig, backendName: backend });
  return true;
}

/**
 * The new value and (with momentum > 0) the new slot, as new tensors the caller owns; null when
 * the current backend or a dtype does not allow the kernel. `slot` is required with momentum > 0
 * and must be absent with momentum 0.
 */
export function fusedSgdMomentumUpdate(
  value: Tensor,
  gradient: Tensor,
  slot: Tensor | undefined,
  attrs: SgdMomentumUpdateAttrs,
): { value: Tensor; slot?: Tensor } | null {
  const float32 = [value, gradient, slot].every((t) => t === undefined || t.dtype === 'float32');
  if (!float32 || !kernelAvailable()) return null;
  const inputs: Record<string, Tensor> = slot ? { value, gradient, slot } : { value, gradient };
  // Attrs are a NamedAttrMap in tfjs; these hold only numbers and booleans.
  const [newValue, newSlot] = tf
    .engine()
    .runKernel(SGD_MOMENTUM_UPDATE, inputs, attrs as never) as Tensor[];
  return newSlot ? { value: newValue!, slot: newSlot } : { value: newValue! };
}
