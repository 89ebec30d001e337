/**
 * The project's kernel overrides for the wasm backend, one file per kernel.
 * Each entry replaces a kernel that is missing, slow or wrong in tfjs-backend-wasm 4.22
 * (see docs/architecture.md, "The engine"); each has a test against the `cpu` backend or naive loops under
 * test/engine/kernels.
 */
import { tf } from '../tf.ts';
import type { KernelConfig } from './tensorInfo.ts';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter.ts';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput.ts';
import { makeBatchMatMulConfig } from './BatchMatMul.ts';
import { makeCastConfig, makeIdentityConfig } from './Identity.ts';
import { maxPoolGradConfig } from './MaxPoolGrad.ts';
import { makeReverseConfig } from './Reverse.ts';
import { depthwiseConv2dNativeBackpropFilterConfig } from './DepthwiseConv2dNativeBackpropFilter.ts';
import { depthwiseConv2dNativeBackpropInputConfig } from './DepthwiseConv2dNativeBackpropInput.ts';

/** Stock wasm kernels that an override calls into, captured before the first install. */
const stockKernels = new Map<string, KernelConfig>();

function stock(kernelName: string): KernelConfig {
  let kernel = stockKernels.get(kernelName);
  if (!kernel) {
    kernel = tf.getKernel(kernelName, 'wasm');
    if (!kernel) throw new Error(`engine: expected a stock wasm ${kernelName} kernel, got none`);
    stockKernels.set(kernelName, kernel);
  }
  return kernel;
}

function wasmOverrides(): KernelConfig[] {
  return [
    conv2DBackpropFilterConfig,
    conv2DBackpropInputConfig,
    makeBatchMatMulConfig(stock('BatchMatMul')),
    makeIdentityConfig(stock('Identity')),
    makeCastConfig(stock('Cast')),
    maxPoolGradConfig,
    makeReverseConfig(stock('Reverse')),
    depthwiseConv2dNativeBackpropFilterConfig,
    depthwiseConv2dNativeBackpropInputConfig,
  ];
}

let installed: string[] | undefined;

/** Installs every override on the wasm backend (idempotent); returns the kernel names. */
export function installWasmKernels(): string[] {
  if (installed) return installed;
  const overrides = wasmOverrides();
  for (const config of overrides) {
    if (tf.getKernel(config.kernelName, 'wasm')) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({ ...config, backendName: 'wasm' });
  }
  installed = overrides.map((config) => config.kernelName);
  return installed;
}
