export { tf } from './tf.ts';
export * from './backend.ts';
export * from './conv2plus1d.ts';
export * from './selfCheck.ts';
export * from './batchNorm.ts';
export * from './profile.ts';
export { THREADS_ENV, defaultThreads, parseThreads, resolveThreads } from './threads.ts';
