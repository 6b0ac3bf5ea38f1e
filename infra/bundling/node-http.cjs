// Lambda bundles are ES modules. On Node.js 22, `import … from 'node:http'` builds an ES module
// facade that reads every export of `http`, including the lazy `WebSocket` getter, which loads
// Node's internal undici (~10 ms of every cold start). esbuild resolves `http` to this file
// instead, so the bundle takes `http` through `require` (see the createRequire banner in
// constructs/herald-function.ts) and the getter is never touched.
module.exports = require('node:http');
