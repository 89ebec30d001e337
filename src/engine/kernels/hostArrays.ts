/**
 * Float32 views of kernel inputs and new outputs on the backends whose data lives in this
 * process's memory: `wasm` (views into the wasm heap) and `cpu` (the backend's own arrays).
 * Kernels written as JavaScript loops over these views (batch norm, max-pool gradient) walk a
 * tensor once where a chain of tfjs ops walks it once per op.
 *
 * On wasm, allocating an output can grow the heap, which detaches every earlier view: all
 * outputs are allocated first, then every view is taken.
 */
import type { TensorInfo } from './tensorInfo.ts';

/** The BackendWasm methods used here (typed locally: tf.ts is the only tfjs import). */
interface WasmBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

/** The MathBackendCPU members used here. */
interface CpuBackend {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

export interface HostArrays {
  inputs: Float32Array[];
  outputs: { info: TensorInfo; values: Float32Array }[];
}

const isWasm = (backend: unknown): backend is WasmBackend =>
  typeof (backend as Partial<WasmBackend>).typedArrayFromHeap === 'function';

const isCpu = (backend: unknown): backend is CpuBackend =>
  typeof (backend as Partial<CpuBackend>).makeTensorInfo === 'function' &&
  typeof (backend as Partial<CpuBackend>).data?.get === 'function';

/** Whether `hostArrays` can serve this backend object. */
export function hasHostArrays(backend: unknown): boolean {
  return isWasm(backend) || isCpu(backend);
}

/**
 * Views of `inputs` (float32) and of new float32 outputs of the given shapes. Outputs are
 * uninitialised on wasm (heap memory): the kernel must write every element.
 */
export function hostArrays(
  kernel: string,
  backend: unknown,
  inputs: TensorInfo[],
  outputShapes: number[][],
): HostArrays {
  for (const info of inputs) {
    if (info.dtype !== 'float32')
      throw new Error(`${kernel}: expected float32 inputs, got ${info.dtype}`);
  }
  if (isWasm(backend)) {
    const infos = outputShapes.map((shape) => backend.makeOutput(shape, 'float32'));
    return {
      inputs: inputs.map((info) => backend.typedArrayFromHeap(info)),
      outputs: infos.map((info) => ({ info, values: backend.typedArrayFromHeap(info) })),
    };
  }
  if (isCpu(backend)) {
    return {
      inputs: inputs.map((info) => {
        const values = backend.data.get(info.dataId).values;
        if (!(values instanceof Float32Array))
          throw new Error(`${kernel}: expected a float32 array on the cpu backend`);
        return values;
      }),
      outputs: outputShapes.map((shape) => {
        const values = new Float32Array(shape.reduce((p, d) => p * d, 1));
        return { info: backend.makeTensorInfo(shape, 'float32', values), values };
      }),
    };
  }
  throw new Error(`${kernel}: expected the wasm or cpu backend`);
}
