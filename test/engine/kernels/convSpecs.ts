/** Conv geometries shared by the conv kernel and gradient tests: strides 1-2, same/valid,
 * kernels 1-7, dilations 1-3, odd sizes. */
import type { ConvSpec } from './naive.ts';

const spec = (
  xShape: ConvSpec['xShape'],
  filterShape: ConvSpec['filterShape'],
  stride: number | [number, number],
  dilation: number | [number, number],
  padding: ConvSpec['padding'],
): ConvSpec => ({
  xShape,
  filterShape,
  stride: typeof stride === 'number' ? [stride, stride] : stride,
  dilation: typeof dilation === 'number' ? [dilation, dilation] : dilation,
  padding,
});

/** Every spec, dilated ones included. */
export const CONV_SPECS: ConvSpec[] = [
  spec([2, 9, 9, 3], [3, 3, 3, 4], 1, 1, 'same'),
  spec([2, 9, 9, 3], [3, 3, 3, 4], 2, 1, 'same'),
  spec([2, 9, 9, 3], [3, 3, 3, 4], 2, 1, 'valid'),
  spec([1, 7, 8, 2], [1, 1, 2, 3], 2, 1, 'same'),
  spec([1, 7, 8, 2], [1, 1, 2, 3], 1, 1, 'valid'),
  // 1x1 stride 1 (the filter gradient is one matMul), more input than output channels and fewer
  spec([3, 5, 6, 8], [1, 1, 8, 3], 1, 1, 'same'),
  spec([2, 4, 3, 3], [1, 1, 3, 7], 1, 1, 'same'),
  spec([2, 7, 6, 5], [1, 1, 5, 4], 2, 1, 'same'),
  spec([1, 9, 8, 4], [1, 1, 4, 6], [3, 2], 1, 'valid'),
  spec([2, 11, 10, 3], [5, 5, 3, 2], 1, 1, 'valid'),
  spec([2, 11, 10, 3], [5, 5, 3, 2], 2, 1, 'same'),
  spec([1, 13, 12, 2], [7, 7, 2, 3], 2, 1, 'same'),
  spec([1, 13, 12, 2], [7, 7, 2, 3], 2, 1, 'valid'),
  spec([1, 10, 9, 3], [3, 3, 3, 2], [2, 1], 1, 'same'),
  // strided 'valid' convs that leave input rows/columns past the last window (the stem's case)
  spec([1, 14, 12, 2], [7, 7, 2, 3], 2, 1, 'valid'),
  spec([2, 10, 10, 3], [3, 3, 3, 2], 2, 1, 'valid'),
  spec([2, 10, 6, 3], [3, 1, 3, 4], [2, 1], 1, 'valid'),
  spec([2, 9, 9, 3], [3, 3, 3, 4], 1, 2, 'same'),
  spec([2, 9, 9, 3], [3, 3, 3, 4], 1, 2, 'valid'),
  spec([1, 13, 11, 2], [3, 3, 2, 3], 1, 3, 'same'),
  spec([2, 11, 6, 3], [3, 1, 3, 4], 1, [2, 1], 'same'),
  spec([2, 11, 6, 3], [3, 1, 3, 4], 1, [3, 1], 'valid'),
  spec([1, 15, 5, 2], [5, 1, 2, 3], 1, [2, 1], 'same'),
  spec([1, 8, 9, 2], [1, 3, 2, 2], 1, [1, 3], 'same'),
  // explicit padding: the official fixed padding of strided convs (k-1 split floor/ceil), as
  // the network passes it to the conv instead of padding the input
  spec([2, 10, 10, 3], [7, 7, 3, 2], 2, 1, [
    [0, 0],
    [3, 3],
    [3, 3],
    [0, 0],
  ]),
  spec([2, 9, 8, 3], [3, 3, 3, 4], 2, 1, [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ]),
  spec([1, 8, 8, 2], [4, 4, 2, 3], 2, 1, [
    [0, 0],
    [1, 2],
    [1, 2],
    [0, 0],
  ]),
  spec([1, 9, 7, 2], [3, 3, 2, 2], 1, 2, [
    [0, 0],
    [2, 0],
    [1, 3],
    [0, 0],
  ]),
];

/** The specs without dilation (the backprop kernels have no dilation attribute). */
export const UNDILATED_SPECS = CONV_SPECS.filter((s) => s.dilation[0] === 1 && s.dilation[1] === 1);
