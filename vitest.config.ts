import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // wasm and ffmpeg work is CPU-bound on 2 cores: forks keep each file's engine separate.
    pool: 'forks',
    poolOptions: { forks: { singleFork: false, maxForks: 2, minForks: 1 } },
    // Generous: several suites start real processes (workers, a browser, a tiny pipeline run), and a
    // busy CI machine must not turn slowness into failures (speed is measured in bench/).
    // Child processes that can run for more than a few seconds are started asynchronously
    // (test/fixtures/runProcess.ts): a synchronous one blocks the worker's event loop, and vitest
    // reports 'Timeout calling "onTaskUpdate"' once its 60 s RPC timer runs out.
    testTimeout: 300_000,
    hookTimeout: 600_000,
  },
});
