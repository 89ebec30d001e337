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
import { dnnlConvConfigs } from './dnnlConv.ts';
import { loadNativeAddon } from '../native/addon.ts';

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

/** The conv kernels: oneDNN's when the native addon loads, else XNNPACK-based ones. */
function convOverrides(threads: number): {
  configs: KernelConfig[];
  native: string;
  active: boolean;
} {
  const native = loadNativeAddon();
  if (!native.addon) {
    return {
      configs: [conv2DBackpropFilterConfig, conv2DBackpropInputConfig],
      native: native.reason,
      active: false,
    };
  }
  native.addon.setThreads(threads);
  const configs = dnnlConvConfigs(native.addon, {
    conv2D: stock('Conv2D').kernelFunc,
    inputGrad: conv2DBackpropInputConfig.kernelFunc,
    filterGrad: conv2DBackpropFilterConfig.kernelFunc,
  });
  return { configs, native: `oneDNN, ${threads} thread${threads === 1 ? '' : 's'}`, active: true };
}

function wasmOverrides(convs: KernelConfig[]): KernelConfig[] {
  return [
    ...convs,
    makeBatchMatMulConfig(stock('BatchMatMul')),
    makeIdentityConfig(stock('Identity')),
    makeCastConfig(stock('Cast')),
    maxPoolGradConfig,
    makeReverseConfig(stock('Reverse')),
    depthwiseConv2dNativeBackpropFilterConfig,
    depthwiseConv2dNativeBackpropInputConfig,
  ];
}

export interface InstalledKernels {
  /** Names of the kernels installed over the backend's own. */
  kernels: string[];
  /** Who runs the convolutions: "oneDNN, N threads", or why the native kernels are not used. */
  nativeConv: string;
  /** Whether the Conv2D backprop kernels are oneDNN's (they then take `dilations`). */
  nativeConvActive: boolean;
}

let installed: InstalledKernels | undefined;

/**
 * Installs every override on the wasm backend (idempotent); `threads` is what the native
 * convolutions may use (the engine's thread count).
 */
export function installWasmKernels(threads = 1): InstalledKernels {
  if (installed) return installed;
  const convs = convOverrides(threads);
  const overrides = wasmOverrides(convs.configs);
  for (const config of overrides) {
    if (tf.getKernel(config.kernelName, 'wasm')) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({ ...config, backendName: 'wasm' });
  }
  installed = {
    kernels: overrides.map((config) => config.kernelName),
    nativeConv: convs.native,
    nativeConvActive: convs.active,
  };
  return installed;
}

/** True once the wasm backend's conv kernels are oneDNN's (see installWasmKernels). */
export function nativeConvActive(): boolean {
  return installed?.nativeConvActive === true;
}
