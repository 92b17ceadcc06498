// Prints vitest JSON results as the plain closing line CI reads: "N passed, N failed".
// Takes one or more result files (one per test run), prints each, and adds them up on the last line.
import { existsSync, readFileSync } from 'node:fs';

const files = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of files.length ? files : ['.vitest-results.json']) {
  if (!existsSync(file)) {
    console.error(`no test results at ${file}: that test run did not finish`);
    failed++;
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const p = r.numPassedTests ?? 0;
  // A file that failed to load has no failed tests but counts as a failure.
  const f = (r.numFailedTests ?? 0) + (r.numFailedTests ? 0 : r.numFailedTestSuites ?? 0);
  const s = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`${file}: ${p} passed, ${f} failed${s ? `, ${s} skipped` : ''}`);
  passed += p;
  failed += f;
  skipped += s;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
