export { tf } from './tf.ts';
export * from './backend.ts';
export * from './conv2plus1d.ts';
export * from './selfCheck.ts';
