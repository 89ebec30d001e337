/**
 * Kernel functions receive TensorInfo objects ({dataId, shape, dtype}); tfjs ops need Tensors.
 * `asTensor` gives a Tensor for one: the op's own Tensor when that is what was passed (the usual
 * case), otherwise a new Tensor on the same data with the backend's reference count raised, so
 * that disposing it (for example at the end of a tidy) leaves the caller's data alive.
 */
import { tf, type Tensor } from '../tf.ts';

type KernelConfig = Parameters<typeof tf.registerKernel>[0];
export type KernelFunc = KernelConfig['kernelFunc'];
export type KernelArgs = Parameters<KernelFunc>[0];
export type TensorInfo = NonNullable<KernelArgs['inputs'][string]>;
export type { KernelConfig };

export function asTensor(info: TensorInfo): Tensor {
  if (info instanceof tf.Tensor) return info;
  const tensor = tf.engine().makeTensorFromTensorInfo(info);
  tf.engine().backend.incRef(info.dataId);
  return tensor;
}

/** The named input of a kernel call, as a Tensor; fails clearly when it is missing. */
export function input(args: KernelArgs, name: string): Tensor {
  const info = args.inputs[name];
  if (!info)
    throw new Error(`kernel: expected input "${name}", got ${Object.keys(args.inputs).join(', ')}`);
  return asTensor(info);
}
