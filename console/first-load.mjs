// node console/first-load.mjs (after npm run console:build): what the To do page costs on a first visit.
// Sums the gzip size of the JavaScript the To do route loads first: the entry script of index.html and every chunk
// it imports statically (transitively); lazy chunks (import()) are left out.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
const dist = path.join(path.dirname(new URL(import.meta.url).pathname), 'dist');
const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
const entries = [...html.matchAll(/(?:src|href)="\/console\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
const seen = new Set();
const visit = (f) => {
  if (seen.has(f)) return;
  seen.add(f);
  const code = fs.readFileSync(path.join(dist, f), 'utf8');
  // Static imports only: `import ... from "./x.js"` or `import "./x.js"` (not `import("./x.js")`).
  for (const m of code.matchAll(/(?:^|[;\s}])import\s*(?:[\w${},*\s]+from\s*)?["'](\.\/[^"']+\.js)["']/g)) visit(path.join('assets', m[1].slice(2)));
};
entries.forEach(visit);
let raw = 0,
  gz = 0;
for (const f of seen) {
  const b = fs.readFileSync(path.join(dist, f));
  raw += b.length;
  gz += zlib.gzipSync(b, { level: 9 }).length;
  console.log(f, (b.length / 1024).toFixed(1), 'KB', (zlib.gzipSync(b, { level: 9 }).length / 1024).toFixed(1), 'KB gz');
}
console.log(`first load of To do: ${seen.size} JS file(s), ${(raw / 1024).toFixed(1)} KB, ${(gz / 1024).toFixed(1)} KB gzipped`);
