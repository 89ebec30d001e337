export * from './spec.ts';
export * from './prng.ts';
export * from './motion.ts';
export * from './render.ts';
export * from './plan.ts';
export * from './annotations.ts';
export * from './generate.ts';
