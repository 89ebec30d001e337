import { describe, expect, it } from 'vitest';
import { geometryFilters, planFrameGeometry } from '../../src/video/geometry.ts';

describe('planFrameGeometry', () => {
  it('97x61 shortSide=30 -> 48x30 (round(97*30/61)=48), centre crop 24 at (12, 3)', () => {
    const plan = planFrameGeometry({ width: 97, height: 61 }, { shortSide: 30, crop: 24 });
    expect(plan).toMatchObject({
      resizedWidth: 48,
      resizedHeight: 30,
      width: 24,
      height: 24,
      cropX: 12,
      cropY: 3,
    });
    expect(geometryFilters(plan, { width: 97, height: 61 })).toEqual([
      'scale=48:30:flags=bilinear',
      'crop=24:24:12:3',
    ]);
  });

  it('portrait 61x97 shortSide=30 -> 30x48', () => {
    const plan = planFrameGeometry({ width: 61, height: 97 }, { shortSide: 30 });
    expect([plan.resizedWidth, plan.resizedHeight, plan.width, plan.height]).toEqual([
      30, 48, 30, 48,
    ]);
  });

  it('no options: no filters', () => {
    const plan = planFrameGeometry({ width: 64, height: 48 });
    expect(geometryFilters(plan, { width: 64, height: 48 })).toEqual([]);
  });

  it('random crop: seeded, inside bounds, positions vary with the seed', () => {
    const positions = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const plan = planFrameGeometry(
        { width: 100, height: 50 },
        { crop: 40, cropMode: 'random', seed },
      );
      expect(plan.cropX).toBeGreaterThanOrEqual(0);
      expect(plan.cropX + 40).toBeLessThanOrEqual(100);
      expect(plan.cropY + 40).toBeLessThanOrEqual(50);
      positions.add(`${plan.cropX},${plan.cropY}`);
      expect(
        planFrameGeometry({ width: 100, height: 50 }, { crop: 40, cropMode: 'random', seed }),
      ).toEqual(plan);
    }
    expect(positions.size).toBeGreaterThan(20);
  });

  it('crop larger than the frame is an InputError naming both sizes', () => {
    expect(() => planFrameGeometry({ width: 64, height: 48 }, { crop: 50 })).toThrow(
      /within 64x48, got 50x50/,
    );
  });
});
