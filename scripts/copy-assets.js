#!/usr/bin/env node
'use strict';
// Part of `npm run build`: tsc compiles TypeScript only, so the files the code reads at run time
// (Lua scripts, the common-password filter, the simulator's seed) are copied beside their compiled
// modules. Code then finds every asset beside itself, from sources and from dist/ alike, and dist/ is
// self-contained (the Docker image ships dist/ alone).
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const ASSET = /\.(lua|bloom|yaml)$/;
const FOLDERS = ['gateway', 'portal-sim'];

let copied = 0;
function walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const from = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(from);
    else if (ASSET.test(entry.name)) {
      const to = path.join(root, 'dist', path.relative(root, from));
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(from, to);
      copied++;
    }
  }
}
for (const f of FOLDERS) walk(path.join(root, f));
if (process.argv.includes('--verbose')) console.log(`copied ${copied} asset(s) into dist/`);
