#!/usr/bin/env node
/**
 * Bundles the light CLI (pipelines/cliLight.ts: top-level help and version, and `score`) into one
 * plain JavaScript file, dist/cli-light.mjs, with the list of files it was built from beside it
 * (bin/prebuilt.mjs compares their modification times with the bundle's). Run by `npm ci` and
 * `npm install` (the `prepare` script) and by `npm run build`.
 *
 * A failed build never fails an install: the launcher then runs every command through tsx, as it
 * does for a stale build. `--strict` (the tests) makes a failure exit 1.
 *
 *   node pipelines/scripts/build-light-cli.mjs [--strict]
 */
import { mkdirSync, readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LIGHT_BUNDLE, LIGHT_INPUTS, PREBUILT_DIR, ROOT } from '../../bin/prebuilt.mjs';

const SELF = fileURLToPath(import.meta.url);

/**
 * The full CLI's table loads every other command with import(); in the bundle each of those
 * imports is a module that throws, so a heavy command can never run half-built from here (the
 * launcher sends those commands to tsx before this bundle is asked).
 */
const tsxOnlyCommands = {
  name: 'tsx-only-commands',
  setup(build) {
    build.onResolve({ filter: /^\.\/commands\// }, (args) =>
      args.kind === 'dynamic-import' && args.importer === join(ROOT, 'pipelines/cli.ts')
        ? { path: args.path, namespace: 'tsx-only' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'tsx-only' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`assemblenet: the prebuilt light CLI cannot load ${args.path}; bin/prebuilt.mjs should have sent this command to tsx`)});`,
      loader: 'js',
    }));
  },
};

/**
 * src/version.ts reads package.json next to src/ at run time; the bundle lives elsewhere, so it
 * gets the version as a constant (package.json is one of its inputs: a new version makes it stale).
 */
function bakedVersion(version) {
  return {
    name: 'baked-version',
    setup(build) {
      build.onLoad({ filter: /[\\/]src[\\/]version\.ts$/ }, () => ({
        contents: `export const PACKAGE_VERSION = ${JSON.stringify(version)};`,
        loader: 'ts',
      }));
    },
  };
}

function writeAtomic(file, contents) {
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, contents);
  renameSync(partial, file);
}

/** Builds the bundle into `outDir`; returns the bundle's path and the inputs recorded. */
export async function buildLightCli(outDir = PREBUILT_DIR) {
  const { build } = await import('esbuild');
  // The bundle's time is set to when the sources were read: an edit during the build makes it stale.
  const started = new Date();
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ['pipelines/cliLight.ts'],
    outfile: join(outDir, LIGHT_BUNDLE),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    metafile: true,
    logLevel: 'silent',
    // bundled CommonJS packages (commander) require() Node's built-in modules
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
    },
    plugins: [tsxOnlyCommands, bakedVersion(version)],
  });
  const inputs = Object.keys(result.metafile.inputs).filter((input) => !input.includes(':'));
  inputs.push('package.json', relative(ROOT, SELF));
  mkdirSync(outDir, { recursive: true });
  const bundle = join(outDir, LIGHT_BUNDLE);
  for (const output of result.outputFiles) writeAtomic(output.path, output.contents);
  utimesSync(bundle, started, started);
  writeAtomic(
    join(outDir, LIGHT_INPUTS),
    `${JSON.stringify({ inputs: inputs.sort() }, null, 1)}\n`,
  );
  return { bundle, inputs };
}

if (process.argv[1] === SELF) {
  try {
    const { bundle, inputs } = await buildLightCli();
    process.stdout.write(
      `light CLI prebuilt: ${relative(ROOT, bundle)} (from ${inputs.length} files)\n`,
    );
  } catch (error) {
    process.stderr.write(
      `light CLI not prebuilt (every command will run through tsx): ${String(error?.message ?? error).split('\n')[0]}\n`,
    );
    if (process.argv.includes('--strict')) process.exitCode = 1;
  }
}
