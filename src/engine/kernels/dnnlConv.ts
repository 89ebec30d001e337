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
  const forward = nativeKernel('Conv2D', fallbacks.conv2D, (args, attrs) => {
    const x = named(args, 'x');
    const filter = named(args, 'filter');
    const info = convInfo(x.shape, filter.shape, attrs);
    const yShape = outShape(info);
    if (empty(x.shape, filter.shape, yShape)) return undefined;
    const views = hostArrays('Conv2D', args.backend, [x, filter], [yShape]);
    const [y] = views.outputs;
    addon.conv(
      ConvKind.Forward,
      views.inputs[0]!,
      views.inputs[1]!,
      y!.values,
      geometry(x.shape, filter.shape, attrs),
    );
    return y!.info;
  });
  const inputGrad = nativeKernel('Conv2DBackpropInput', fallbacks.inputGrad, (args, attrs) => {
    const dy = named(args, 'dy');
    const filter = named(args, 'filter');
    const xShape = attrs.inputShape;
    if (!xShape) throw new Error('Conv2DBackpropInput: expected the inputShape attribute');
    if (empty(dy.shape, filter.shape, xShape)) return undefined;
    const views = hostArrays('Conv2DBackpropInput', args.backend, [dy, filter], [xShape]);
    const [dx] = views.outputs;
    addon.conv(
      ConvKind.InputGrad,
      views.inputs[0]!,
      views.inputs[1]!,
      dx!.values,
      geometry(xShape, filter.shape, attrs),
    );
    return dx!.info;
  });
  const filterGrad = nativeKernel('Conv2DBackpropFilter', fallbacks.filterGrad, (args, attrs) => {
    const x = named(args, 'x');
    const dy = named(args, 'dy');
    const filterShape = attrs.filterShape;
    if (!filterShape) throw new Error('Conv2DBackpropFilter: expected the filterShape attribute');
    if (empty(x.shape, dy.shape, filterShape)) return undefined;
    const views = hostArrays('Conv2DBackpropFilter', args.backend, [x, dy], [filterShape]);
    const [df] = views.outputs;
    addon.conv(
      ConvKind.FilterGrad,
      views.inputs[0]!,
      views.inputs[1]!,
      df!.values,
      geometry(x.shape, filterShape, attrs),
    );
    return df!.info;
  });
  return [forward, inputGrad, filterGrad];
}
