export * from './scoreMatrix.ts';
export * from './accuracy.ts';
export * from './averagePrecision.ts';
export * from './labelChecks.ts';
export * from './multiView.ts';
export * from './submission.ts';
