'use strict';
// Loads the addon with RTLD_GLOBAL: Open MPI opens its own plugins (mca components) with dlopen,
// and they resolve symbols of libmpi and libopen-pal from the global namespace.
const os = require('os');
const path = require('path');

const file = path.join(__dirname, 'build', 'Release', 'floe_mpi.node');
const mod = { exports: {} };
process.dlopen(mod, file, os.constants.dlopen.RTLD_NOW | os.constants.dlopen.RTLD_GLOBAL);
module.exports = mod.exports;
