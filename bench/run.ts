/**
 * `npm run bench`: Fulmar's speed and memory claims, each a ratio against a baseline measured in
 * this same run on this same machine — never an absolute threshold. Every loop is bounded in
 * count and time; servers bind 127.0.0.1; nothing leaves loopback. See bench/README.md.
 *
 * Exit status: 1 when a benchmark could not run or a sanity check failed (wrong bytes, HTTP
 * errors). A PROBLEM verdict is a finding to read, not a failure: the run still exits 0.
 */
import { hotExports } from './hot-exports.js';
import { verbatimExtraction } from './verbatim-extraction.js';
import { deltaUploads } from './delta-uploads.js';
import { stackListing } from './stack-listing.js';
import { printRow, printSummary, type Row } from './harness.js';

const benchmarks: Array<[string, () => Promise<Row[]>]> = [
  ['1. hot exports from the LRU', hotExports],
  ['2. verbatim checkpoint extraction', verbatimExtraction],
  ['3. delta vs verbatim uploads', deltaUploads],
  ['4. stack listing vs number of stacks', stackListing],
];

const started = Date.now();
console.log(`Fulmar benchmark — node ${process.version}, ${process.platform}/${process.arch}`);
console.log('Each ratio compares a candidate with a baseline measured in this run.\n');
const rows: Row[] = [];
let failed = false;
for (const [name, bench] of benchmarks) {
  const t0 = Date.now();
  console.log(`${name}`);
  try {
    const result = await bench();
    for (const row of result) printRow(row);
    rows.push(...result);
    console.log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  } catch (err) {
    failed = true;
    console.log(`  FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
}
console.log(`Summary (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
printSummary(rows);
if (failed) {
  console.log('\nat least one benchmark failed to run: see above');
  process.exitCode = 1;
}
