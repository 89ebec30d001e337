import type { MotionSpec } from './spec.ts';

/** Where an object is at frame t relative to frame 0: shift in pixels, rotation, size factor. */
export interface MotionOffset {
  dx: number;
  dy: number;
  /** Degrees, clockwise on screen. */
  angle: number;
  scale: number;
}

/**
 * The offset of a motion pattern after `t` frames. `speedFactor` (per video, near 1) scales
 * speeds and frequencies; `phase` (radians) starts oscillations at a random point of the cycle.
 */
export function motionOffset(
  motion: MotionSpec,
  t: number,
  speedFactor: number,
  phase: number,
): MotionOffset {
  const still: MotionOffset = { dx: 0, dy: 0, angle: 0, scale: 1 };
  switch (motion.kind) {
    case 'translate': {
      const distance = motion.speed * speedFactor * t;
      const radians = (motion.direction * Math.PI) / 180;
      return { ...still, dx: Math.cos(radians) * distance, dy: -Math.sin(radians) * distance };
    }
    case 'oscillate': {
      const shift =
        motion.amplitude * Math.sin((2 * Math.PI * t * speedFactor) / motion.period + phase);
      const radians = (motion.direction * Math.PI) / 180;
      return { ...still, dx: Math.cos(radians) * shift, dy: -Math.sin(radians) * shift };
    }
    case 'rotate':
      return { ...still, angle: motion.speed * speedFactor * t };
    case 'scale':
      return { ...still, scale: motion.rate ** (t * speedFactor) };
    case 'pulse':
      return {
        ...still,
        scale:
          1 + motion.amplitude * Math.sin((2 * Math.PI * t * speedFactor) / motion.period + phase),
      };
  }
}
