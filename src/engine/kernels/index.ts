/**
 * The project's kernel overrides for the wasm backend, one file per kernel.
 * Each entry replaces a kernel that is missing, slow or wrong in tfjs-backend-wasm 4.22
 * (see DESIGN.md); each has a test against the `cpu` backend under test/engine/kernels.
 */
import { tf } from '../tf.ts';

type KernelConfig = Parameters<typeof tf.registerKernel>[0];

const WASM_OVERRIDES: KernelConfig[] = [];

/** Installs every override on the wasm backend (idempotent); returns the kernel names. */
export function installWasmKernels(): string[] {
  for (const config of WASM_OVERRIDES) {
    if (tf.getKernel(config.kernelName, 'wasm')) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({ ...config, backendName: 'wasm' });
  }
  return WASM_OVERRIDES.map((config) => config.kernelName);
}
