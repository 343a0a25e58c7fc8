'use strict';
// Loads Floe's native kernels addon (build/Release/floe_kernels.node). Throws when it was not
// built; Floe catches that and keeps its JS kernels (see src/backend/native/).
const path = require('path');

module.exports = require(path.join(__dirname, 'build', 'Release', 'floe_kernels.node'));
