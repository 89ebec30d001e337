/**
 * Identity and same-dtype Cast for wasm without a copy: the output shares the input's data (its
 * reference count raised), as the `cpu` backend's kernels do. tfjs tensors are never written in
 * place (a Variable's assign swaps its data for the new value's), so sharing is safe.
 *
 * Why it matters: while a gradient tape records, tfjs-core saves every tensor a gradient needs
 * (conv inputs and filters, batch-norm inputs, ReLU outputs...) through an Identity kernel, and
 * the stock wasm Identity copies it: ~1900 full copies per training step of the scaled
 * AssembleNet-50, and as many extra activations on the heap. The gradient of that clone is a
 * same-dtype Cast, which the stock kernel copies too.
 */
import type { KernelConfig, TensorInfo } from './tensorInfo.ts';

type Backend = { incRef(dataId: object): void };

function share(info: TensorInfo, backend: unknown): TensorInfo {
  (backend as Backend).incRef(info.dataId);
  return { dataId: info.dataId, shape: info.shape, dtype: info.dtype };
}

/** Wraps the stock kernel: strings (Identity) and dtype changes (Cast) still go to it. */
export function makeIdentityConfig(stock: KernelConfig): KernelConfig {
  return {
    ...stock,
    kernelFunc: (args) => {
      const x = args.inputs.x as TensorInfo;
      return x.dtype === 'string' ? stock.kernelFunc(args) : share(x, args.backend);
    },
  };
}

export function makeCastConfig(stock: KernelConfig): KernelConfig {
  return {
    ...stock,
    kernelFunc: (args) => {
      const x = args.inputs.x as TensorInfo;
      const { dtype } = args.attrs as { dtype: string };
      return dtype === x.dtype && dtype !== 'string'
        ? share(x, args.backend)
        : stock.kernelFunc(args);
    },
  };
}
