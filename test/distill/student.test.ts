/**
 * Student architectures: validation with paths, builder interface and shapes, parameter formula
 * equal to the built variables, FLOPs on a hand-computed case, compound scaling, every example
 * JSON in evolution/students, and gradients reaching every trainable variable.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/engine/backend.ts';
import { tf, type Tensor4D } from '../../src/engine/tf.ts';
import {
  countStudentParameters,
  createStudent,
  estimateStudentFlops,
  parseStudent,
  safeParseStudent,
  scaleStudent,
  splitChannels,
  studentHash,
  type StudentArch,
} from '../../src/index.ts';

const tiny = (over: Record<string, unknown> = {}): StudentArch =>
  parseStudent({
    name: 'tiny',
    frames: 2,
    resolution: 16,
    streams: 'rgb',
    stem: { filters: 4, kernel: 3 },
    stages: [
      {
        repeats: 2,
        filters: 4,
        stride: 1,
        expand: 2,
        kernels: [3, 5],
        temporalKernel: 3,
        temporalDilation: 2,
        se: 0.5,
        activation: 'hswish',
      },
      {
        repeats: 1,
        filters: 6,
        stride: 2,
        expand: 1,
        kernels: [3],
        temporalKernel: 1,
        activation: 'relu',
      },
    ],
    headFilters: 8,
    ...over,
  });

const inputsFor = (arch: StudentArch, batch: number) => {
  const shape: [number, number, number] = [batch * arch.frames, arch.resolution, arch.resolution];
  return {
    rgb: tf.randomUniform([...shape, 3], -1, 1, 'float32', 1) as Tensor4D,
    flow:
      arch.streams === 'rgb+flow'
        ? (tf.randomUniform([...shape, 2], -1, 1, 'float32', 2) as Tensor4D)
        : undefined,
  };
};

const exampleDir = join(import.meta.dirname, '../../evolution/students');
const examples = readdirSync(exampleDir).filter((f) => f.endsWith('.json') && f !== 'space.json');

describe('student architectures', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('reports invalid fields with their paths', () => {
    const result = safeParseStudent({
      name: 'x',
      frames: 0,
      resolution: 16,
      stem: { filters: 4 },
      stages: [{ repeats: 1, filters: 4, stride: 3, expand: 1, kernels: [4] }],
    });
    expect(result.success).toBe(false);
    const paths = result.success ? [] : result.issues.map((issue) => issue.path.join('.'));
    expect(paths).toEqual(
      expect.arrayContaining(['frames', 'stages.0.stride', 'stages.0.kernels.0']),
    );
    expect(() => parseStudent({ name: 'x' }, 'x.json')).toThrow(/x\.json[\s\S]*frames/);
  });

  it('MixNet channel split: equal groups, remainder to the first', () => {
    expect(splitChannels(10, 3)).toEqual([4, 3, 3]);
    expect(splitChannels(8, 2)).toEqual([4, 4]);
  });

  for (const streams of ['rgb', 'rgb+flow'] as const) {
    for (const fusion of ['sum', 'concat'] as const) {
      if (streams === 'rgb' && fusion === 'concat') continue;
      it(`streams=${streams} fusion=${fusion}: features [B,C], logits [B,classes], parameters = formula`, () => {
        const arch = tiny({ streams, fusion });
        const net = createStudent(arch, { numClasses: 5, seed: 3 });
        const inputs = inputsFor(arch, 2);
        const feats = net.features(inputs);
        expect(feats.shape).toEqual([2, 8]);
        const logits = net.head(feats);
        expect(logits.shape).toEqual([2, 5]);
        const probs = net.probabilities(logits);
        expect(Array.from(tf.sum(probs, 1).dataSync()).every((s) => Math.abs(s - 1) < 1e-5)).toBe(
          true,
        );
        const built = [...net.variables.values()].reduce((n, v) => n + v.size, 0);
        const trainable = net.trainableVariables.reduce((n, v) => n + v.size, 0);
        const formula = countStudentParameters(arch, 5);
        expect(built).toBe(formula.total);
        expect(trainable).toBe(formula.trainable);
        tf.dispose([feats, logits, probs, inputs.rgb, inputs.flow!].filter(Boolean));
        net.dispose();
      });
    }
  }

  it('variable names are stable paths', () => {
    const net = createStudent(tiny(), { numClasses: 3 });
    const names = [...net.variables.keys()];
    expect(names).toContain('stem_rgb/conv/filter');
    expect(names).toContain('stage0/block1/spatial/k5_g1/filter');
    expect(names).toContain('stage0/block0/temporal/filter');
    expect(names).toContain('stage0/block0/se/reduce/kernel');
    expect(names).toContain('head/dense/kernel');
    net.dispose();
  });

  it('every trainable variable gets a finite, non-zero gradient (dilated temporal depthwise included)', () => {
    const arch = tiny({ streams: 'rgb+flow', fusion: 'concat' });
    const net = createStudent(arch, { numClasses: 3, seed: 5 });
    const inputs = inputsFor(arch, 1);
    const { grads } = tf.variableGrads(
      () => tf.sum(tf.square(net.apply(inputs, true))) as tf.Scalar,
    );
    for (const variable of net.trainableVariables) {
      const grad = grads[variable.name];
      expect(grad, variable.name).toBeDefined();
      const values = grad.dataSync();
      expect(values.every(Number.isFinite)).toBe(true);
    }
    const temporal = grads[net.variables.get('stage0/block0/temporal/filter')!.name];
    expect(Math.max(...Array.from(temporal.dataSync()).map(Math.abs))).toBeGreaterThan(0);
    tf.dispose(Object.values(grads));
    net.dispose();
  });

  it('FLOPs on a hand-computed one-block student', () => {
    const arch = parseStudent({
      name: 'one',
      frames: 2,
      resolution: 8,
      stem: { filters: 4, kernel: 3 },
      stages: [
        { repeats: 1, filters: 6, stride: 2, expand: 2, kernels: [3], temporalKernel: 3, se: 0.5 },
      ],
    });
    // stem: 2 frames x 4x4 x 9*3*4; expand 2*16*4*8; dw 2*2*2*9*8; temporal 2*4*3*8; se 2*8*2; project 2*4*8*6; dense 6*3
    const macs = 2 * 16 * 108 + 2 * 16 * 32 + 8 * 72 + 8 * 24 + 32 + 8 * 48 + 18;
    expect(estimateStudentFlops(arch, 3)).toEqual({ macs, flops: 2 * macs });
  });

  it('compound scaling: phi=0 unchanged, phi=1 scales depth, width, resolution, frames', () => {
    const arch = tiny();
    expect(scaleStudent(arch, 0)).toBe(arch);
    const scaled = scaleStudent(arch, 1, { alpha: 2, beta: 2, gamma: 2, delta: 2 });
    expect(scaled.stages.map((s) => s.repeats)).toEqual([4, 2]);
    expect(scaled.stages.map((s) => s.filters)).toEqual([8, 16]);
    expect(scaled.stem.filters).toBe(8);
    expect(scaled.resolution).toBe(32);
    expect(scaled.frames).toBe(4);
    expect(estimateStudentFlops(scaled, 3).macs).toBeGreaterThan(
      4 * estimateStudentFlops(arch, 3).macs,
    );
    expect(studentHash(scaled)).not.toBe(studentHash(arch));
  });

  for (const file of examples) {
    it(`example ${file} validates, builds at batch 1 and matches its parameter formula`, () => {
      const arch = parseStudent(JSON.parse(readFileSync(join(exampleDir, file), 'utf8')), file);
      const small = parseStudent({ ...arch, frames: 2, resolution: 32 });
      const net = createStudent(small, { numClasses: 4 });
      const inputs = inputsFor(small, 1);
      const logits = net.apply(inputs);
      expect(logits.shape).toEqual([1, 4]);
      expect([...net.variables.values()].reduce((n, v) => n + v.size, 0)).toBe(
        countStudentParameters(small, 4).total,
      );
      tf.dispose([logits, inputs.rgb, inputs.flow!].filter(Boolean));
      net.dispose();
    });
  }
});
