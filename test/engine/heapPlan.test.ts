/**
 * The training-step working-set estimate: `profileTrainingStep` grows with the batch as the
 * tensors of a real step do, and `planBatchForHeap` keeps, lowers or refuses the batch against
 * the heap limit with a message that says what to do.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createStudent,
  parseStudent,
  planBatchForHeap,
  profileTrainingStep,
  selectBackend,
  setHeapLimit,
  type StepBytes,
} from '../../src/index.ts';

describe('training-step heap plan', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });
  afterEach(() => setHeapLimit(undefined));

  it('measures bytes per example above the input itself and plans the batch under the limit', async () => {
    const arch = parseStudent({
      name: 'heap-probe',
      frames: 2,
      resolution: 32,
      stem: { filters: 8 },
      stages: [{ repeats: 1, filters: 16, stride: 2, expand: 4, kernels: [3] }],
    });
    const net = createStudent(arch, { numClasses: 4 });
    let step: StepBytes;
    try {
      step = await profileTrainingStep((x, t) => net.apply(x, t), net.trainableVariables, {
        rgb: [2, 32, 32, 3],
      });
    } finally {
      net.dispose();
    }
    const inputBytes = 2 * 32 * 32 * 3 * 4;
    // the stem alone keeps [2, 16, 16, 8] several times, the expanded block 4x that
    expect(step.bytesPerExample).toBeGreaterThan(4 * inputBytes);
    expect(step.bytesPerExample).toBeLessThan(1000 * inputBytes);

    setHeapLimit(step.fixedBytes + 8.5 * step.bytesPerExample);
    expect(planBatchForHeap(step, 8)).toMatchObject({ batch: 8, guarded: true });
    expect(planBatchForHeap(step, 8).message).toBeUndefined();
    const lowered = planBatchForHeap(step, 16, { label: 'student x' });
    expect(lowered.batch).toBe(8);
    expect(lowered.message).toMatch(
      /student x at batch 16 needs .* over the .* limit; batch 8 fits/,
    );
    setHeapLimit(step.fixedBytes + 0.5 * step.bytesPerExample);
    const none = planBatchForHeap(step, 4);
    expect(none.batch).toBe(0);
    expect(none.message).toMatch(/not even batch 1 fits .*lower --batch/);
  });
});
