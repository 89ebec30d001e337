export * from './space.ts';
export * from './graph.ts';
export * from './mutate.ts';
export * from './select.ts';
export * from './journal.ts';
export * from './search.ts';
export * from './inherit.ts';
export * from './proxySeeds.ts';
