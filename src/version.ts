import { createRequire } from 'node:module';

/** The package's version, read from package.json (its one definition). */
export const PACKAGE_VERSION: string = (
  createRequire(import.meta.url)('../package.json') as { version: string }
).version;
