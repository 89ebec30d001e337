import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.ts';
import { createFusion, FAST_FUSION_EPSILON } from '../../src/model/fusion.ts';
import { createBatchNorm, createConvOps, ParameterStore } from '../../src/model/layers.ts';

type Tensor4D = tf.Tensor4D;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Deterministic values for a [n, h, w, c] tensor: an accessor and a tensor factory. */
function fixture(n: number, h: number, w: number, c: number, offset: number) {
  const values: number[] = [];
  for (let i = 0; i < n * h * w * c; i++) values.push(((i * 7 + offset) % 11) / 10 - 0.2);
  const at = (b: number, y: number, x: number, ch: number) =>
    values[((b * h + y) * w + x) * c + ch];
  return { tensor: () => tf.tensor4d(values, [n, h, w, c]), at };
}

describe('fusion, hand-computed', () => {
  // a [1,4,4,2] is max-pooled 2x2 to 2x2; b [1,2,2,2] has a's channels; c [1,2,2,3] the most.
  const a = fixture(1, 4, 4, 2, 0);
  const b = fixture(1, 2, 2, 2, 3);
  const c = fixture(1, 2, 2, 3, 5);
  // The 1x1 conv that lifts the 2-channel sum to 3 channels: out[k] = sum_j W[j][k] in[j].
  const lift = [
    [0.5, -1, 2],
    [1.5, 0.25, -0.5],
  ];

  function expected(weights: number[]): number[] {
    const out: number[] = [];
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 2; x++) {
        const twoChannel = [0, 1].map((j) => {
          const pooled = Math.max(
            a.at(0, 2 * y, 2 * x, j),
            a.at(0, 2 * y, 2 * x + 1, j),
            a.at(0, 2 * y + 1, 2 * x, j),
            a.at(0, 2 * y + 1, 2 * x + 1, j),
          );
          return weights[0] * pooled + weights[1] * b.at(0, y, x, j);
        });
        for (let k = 0; k < 3; k++) {
          out.push(
            twoChannel[0] * lift[0][k] + twoChannel[1] * lift[1][k] + weights[2] * c.at(0, y, x, k),
          );
        }
      }
    }
    return out;
  }

  function run(kind: 'sigmoid' | 'fast-normalised', frozen?: number[], raw?: number[]) {
    const store = new ParameterStore('fusion-test');
    const fusion = createFusion(store, createConvOps('2plus1d', 1), 'node', {
      fusionKind: kind,
      fusionInputChannels: [2, 2, 3],
      fusionFrozenWeights: frozen,
    });
    store.named.get('node/match2/filter')!.assign(tf.tensor4d(lift.flat(), [1, 1, 2, 3]));
    if (raw) fusion.edgeVariable!.assign(tf.tensor1d(raw));
    const inputs = [a.tensor(), b.tensor(), c.tensor()];
    const y = fusion.apply(inputs);
    tf.dispose(inputs);
    const result = {
      shape: y.shape,
      values: Array.from(y.dataSync()),
      variables: [...store.named.keys()],
      frozen: fusion.frozen,
    };
    y.dispose();
    store.dispose();
    return result;
  }

  it('sigmoid, frozen weights [0.2, 0.5, 0.9]: pool, weigh, group by channels, 1x1 lift, add', () => {
    const result = run('sigmoid', [0.2, 0.5, 0.9]);
    expect(result.shape).toEqual([1, 2, 2, 3]);
    expect(result.variables).toEqual(['node/match2/filter']);
    expect(result.frozen).toBe(true);
    const want = expected([0.2, 0.5, 0.9]);
    result.values.forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
  });

  it('sigmoid, learnable logits [0, ln 3, -ln 3] -> weights [0.5, 0.75, 0.25]', () => {
    const result = run('sigmoid', undefined, [0, Math.log(3), -Math.log(3)]);
    expect(result.variables).toContain('node/edge_weights');
    const want = expected([0.5, 0.75, 0.25]);
    result.values.forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
  });

  it('fast-normalised, learnable [1, 3, -2] -> relu / (eps + sum) = [1, 3, 0] / (4 + eps)', () => {
    const result = run('fast-normalised', undefined, [1, 3, -2]);
    const total = 4 + FAST_FUSION_EPSILON;
    const want = expected([1 / total, 3 / total, 0]);
    result.values.forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
  });
});

describe('batch norm on 4-D', () => {
  it('training normalises over [N,H,W] and updates running stats; inference uses them', () => {
    const store = new ParameterStore('bn-test');
    const norm = createBatchNorm(store, 'bn', 2, { momentum: 0.9, epsilon: 1e-5 });
    store.named.get('bn/gamma')!.assign(tf.tensor1d([2, 0.5]));
    store.named.get('bn/beta')!.assign(tf.tensor1d([1, -1]));
    const values = [1, 10, 2, 20, 3, 30, 6, 60]; // [2,2,1,2]: channel 0 = 1,2,3,6; channel 1 = 10x
    const x = tf.tensor4d(values, [2, 2, 1, 2]);
    const y = norm.apply(x as Tensor4D, true);
    const mean = [3, 30];
    const variance = [(4 + 1 + 0 + 9) / 4, (400 + 100 + 0 + 900) / 4];
    const gamma = [2, 0.5];
    const beta = [1, -1];
    Array.from(y.dataSync()).forEach((v, i) => {
      const ch = i % 2;
      expect(v).toBeCloseTo(
        ((values[i] - mean[ch]) / Math.sqrt(variance[ch] + 1e-5)) * gamma[ch] + beta[ch],
        4,
      );
    });
    const runningMean = Array.from(store.named.get('bn/moving_mean')!.dataSync());
    const runningVariance = Array.from(store.named.get('bn/moving_variance')!.dataSync());
    runningMean.forEach((v, ch) => expect(v).toBeCloseTo(0.1 * mean[ch], 5));
    runningVariance.forEach((v, ch) => expect(v).toBeCloseTo(0.9 + 0.1 * variance[ch], 4));
    const inference = norm.apply(x as Tensor4D, false);
    Array.from(inference.dataSync()).forEach((v, i) => {
      const ch = i % 2;
      expect(v).toBeCloseTo(
        ((values[i] - runningMean[ch]) / Math.sqrt(runningVariance[ch] + 1e-5)) * gamma[ch] +
          beta[ch],
        4,
      );
    });
    tf.dispose([x, y, inference]);
    store.dispose();
  });
});
