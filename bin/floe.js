#!/usr/bin/env node
'use strict';
// Thin launcher: the compiled CLI lives in dist/ (built by `npm run build`).
// Source maps on before dist/ loads (Node maps only files loaded after): stack traces and the
// places registration errors point at name src/*.ts lines, not dist/*.js. Node >= 16.6 has it.
if (typeof process.setSourceMapsEnabled === 'function') process.setSourceMapsEnabled(true);
require('../dist/src/cli/main.js').main(process.argv.slice(2));
