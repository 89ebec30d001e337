/**
 * Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter on the native oneDNN addon
 * (../native/addon.ts), computed in place on the wasm heap: no transposes, pads or copies around
 * the convolution, and every dilation (the backprop kernels also take a `dilations` attribute,
 * which tfjs-core never passes but the project's Conv2D gradient does; see
 * ../gradients/Conv2D_grad.ts). NCHW and empty tensors go to the kernel these replace.
 */
import type { Conv2DGeometry } from '../gradients/conv2dBackprop.ts';
import { convInfo } from '../gradients/conv2dBackprop.ts';
import { ConvKind, type NativeAddon, packGeometry } from '../native/addon.ts';
import { hostArrays } from './hostArrays.ts';
import type { KernelConfig, KernelFunc, TensorInfo } from './tensorInfo.ts';

type Shape4 = [number, number, number, number];

interface ConvAttrs extends Conv2DGeometry {
  dataFormat?: 'NHWC' | 'NCHW';
  inputShape?: Shape4;
  filterShape?: Shape4;
}

function geometry(xShape: readonly number[], filterShape: readonly number[], attrs: ConvAttrs) {
  const info = convInfo(xShape, filterShape, attrs);
  const { top, left, bottom, right } = info.padInfo;
  return packGeometry({
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    top,
    left,
    bottom,
    right,
  });
}

const outShape = (info: ReturnType<typeof convInfo>): Shape4 => [
  info.batchSize,
  info.outHeight,
  info.outWidth,
  info.outChannels,
];

const empty = (...shapes: readonly number[][]): boolean =>
  shapes.some((shape) => shape.some((d) => d === 0));

function nativeKernel(
  kernelName: string,
  fallback: KernelFunc,
  body: (args: Parameters<KernelFunc>[0], attrs: ConvAttrs) => TensorInfo | undefined,
): KernelConfig {
  return {
    kernelName,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const attrs = args.attrs as unknown as ConvAttrs;
      if (attrs.dataFormat === 'NCHW') return fallback(args);
      return body(args, attrs) ?? fallback(args);
    },
  };
}

function named(args: Parameters<KernelFunc>[0], name: string): TensorInfo {
  const info = args.inputs[name];
  if (!info) throw new Error(`dnnl conv: expected input "${name}"`);
  return info;
}

/** The three configs; `fallbacks` are the kernels they replace (used for NCHW and empty data). */
export function dnnlConvConfigs(
  addon: NativeAddon,
  fallbacks: { conv2D: KernelFunc; inputGrad: KernelFunc; filterGrad: KernelFunc },
): KernelConfig[] {
  /**
   * One native conv: inputs `a`, `b` (kernel input names), output of `outputShape`, geometry from
   * the forward conv's x and filter shapes; undefined (the fallback runs) when anything is empty.
   */
  const run = (
    args: Parameters<KernelFunc>[0],
    kernelName: string,
    kind: ConvKind,
    [a, b]: [TensorInfo, TensorInfo],
    outputShape: number[],
    xShape: readonly number[],
    filterShape: readonly number[],
    attrs: ConvAttrs,
  ): TensorInfo | undefined => {
    if (empty(a.shape, b.shape, outputShape)) return undefined;
    const views = hostArrays(kernelName, args.backend, [a, b], [outputShape]);
    const [out] = views.outputs;
    const [aValues, bValues] = views.inputs as [Float32Array, Float32Array];
    addon.conv(kind, aValues, bValues, out!.values, geometry(xShape, filterShape, attrs));
    return out!.info;
  };
  const required = (kernelName: string, value: Shape4 | undefined, name: string): Shape4 => {
    if (!value) throw new Error(`${kernelName}: expected the ${name} attribute`);
    return value;
  };
  const forward = nativeKernel('Conv2D', fallbacks.conv2D, (args, attrs) => {
    const x = named(args, 'x');
    const filter = named(args, 'filter');
    const yShape = outShape(convInfo(x.shape, filter.shape, attrs));
    return run(args, 'Conv2D', ConvKind.Forward, [x, filter], yShape, x.shape, filter.shape, attrs);
  });
  const inputGrad = nativeKernel('Conv2DBackpropInput', fallbacks.inputGrad, (args, attrs) => {
    const dy = named(args, 'dy');
    const filter = named(args, 'filter');
    const xShape = required('Conv2DBackpropInput', attrs.inputShape, 'inputShape');
    const kernel = 'Conv2DBackpropInput';
    return run(args, kernel, ConvKind.InputGrad, [dy, filter], xShape, xShape, filter.shape, attrs);
  });
  const filterGrad = nativeKernel('Conv2DBackpropFilter', fallbacks.filterGrad, (args, attrs) => {
    const x = named(args, 'x');
    const dy = named(args, 'dy');
    const fShape = required('Conv2DBackpropFilter', attrs.filterShape, 'filterShape');
    const kernel = 'Conv2DBackpropFilter';
    return run(args, kernel, ConvKind.FilterGrad, [x, dy], fShape, x.shape, fShape, attrs);
  });
  return [forward, inputGrad, filterGrad];
}
