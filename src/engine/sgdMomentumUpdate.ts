/**
 * One SGD-momentum update of one variable in one kernel call (kernels/SgdMomentumUpdate.ts), on
 * the backends whose data the kernel can read (wasm, cpu). `fusedSgdMomentumUpdate` returns null
 * elsewhere (tensorflow, webgl) and for large variables on wasm: the caller then runs the same
 * formula as tfjs ops, which give the same bits (see the kernel's header).
 */
import { tf, type Tensor } from './tf.ts';
import { hasHostArrays } from './kernels/hostArrays.ts';
import {
  SGD_MOMENTUM_UPDATE,
  type SgdMomentumUpdateAttrs,
  sgdMomentumUpdateConfig,
} from './kernels/SgdMomentumUpdate.ts';

export type { SgdMomentumUpdateAttrs };

/**
 * Largest variable (elements) the kernel updates on wasm. The kernel is one scalar JavaScript
 * pass; the op form is ~8 XNNPACK SIMD passes plus ~8 kernel calls and 4 scalar tensors of
 * JavaScript overhead. Small variables are all overhead, large ones all passes. On the scaled
 * AssembleNet-50's 157 variables (675,706 elements; 140 of them <= 4096 elements holding 45,946)
 * one update cost ~29 ms CPU as ops, ~33 ms with the kernel for every variable and ~10 ms with
 * this cutoff (1024: ~22 ms, 16384: ~15 ms; medians of 12 steps, same process, load ~3 on 2
 * cores). On cpu the ops are JavaScript loops too, so the kernel serves every size there.
 */
export const WASM_KERNEL_MAX_ELEMENTS = 4096;

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
  if (tf.getBackend() === 'wasm' && value.size > WASM_KERNEL_MAX_ELEMENTS) return null;
  const inputs: Record<string, Tensor> = slot ? { value, gradient, slot } : { value, gradient };
  // Attrs are a NamedAttrMap in tfjs; these hold only numbers and booleans.
  const [newValue, newSlot] = tf
    .engine()
    .runKernel(SGD_MOMENTUM_UPDATE, inputs, attrs as never) as Tensor[];
  return newSlot ? { value: newValue!, slot: newSlot } : { value: newValue! };
}
