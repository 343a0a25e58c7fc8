#!/usr/bin/env node
'use strict';
// Builds the Open MPI binding with node-gyp against this Node's own headers (never downloads).
// Needs `mpicc` (apt-get install openmpi-bin libopenmpi-dev). Exits non-zero when it cannot build;
// Floe then runs without the `mpi` backend.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

function fail(message) {
  console.error(`floe-mpi: not built: ${message}`);
  process.exit(1);
}

if (spawnSync('mpicc', ['--showme:version'], { encoding: 'utf8' }).status !== 0) {
  fail('mpicc not found (apt-get install openmpi-bin libopenmpi-dev)');
}
const gyps = [
  process.env.npm_config_node_gyp,
  path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].filter((f) => f && fs.existsSync(f));
if (gyps.length === 0) fail('node-gyp not found');
const prefix = path.resolve(path.dirname(process.execPath), '..');
const nodedir = process.env.npm_config_nodedir || (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined);
const args = [gyps[0], 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const result = spawnSync(process.execPath, args, { cwd: __dirname, stdio: 'inherit', env: { ...process.env, ...(nodedir ? { npm_config_nodedir: nodedir } : {}) } });
if (result.status !== 0) fail(`node-gyp exited with ${result.status}`);
console.log('floe-mpi: built');
