#!/usr/bin/env node
'use strict';
// Builds the native kernels addon with node-gyp, offline, and NEVER fails: without a compiler,
// Node headers or node-gyp it prints one line and exits 0, and Floe runs on its JS kernels.
//
//   node native/kernels/build-native.js [--force]
//
// Skips the build when build/Release/floe_kernels.node is newer than every source (unless
// --force). FLOE_NATIVE_BUILD=0 skips it entirely.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const here = __dirname;
const output = path.join(here, 'build', 'Release', 'floe_kernels.node');
const force = process.argv.includes('--force');

function say(message) {
  console.log(`floe native kernels: ${message}`);
}

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

function upToDate() {
  const built = mtime(output);
  if (built < 0) return false;
  const sources = ['binding.gyp', ...fs.readdirSync(path.join(here, 'src')).map((f) => path.join('src', f))];
  return sources.every((f) => mtime(path.join(here, f)) <= built);
}

/** node-gyp: npm's own (set for npm scripts), the one bundled with this Node's npm, or PATH. */
function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  for (const c of candidates) if (c && fs.existsSync(c)) return [process.execPath, c];
  const which = spawnSync(process.platform === 'win32' ? 'where' : 'which', ['node-gyp'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim() !== '') return [which.stdout.trim().split(/\r?\n/)[0]];
  return undefined;
}

/** Node's headers on this machine (node-gyp would otherwise download them). */
function findNodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) return prefix;
  return undefined;
}

function main() {
  if (process.env.FLOE_NATIVE_BUILD === '0') return say('skipped (FLOE_NATIVE_BUILD=0); using the JS kernels');
  if (!force && upToDate()) return;
  const gyp = findNodeGyp();
  if (gyp === undefined) return say('not built (node-gyp not found); using the JS kernels');
  const nodedir = findNodeDir();
  if (nodedir === undefined) return say('not built (no local Node headers; not downloading them); using the JS kernels');
  const [cmd, ...pre] = gyp;
  const result = spawnSync(cmd, [...pre, 'rebuild', `--nodedir=${nodedir}`], {
    cwd: here,
    encoding: 'utf8',
    timeout: 300000,
    env: { ...process.env, npm_config_nodedir: nodedir },
  });
  if (result.status === 0) return say('built');
  const log = `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
  const reason = result.error
    ? result.error.message
    : /not found|No such file|command not found/i.test(log) && /(g\+\+|c\+\+|make|cc)\b/.test(log)
      ? 'no C++ compiler or make'
      : `node-gyp exited with ${result.status}`;
  if (force) console.log(log);
  say(`not built (${reason}); using the JS kernels. Details: node native/kernels/build-native.js --force`);
}

try {
  main();
} catch (error) {
  say(`not built (${error && error.message}); using the JS kernels`);
}
process.exitCode = 0;
