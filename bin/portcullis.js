#!/usr/bin/env node
'use strict';
// The published entry point: the compiled CLI. `npm run build` (run by `npm start` and `npm test`) makes it.
try {
  require('../dist/gateway/cli/main.js').main(process.argv);
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && /dist\/gateway\/cli\/main/.test(String(err.message))) {
    console.error('portcullis: not built yet. Run `npm run build` (npm start and npm test do it for you).');
    process.exit(1);
  }
  throw err;
}
