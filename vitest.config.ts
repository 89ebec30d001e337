import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // wasm and ffmpeg work is CPU-bound on 2 cores: forks keep each file's engine separate.
    pool: 'forks',
    poolOptions: { forks: { singleFork: false, maxForks: 2, minForks: 1 } },
    // Generous: several suites start real processes (workers, a browser, a tiny pipeline run), and a
    // busy CI machine must not turn slowness into failures (speed is measured in bench/).
    testTimeout: 300_000,
    hookTimeout: 600_000,
  },
});
