export * from './losses.ts';
export * from './teacherCache.ts';
export * from './depthwise.ts';
export * from './student.ts';
export { activate, hardSwish } from './blocks.ts';
export * from './studentNetwork.ts';
export * from './studentCost.ts';
export * from './latency.ts';
export * from './search.ts';
