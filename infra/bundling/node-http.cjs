// Lambda bundles are ES modules. On Node.js 22, `import … from 'node:http'` builds an ES module
// facade that reads every export of `http`, including the lazy `WebSocket` getter, which loads
// Node's internal undici (~10 ms of a cold start; nodemailer imports `http` statically). esbuild
// resolves `http` to this file instead (see constructs/herald-function.ts). It must not `require`
// http itself: esbuild would resolve that to this file again.
module.exports = process.getBuiltinModule('node:http');
