/**
 * The native oneDNN conv kernels (src/engine/kernels/dnnlConv.ts) on the wasm backend, run as
 * kernels against naive loops: forward, input and filter gradient, every geometry of convSpecs
 * (dilations included, which the backprop kernels take as an attribute), NCHW through the
 * fallback, at 2 threads (what the backend was asked for) and 1. CI installs g++ and libdnnl-dev, so there the addon must be built;
 * elsewhere the file is skipped when it is not.
 */
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { backendReport, selectBackend } from '../../../src/engine/backend.ts';
import { tf, type Tensor } from '../../../src/engine/tf.ts';
import { nativeConvActive } from '../../../src/engine/kernels/index.ts';
import {
  ConvKind,
  NATIVE_ADDON_PATH,
  loadNativeAddon,
  nativeDisabled,
  type NativeAddon,
} from '../../../src/engine/native/addon.ts';
import { CONV_SPECS } from './convSpecs.ts';
import {
  naiveConv,
  naiveConvFilterGrad,
  naiveConvInputGrad,
  outShape,
  relError,
  seeded,
  specName,
  type ConvSpec,
} from './naive.ts';

const TOLERANCE = 1e-5;
const built = existsSync(NATIVE_ADDON_PATH);

function runConv(kind: 'forward' | 'input' | 'filter', s: ConvSpec): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor(seeded(s.xShape, 1), s.xShape);
    const filter = tf.tensor(seeded(s.filterShape, 2), s.filterShape);
    const dy = tf.tensor(seeded(outShape(s), 3), outShape(s));
    const geometry = {
      strides: s.stride,
      pad: s.padding,
      dataFormat: 'NHWC',
      dilations: s.dilation,
    };
    const out =
      kind === 'forward'
        ? tf.engine().runKernel('Conv2D', { x, filter }, geometry)
        : kind === 'input'
          ? tf
              .engine()
              .runKernel(
                'Conv2DBackpropInput',
                { dy, filter },
                { ...geometry, inputShape: s.xShape },
              )
          : tf
              .engine()
              .runKernel(
                'Conv2DBackpropFilter',
                { x, dy },
                { ...geometry, filterShape: s.filterShape },
              );
    return (out as Tensor).dataSync() as Float32Array;
  });
}

function expected(kind: 'forward' | 'input' | 'filter', s: ConvSpec): Float64Array {
  const x = seeded(s.xShape, 1);
  const f = seeded(s.filterShape, 2);
  const dy = seeded(outShape(s), 3);
  if (kind === 'forward') return naiveConv(s, x, f);
  return kind === 'input' ? naiveConvInputGrad(s, dy, f) : naiveConvFilterGrad(s, x, dy);
}

describe('ASSEMBLENET_NATIVE', () => {
  it('reads on/off and refuses anything else', () => {
    expect(nativeDisabled('off')).toBe(true);
    expect(nativeDisabled('0')).toBe(true);
    expect(nativeDisabled('on')).toBe(false);
    expect(nativeDisabled(undefined)).toBe(false);
    expect(() => nativeDisabled('fast')).toThrow(/ASSEMBLENET_NATIVE to be on or off, got "fast"/);
  });
});

describe('native addon build', () => {
  it.runIf(process.env.CI)('is built in CI (the install step has g++ and libdnnl-dev)', () => {
    expect(built).toBe(true);
  });
});

describe.skipIf(!built || nativeDisabled())('oneDNN conv kernels on wasm', () => {
  let addon: NativeAddon;
  beforeAll(async () => {
    await selectBackend('wasm', { threads: 2 });
    const load = loadNativeAddon();
    if (!load.addon) throw new Error(`expected the addon to load: ${load.reason}`);
    addon = load.addon;
  });

  it('are the installed conv kernels', () => {
    expect(nativeConvActive()).toBe(true);
    // the threads asked for go to the native convolutions, wasm runs one
    expect(backendReport()?.nativeConv).toBe('oneDNN, 2 threads');
    expect(backendReport()?.threads).toBe(2);
    expect(backendReport()?.wasmThreads).toBe(1);
  });

  for (const kind of ['forward', 'input', 'filter'] as const) {
    for (const s of CONV_SPECS) {
      it(`${kind} ${specName(s)} vs naive`, () => {
        expect(relError(runConv(kind, s), expected(kind, s))).toBeLessThan(TOLERANCE);
      });
    }
  }

  it('NCHW goes to the fallback and still matches', () => {
    const s = CONV_SPECS[1]!;
    const actual = tf.tidy(() => {
      const x = tf.transpose(tf.tensor(seeded(s.xShape, 1), s.xShape), [0, 3, 1, 2]);
      const [n, h, w, c] = outShape(s);
      const dy = tf.transpose(tf.tensor(seeded([n, h, w, c], 3), [n, h, w, c]), [0, 3, 1, 2]);
      const attrs = {
        strides: s.stride,
        pad: s.padding,
        dataFormat: 'NCHW',
        filterShape: s.filterShape,
      };
      return (tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as Tensor).dataSync();
    });
    expect(relError(actual, expected('filter', s))).toBeLessThan(1e-4);
  });

  it('gives the same numbers at 1 thread as at 2', () => {
    const s: ConvSpec = { ...CONV_SPECS[0]!, xShape: [8, 32, 32, 16], filterShape: [3, 3, 16, 16] };
    const two = runConv('filter', s); // 8*32*32*16*9*16 MACs: above the size run in parallel
    addon.setThreads(1);
    try {
      expect(relError(runConv('filter', s), two)).toBeLessThan(TOLERANCE);
    } finally {
      addon.setThreads(2);
    }
  });

  it('refuses arrays of the wrong size with the sizes in the message', () => {
    const geometry = Int32Array.from([1, 4, 4, 2, 3, 3, 3, 4, 4, 1, 1, 1, 1, 1, 1, 1, 1]);
    const x = new Float32Array(1 * 4 * 4 * 2);
    const f = new Float32Array(3 * 3 * 2 * 3);
    expect(() => addon.conv(ConvKind.Forward, x, f, new Float32Array(5), geometry)).toThrow(
      /argument 3 has 5 elements, expected 48/,
    );
    expect(() =>
      addon.conv(ConvKind.Forward, x, f, new Float32Array(48), new Int32Array(3)),
    ).toThrow(/geometry of 17 numbers/);
  });
});
