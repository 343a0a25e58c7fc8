#!/usr/bin/env node
'use strict';
// Thin launcher: the compiled CLI lives in dist/ (built by `npm run build`).
require('../dist/src/cli/main.js').main(process.argv.slice(2));
