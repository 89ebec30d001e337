#!/usr/bin/env node
/**
 * Compiles the optional native convolution kernels (native/kernels.cc, on Debian's oneDNN:
 * `apt-get install g++ libdnnl-dev`) into dist/native/kernels.node. Run by `npm ci` and
 * `npm install` (the `prepare` script) and by `npm run build`.
 *
 * The compiler is called directly with the headers that ship with this Node (`<prefix>/include/node`):
 * node-gyp would download them, which an offline machine cannot. Without a compiler, oneDNN's or
 * Node's headers, the build is skipped with the reason and the engine keeps its wasm kernels
 * (src/engine/native/addon.ts). `--strict` makes a skipped or failed build exit 1.
 *
 *   node pipelines/scripts/build-native.mjs [--strict]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCE = join(ROOT, 'native', 'kernels.cc');
export const NATIVE_ADDON = join(ROOT, 'dist', 'native', 'kernels.node');
const strict = process.argv.includes('--strict');

function skip(reason) {
  console.log(`native kernels not built (${reason}); the engine uses its wasm kernels`);
  process.exit(strict ? 1 : 0);
}

const nodeHeaders = join(dirname(dirname(process.execPath)), 'include', 'node');
if (!existsSync(join(nodeHeaders, 'node_api.h'))) skip(`no Node headers at ${nodeHeaders}`);
if (!existsSync('/usr/include/oneapi/dnnl/dnnl.hpp'))
  skip('no oneDNN headers: apt-get install libdnnl-dev');
const compiler = process.env.CXX ?? 'g++';
if (spawnSync(compiler, ['--version']).status !== 0) skip(`no C++ compiler "${compiler}"`);

if (existsSync(NATIVE_ADDON) && statSync(NATIVE_ADDON).mtimeMs > statSync(SOURCE).mtimeMs) {
  console.log(`native kernels up to date: ${NATIVE_ADDON}`);
  process.exit(0);
}
mkdirSync(dirname(NATIVE_ADDON), { recursive: true });
const partial = `${NATIVE_ADDON}.${process.pid}.tmp`;
const args = [
  '-O3',
  // bitwise the results of the JavaScript batch-norm loops: no fused multiply-adds
  '-ffp-contract=off',
  '-std=c++17',
  '-shared',
  '-fPIC',
  '-fopenmp',
  '-DNODE_GYP_MODULE_NAME=kernels',
  `-I${nodeHeaders}`,
  SOURCE,
  '-ldnnl',
  '-o',
  partial,
];
const result = spawnSync(compiler, args, { stdio: 'inherit' });
if (result.status !== 0) skip(`${compiler} exited ${result.status ?? result.signal}`);
renameSync(partial, NATIVE_ADDON);
console.log(`native kernels built: ${NATIVE_ADDON}`);
