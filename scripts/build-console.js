#!/usr/bin/env node
'use strict';
// Part of `npm run build`: bundles the support console's front end (console/*.ts, plain DOM, no
// framework) with esbuild into dist/console/app.js and copies its HTML and CSS beside it. The admin
// listener serves dist/console under /console/ (gateway/admin/console/handler.ts). Nothing is fetched
// at run time: no CDN, no fonts, no chart library.
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const src = path.join(root, 'console');
const out = path.join(root, 'dist', 'console');

// esbuild strips types without checking them: check the front end first (its own tsconfig, DOM types).
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(src, 'tsconfig.json')], { stdio: 'inherit' });
fs.mkdirSync(out, { recursive: true });
esbuild.buildSync({
  entryPoints: [path.join(src, 'app.ts')],
  outfile: path.join(out, 'app.js'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['chrome110', 'firefox110', 'safari16'],
  tsconfig: path.join(src, 'tsconfig.json'),
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
for (const f of ['index.html', 'app.css']) fs.copyFileSync(path.join(src, f), path.join(out, f));
if (process.argv.includes('--verbose')) console.log(`console built into ${path.relative(root, out)}`);
