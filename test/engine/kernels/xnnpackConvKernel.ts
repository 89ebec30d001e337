/**
 * Puts one of the XNNPACK-based conv kernels back on the wasm backend for a test file. When the
 * native oneDNN addon is built the engine installs its kernels instead, and these remain the
 * fallback (no addon, ASSEMBLENET_NATIVE=off, NCHW), so their tests must reach them either way.
 * vitest runs each test file in its own module registry, so this does not leak into other files.
 */
import { tf } from '../../../src/engine/tf.ts';
import type { KernelConfig } from '../../../src/engine/kernels/tensorInfo.ts';

export function useXnnpackKernel(config: KernelConfig): void {
  tf.unregisterKernel(config.kernelName, 'wasm');
  tf.registerKernel({ ...config, backendName: 'wasm' });
}
